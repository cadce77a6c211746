"""The delivery engine against real local receivers: signed sends (verified with the
standardwebhooks package), the retry schedule, order per endpoint through an outage, a hanging
receiver not holding up others, leases (no double send, an expired lease resends with the same
webhook-id), auto-disable with a notification, send-now, redeliver, test sends, the formats
and the job. The clock is moved with linkhub.clock; no timing is asserted."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest
import standardwebhooks

from linkhub import clock, jobs
from linkhub.errors import ApiError
from linkhub.models import Webhook, WebhookAttempt, WebhookDelivery
from linkhub.services import webhook_attempts, webhook_delivery, webhook_events
from linkhub.services.webhook_attempts import SCHEDULE
from tests.webhook_receiver import Receiver, make_webhook


@pytest.fixture
def settings_overrides():
    return {"WEBHOOK_ALLOW_PRIVATE": True, "WEBHOOK_TIMEOUT_SECONDS": 1, "WEBHOOK_WORKERS": 4}


@pytest.fixture
def hook():
    with Receiver() as receiver:
        yield receiver


@pytest.fixture
def other():
    with Receiver() as receiver:
        yield receiver


@pytest.fixture
def ws(app, ctx, alice):
    yield alice.workspace
    webhook_delivery.engine(app).shutdown(wait=True)


def emit(ws, n=1, type_="link.created"):
    return [webhook_events.emit(ws, type_, {"n": i}) for i in range(n)]


def deliveries(webhook=None):
    query = WebhookDelivery.select().order_by(WebhookDelivery.id)
    if webhook is not None:
        query = query.where(WebhookDelivery.webhook == webhook)
    return list(query)


def run_passes(limit=50):
    """Passes until one finds nothing to start."""
    for _ in range(limit):
        if not webhook_delivery.deliver_due()["started"]:
            return
    raise AssertionError("the engine kept finding work")


def test_a_delivery_is_signed_logged_and_verifiable(ws, hook):
    webhook = make_webhook(ws, hook.url, ["link.created"])
    (event,) = emit(ws)
    assert webhook_delivery.deliver_due() == {"started": 1, "succeeded": 1, "retrying": 0,
                                               "failed": 0}
    (request,) = hook.requests
    verified = standardwebhooks.Webhook(webhook.secret).verify(request.body, request.headers)
    assert verified == event.payload
    headers = request.headers
    assert headers["webhook-id"] == headers["svix-id"] == event.public_id
    assert headers["svix-signature"] == headers["webhook-signature"]
    assert headers["user-agent"] == "linkhub-webhooks/1"
    assert headers["content-type"] == "application/json"
    (delivery,) = deliveries()
    assert delivery.status == "succeeded" and delivery.attempts == 1
    assert delivery.delivered_at is not None and delivery.last_status == 200
    (attempt,) = WebhookAttempt.select()
    assert attempt.status_code == 200 and attempt.response_body == "ok"
    assert attempt.request_url == hook.url and json.loads(attempt.request_body) == event.payload
    assert attempt.request_headers["webhook-id"] == event.public_id
    assert attempt.latency_ms is not None and attempt.error is None
    assert Webhook.get_by_id(webhook.id).last_status == 200


def test_a_forged_body_does_not_verify(ws, hook):
    webhook = make_webhook(ws, hook.url, ["link.created"])
    emit(ws)
    webhook_delivery.deliver_due()
    request = hook.requests[0]
    with pytest.raises(standardwebhooks.webhooks.WebhookVerificationError):
        standardwebhooks.Webhook(webhook.secret).verify(request.body + b" ", request.headers)


def test_500_then_200_is_exactly_one_retry(ws, hook):
    make_webhook(ws, hook.url, ["link.created"])
    emit(ws)
    hook.script(500, 200)
    assert webhook_delivery.deliver_due()["retrying"] == 1
    (delivery,) = deliveries()
    assert delivery.status == "pending" and delivery.attempts == 1
    assert delivery.next_attempt_at - clock.now() <= SCHEDULE[0]
    assert webhook_delivery.deliver_due()["started"] == 0  # not due yet
    clock.advance(SCHEDULE[0])
    assert webhook_delivery.deliver_due()["succeeded"] == 1
    run_passes()
    assert len(hook.requests) == 2
    assert hook.requests[0].headers["webhook-id"] == hook.requests[1].headers["webhook-id"]
    assert hook.requests[0].body == hook.requests[1].body
    assert deliveries()[0].status == "succeeded"
    assert [a.status_code for a in WebhookAttempt.select().order_by(WebhookAttempt.id)] == [
        500, 200]


def test_the_backoff_schedule_then_failed(ws, hook):
    make_webhook(ws, hook.url, ["link.created"])
    emit(ws)
    hook.default = 503
    clock.freeze(clock.now())  # released by the app fixture
    waits = []
    for _ in range(len(SCHEDULE)):
        webhook_delivery.deliver_due()
        delivery = deliveries()[0]
        waits.append(delivery.next_attempt_at - clock.now())
        clock.advance(waits[-1])
    webhook_delivery.deliver_due()
    delivery = deliveries()[0]
    assert waits == list(SCHEDULE)  # 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h
    assert delivery.status == "failed" and delivery.attempts == len(SCHEDULE) + 1
    assert len(hook.requests) == len(SCHEDULE) + 1
    clock.advance(timedelta(days=2))
    assert webhook_delivery.deliver_due()["started"] == 0


def test_a_receiver_down_for_an_hour_gets_everything_in_order(ws, hook, other):
    first = make_webhook(ws, hook.url, ["link.created"])
    second = make_webhook(ws, other.url, ["link.created"])
    sent = emit(ws, 3)
    hook.down()
    other.down()
    webhook_delivery.deliver_due()
    for _ in range(12):  # an hour of passes every 5 minutes, both receivers down
        clock.advance(timedelta(minutes=5))
        sent += emit(ws, 1)
        webhook_delivery.deliver_due()
    for webhook in (first, second):
        rows = deliveries(webhook)
        assert rows[0].attempts >= 3 and all(d.attempts == 0 for d in rows[1:])
        assert all(d.status == "pending" for d in rows)  # only the oldest was tried
    hook.up()
    other.up()
    clock.advance(timedelta(hours=3))  # past the oldest one's next try
    run_passes()
    expected = [event.public_id for event in sent]
    for receiver in (hook, other):
        assert [r.headers["webhook-id"] for r in receiver.requests] == expected
    assert {d.status for d in deliveries()} == {"succeeded"}


def test_a_blocked_endpoint_does_not_hold_up_another(ws, hook, other):
    make_webhook(ws, hook.url, ["link.created"])
    make_webhook(ws, other.url, ["link.created"])
    hook.default = 500
    emit(ws, 2)
    webhook_delivery.deliver_due()
    clock.advance(timedelta(seconds=1))
    emit(ws, 2)
    run_passes()
    assert len(other.requests) == 4 and len(hook.requests) == 1


def test_a_hanging_receiver_does_not_hold_up_other_endpoints(app, ws, hook, other):
    slow = make_webhook(ws, hook.url, ["link.created"])
    make_webhook(ws, other.url, ["link.created"])
    hook.script("hang")
    emit(ws, 3)
    engine = webhook_delivery.engine(app)
    assert engine.run_pass(wait=False)["started"] == 2
    other.wait_for(3, timeout=30)  # all three arrive while the slow one still hangs
    hanging = deliveries(slow)
    assert hanging[0].status == "delivering" and hanging[1].status == "pending"
    assert len(hook.requests) == 1  # in order: the next one waits for the first
    assert engine.idle.wait(30)  # the hung try ends at its timeout
    assert deliveries(slow)[0].status == "pending"
    assert "timed out" in WebhookAttempt.get(WebhookAttempt.delivery == hanging[0].id).error


def test_a_claimed_delivery_is_never_claimed_twice(app, ws, hook):
    make_webhook(ws, hook.url, ["link.created"])
    emit(ws)
    (delivery,) = deliveries()
    engine = webhook_delivery.engine(app)
    now = clock.now()
    assert engine.claim(delivery.id, now) is not None
    assert engine.claim(delivery.id, now) is None  # a second engine gets nothing
    assert webhook_delivery.deliver_due()["started"] == 0
    with pytest.raises(ApiError) as caught:
        webhook_delivery.send_now(delivery)
    assert caught.value.code == "CONFLICT"
    # the holder died: once the lease lapses the delivery is sent again, same webhook-id
    clock.advance(webhook_attempts.lease_for(1) + timedelta(seconds=1))
    assert webhook_delivery.deliver_due()["succeeded"] == 1
    assert hook.requests[0].headers["webhook-id"] == delivery.event.public_id


def test_private_targets_are_refused_at_delivery_time(app, ws, hook):
    make_webhook(ws, hook.url, ["link.created"])
    emit(ws)
    app.config["LINKHUB"]["WEBHOOK_ALLOW_PRIVATE"] = False
    assert webhook_delivery.deliver_due()["retrying"] == 1
    assert hook.requests == []
    assert "private" in WebhookAttempt.get().error


def test_twenty_failures_disable_the_endpoint_and_notify(ws, hook, monkeypatch):
    notifications = pytest.importorskip("linkhub.services.notifications")
    sent = []
    real = notifications.notify
    monkeypatch.setattr(notifications, "notify",
                        lambda *a, **k: sent.append((a, k)) or real(*a, **k))
    webhook = make_webhook(ws, hook.url, ["link.created"])
    Webhook.update(consecutive_failures=18).where(Webhook.id == webhook.id).execute()
    emit(ws, 3)
    hook.default = 500
    webhook_delivery.deliver_due()
    assert Webhook.get_by_id(webhook.id).enabled and sent == []  # 19
    clock.advance(SCHEDULE[0])
    webhook_delivery.deliver_due()  # 20
    webhook = Webhook.get_by_id(webhook.id)
    assert not webhook.enabled and webhook.disabled_at is not None
    assert "20 consecutive failed deliveries" in webhook.disabled_reason
    assert {d.status for d in deliveries()} == {"failed"}
    ((args, kwargs),) = sent
    assert args[0].id == ws.id and args[1] == "webhook_disabled" and webhook.url in args[3]
    assert emit(ws) == [None]  # nobody subscribed any more
    clock.advance(timedelta(days=1))
    assert webhook_delivery.deliver_due()["started"] == 0


def test_a_success_resets_the_failure_counter(ws, hook):
    webhook = make_webhook(ws, hook.url, ["link.created"])
    Webhook.update(consecutive_failures=7).where(Webhook.id == webhook.id).execute()
    emit(ws)
    webhook_delivery.deliver_due()
    assert Webhook.get_by_id(webhook.id).consecutive_failures == 0


def test_send_now_redeliver_and_serialize(ws, hook):
    webhook = make_webhook(ws, hook.url, ["link.created"])
    (event,) = emit(ws)
    (delivery,) = deliveries()
    attempt = webhook_delivery.send_now(delivery)
    assert attempt.status_code == 200 and attempt.number == 1
    again = webhook_delivery.redeliver(WebhookDelivery.get_by_id(delivery.id))
    assert again.id != delivery.id and again.status == "pending"
    assert webhook_delivery.deliver_due()["succeeded"] == 1
    assert [r.headers["webhook-id"] for r in hook.requests] == [event.public_id] * 2
    shape = webhook_delivery.serialize_delivery(WebhookDelivery.get_by_id(delivery.id),
                                                attempts=True)
    assert shape["id"] == delivery.public_id and shape["webhookId"] == webhook.public_id
    assert shape["eventId"] == event.public_id and shape["eventType"] == "link.created"
    assert shape["status"] == "succeeded" and shape["attemptCount"] == 1
    assert shape["payload"] == event.payload and shape["test"] is False
    (tried,) = shape["attempts"]
    assert tried["statusCode"] == 200 and tried["responseBody"] == "ok"
    assert tried["requestHeaders"]["webhook-id"] == event.public_id
    assert "attempts" not in webhook_delivery.serialize_delivery(again, attempts=False)


def test_test_sends_use_a_sample_and_never_count(ws, hook):
    webhook = make_webhook(ws, hook.url, ["click"], scope="link")
    hook.script(500)
    delivery = webhook_delivery.test_event(webhook)
    assert delivery.is_test and delivery.status == "failed" and delivery.attempts == 1
    assert Webhook.get_by_id(webhook.id).consecutive_failures == 0
    body = hook.requests[0].json()
    assert body["type"] == "link.clicked" and body["data"]["clickId"].startswith("clk_")
    assert webhook_delivery.test_event(webhook).status == "succeeded"
    clock.advance(timedelta(hours=1))
    assert webhook_delivery.deliver_due()["started"] == 0  # tests are never retried


def test_slack_segment_and_zapier_formats(ws, hook):
    slack = make_webhook(ws, hook.url, ["link.created"], kind="slack", scope="outbound")
    segment = make_webhook(ws, "https://unused.example/", ["link.created"], kind="segment",
                           scope="outbound", config={"writeKey": "wk_1",
                                                     "endpoint": hook.url + "/segment"})
    zapier = make_webhook(ws, hook.url + "/zap", ["link.created"], kind="zapier",
                          scope="outbound")
    (event,) = [webhook_events.emit(ws, "link.created", {"id": "link_1", "shortCode": "spring",
                                                         "destinationUrl": "https://x.example"})]
    run_passes()
    by_path = {r.path: r for r in hook.requests}
    message = by_path["/hook"].json()
    assert "spring" in message["text"] and message["blocks"][0]["type"] == "section"
    track = by_path["/hook/segment"]
    assert track.headers["authorization"] == "Basic " + base64.b64encode(b"wk_1:").decode()
    assert track.json()["event"] == "link.created" and track.json()["messageId"] == (
        event.public_id)
    assert track.json()["properties"]["shortCode"] == "spring"
    zap = by_path["/hook/zap"]
    assert standardwebhooks.Webhook(zapier.secret).verify(zap.body, zap.headers) == (
        event.payload)
    stored = WebhookAttempt.select().join(WebhookDelivery).where(
        WebhookDelivery.webhook == segment.id).get()
    assert stored.request_headers["Authorization"] == "***"  # the write key is not logged
    assert {d.status for d in deliveries()} == {"succeeded"} and slack.kind == "slack"


def test_the_job_runs_one_pass_and_waits(ws, hook):
    make_webhook(ws, hook.url, ["link.created"])
    emit(ws, 2)
    job = jobs.by_name("webhook-deliver")
    result = jobs.run(job)
    assert result["succeeded"] == 2 and len(hook.requests) == 2


def test_a_worker_hands_back_an_endpoint_without_holding_a_claim(ws, hook, monkeypatch):
    monkeypatch.setattr(webhook_delivery, "CHAIN_MAX", 2)  # a worker sends 2 in a row
    make_webhook(ws, hook.url, ["link.created"])
    emit(ws, 3)
    assert webhook_delivery.deliver_due()["succeeded"] == 2
    assert [d.status for d in deliveries()] == ["succeeded", "succeeded", "pending"]
    assert webhook_delivery.deliver_due()["succeeded"] == 1  # at once, not after a lease
