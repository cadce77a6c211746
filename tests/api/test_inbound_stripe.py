"""POST /api/integrations/webhooks/stripe with events signed by Stripe's published algorithm:
checkout sessions and paid invoices become sales attributed to a real click (through a real
redirect), refunds mark them refunded; forged, missing and replayed signatures are 401 and
unknown installations 404 before any work; a replayed event id is 200 `duplicate: true` and
changes nothing; paused/disconnected installations refuse; failed events are logged and run
again on the provider's retry."""

from __future__ import annotations

from decimal import Decimal

from linkhub import clock, ids
from linkhub.models import (
    Conversion,
    Customer,
    FxRate,
    Integration,
    IntegrationEvent,
    Webhook,
    WebhookEvent,
)
from linkhub.services import webhook_events
from tests.api.inbound_support import (
    HOOKS,
    SECRETS,
    URL,
    body_of,
    install,
    now,
    stripe_header,
    tracked_click,
)
from tests.conftest import db_snapshot

SECRET = SECRETS["stripe"]["endpointSecret"]


def checkout_event(click_id: str | None = None, *, event_id: str = "evt_1QxCheckoutA",
                   amount: int = 4900, currency: str = "usd", metadata: dict | None = None,
                   reference: str | None = None, session: str = "cs_test_a1B2c3D4",
                   invoice: str | None = None, status: str = "paid") -> dict:
    return {
        "id": event_id, "object": "event", "api_version": "2024-06-20", "created": now() - 5,
        "livemode": False, "pending_webhooks": 1, "type": "checkout.session.completed",
        "request": {"id": None, "idempotency_key": None},
        "data": {"object": {
            "id": session, "object": "checkout.session", "mode": "payment",
            "amount_subtotal": amount, "amount_total": amount, "currency": currency,
            "client_reference_id": reference if reference is not None else click_id,
            "customer": "cus_Qa1b2C3d4E5f", "customer_email": None,
            "customer_details": {"email": "Buyer@Example.com", "name": "Bea Buyer",
                                 "address": {"country": "DE"}},
            "invoice": invoice, "metadata": metadata or {}, "payment_intent": "pi_3Qa1B2",
            "payment_status": status, "status": "complete", "subscription": None}},
    }


def invoice_event(click_id: str | None, *, invoice: str = "in_1QaInvoice",
                  event_id: str = "evt_1QxInvoiceA", amount: int = 1999) -> dict:
    return {
        "id": event_id, "object": "event", "created": now() - 5, "livemode": False,
        "type": "invoice.paid",
        "data": {"object": {
            "id": invoice, "object": "invoice", "amount_paid": amount, "amount_due": amount,
            "currency": "eur", "customer": "cus_Qa1b2C3d4E5f",
            "customer_email": "sub@example.com", "customer_name": "Sam Sub",
            "billing_reason": "subscription_create", "charge": "ch_3QaInv",
            "payment_intent": "pi_3QaInv", "status": "paid", "subscription": "sub_1QaSub",
            "metadata": {},
            "subscription_details": {"metadata": {"lw_cid": click_id} if click_id else {}}}},
    }


def refund_event(*, payment_intent: str = "pi_3Qa1B2", refunded: bool = True,
                 event_id: str = "evt_1QxRefundA", invoice: str | None = None) -> dict:
    return {
        "id": event_id, "object": "event", "created": now() - 5, "type": "charge.refunded",
        "data": {"object": {"id": "ch_3Qa1B2", "object": "charge", "amount": 4900,
                            "amount_refunded": 4900 if refunded else 1000,
                            "refunded": refunded, "payment_intent": payment_intent,
                            "invoice": invoice, "currency": "usd"}},
    }


def deliver(client, installation_id: str | None, event: dict, *, secret: str = SECRET,
            timestamp: int | None = None, header: str | None = None):
    body = body_of(event)
    query = f"?installationId={installation_id}" if installation_id else ""
    headers = {"Stripe-Signature": header if header is not None else
               stripe_header(secret, body, timestamp)}
    return client.post(f"{HOOKS}/stripe{query}", data=body, headers=headers,
                       content_type="application/json")


def received(response) -> dict:
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["success"] is True
    return body["data"]


def refused(app, client, status: str, code: str, *args, **kw) -> dict:
    before = db_snapshot(app)
    response = deliver(client, *args, **kw)
    assert response.status_code == status, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == code
    assert db_snapshot(app) == before
    return error


# --- sales --------------------------------------------------------------------------------------

def test_checkout_becomes_a_sale_on_the_click(app, client, alice):
    link, click_id = tracked_click(client, alice)
    installation = install(client, alice, "stripe")
    data = received(deliver(client, installation["id"], checkout_event(click_id)))
    assert data["status"] == "processed" and data["duplicate"] is False
    assert data["eventId"] == "evt_1QxCheckoutA" and data["type"] == "checkout.session.completed"
    conversion = Conversion.get(Conversion.public_id == data["result"]["conversionId"])
    assert conversion.click_public_id == click_id and conversion.link.public_id == link["id"]
    assert (conversion.kind, conversion.event, conversion.source) == ("sale", "purchase",
                                                                      "stripe")
    assert (conversion.value_micros, conversion.currency) == (49_000_000, "USD")
    assert conversion.order_id == "cs_test_a1B2c3D4"
    assert conversion.metadata["stripePaymentIntent"] == "pi_3Qa1B2"
    customer = Customer.get(Customer.public_id == data["result"]["customerId"])
    assert (customer.email, customer.external_id, customer.name) == (
        "buyer@example.com", "buyer@example.com", "Bea Buyer")
    assert customer.click_public_id == click_id and customer.sale_count == 1
    row = IntegrationEvent.get(IntegrationEvent.provider_event_id == "evt_1QxCheckoutA")
    assert row.status == "processed" and row.result["conversionId"] == conversion.public_id
    listed = client.get(f"{URL}/{installation['id']}/events", headers=alice.headers).get_json()
    assert [e["eventId"] for e in listed["data"]] == ["evt_1QxCheckoutA"]
    assert client.get(f"{URL}/{installation['id']}",
                      headers=alice.headers).get_json()["data"]["lastEventAt"]
    api = client.get(f"/api/conversions/{conversion.public_id}", headers=alice.headers)
    assert api.get_json()["data"]["clickId"] == click_id


def test_metadata_lw_cid_when_the_reference_is_the_shops_own(client, alice):
    _, click_id = tracked_click(client, alice)
    installation = install(client, alice, "stripe")
    event = checkout_event(metadata={"lw_cid": click_id}, reference="user-8812")
    data = received(deliver(client, installation["id"], event))
    assert data["result"]["clickId"] == click_id and data["result"]["attributedVia"] == "event"


def test_zero_decimal_currencies_are_whole_units(client, alice):
    _, click_id = tracked_click(client, alice)
    installation = install(client, alice, "stripe")
    data = received(deliver(client, installation["id"],
                            checkout_event(click_id, amount=5000, currency="jpy")))
    conversion = Conversion.get(Conversion.public_id == data["result"]["conversionId"])
    assert (conversion.value_micros, conversion.currency) == (5000 * 1_000_000, "JPY")


def test_an_unpaid_session_is_ignored(client, alice):
    _, click_id = tracked_click(client, alice)
    installation = install(client, alice, "stripe")
    data = received(deliver(client, installation["id"],
                            checkout_event(click_id, status="unpaid")))
    assert data["status"] == "ignored" and "not complete" in data["result"]["reason"]
    assert Conversion.select().count() == 0


def test_invoice_paid_after_a_subscription_checkout_is_one_sale(client, alice):
    _, click_id = tracked_click(client, alice)
    installation = install(client, alice, "stripe")
    first = received(deliver(client, installation["id"],
                             checkout_event(click_id, invoice="in_1QaInvoice")))
    assert first["status"] == "processed"
    second = received(deliver(client, installation["id"], invoice_event(click_id)))
    assert second["status"] == "ignored" and second["duplicate"] is False
    assert second["result"]["conversionId"] == first["result"]["conversionId"]
    assert Conversion.select().count() == 1


def test_invoice_paid_is_a_sale_from_the_subscription_metadata(client, alice):
    _, click_id = tracked_click(client, alice)
    installation = install(client, alice, "stripe")
    data = received(deliver(client, installation["id"], invoice_event(click_id)))
    conversion = Conversion.get(Conversion.public_id == data["result"]["conversionId"])
    assert (conversion.order_id, conversion.currency, conversion.value_micros) == (
        "in_1QaInvoice", "EUR", 19_990_000)
    assert conversion.click_public_id == click_id


def test_a_renewal_without_lw_cid_uses_the_customers_first_click(client, alice):
    _, click_id = tracked_click(client, alice)
    installation = install(client, alice, "stripe")
    received(deliver(client, installation["id"], invoice_event(click_id)))
    renewal = invoice_event(None, invoice="in_1QaRenewal", event_id="evt_1QxInvoiceB")
    data = received(deliver(client, installation["id"], renewal))
    assert data["status"] == "processed" and data["result"]["attributedVia"] == "customer"
    assert data["result"]["clickId"] == click_id


def test_unattributed_sales_follow_the_installation_setting(client, alice):
    installation = install(client, alice, "stripe")
    data = received(deliver(client, installation["id"], checkout_event(None)))
    assert data["status"] == "ignored" and "no lw_cid" in data["result"]["reason"]
    unknown = checkout_event(ids.new_id("click"), event_id="evt_1QxUnknownClick",
                             session="cs_test_other")
    data = received(deliver(client, installation["id"], unknown))
    assert data["status"] == "ignored" and "not a click" in data["result"]["reason"]
    assert Conversion.select().count() == 0
    client.patch(f"{URL}/{installation['id']}", headers=alice.headers,
                 json={"config": {"recordUnattributed": True}})
    data = received(deliver(client, installation["id"],
                            checkout_event(None, event_id="evt_1QxNoClick", session="cs_3")))
    conversion = Conversion.get(Conversion.public_id == data["result"]["conversionId"])
    assert conversion.click_public_id is None and conversion.link_id is None


def test_a_click_outside_the_attribution_window_is_not_attributed(client, alice):
    from datetime import timedelta

    _, click_id = tracked_click(client, alice)
    installation = install(client, alice, "stripe")
    clock.advance(timedelta(days=31))
    data = received(deliver(client, installation["id"], checkout_event(click_id)))
    assert data["status"] == "ignored" and "attribution window" in data["result"]["reason"]


# --- refunds ------------------------------------------------------------------------------------

def test_a_full_refund_marks_the_sale_refunded(client, alice):
    _, click_id = tracked_click(client, alice)
    installation = install(client, alice, "stripe")
    sale = received(deliver(client, installation["id"], checkout_event(click_id)))
    partial = received(deliver(client, installation["id"],
                               refund_event(refunded=False, event_id="evt_partial")))
    assert partial["status"] == "ignored"
    data = received(deliver(client, installation["id"], refund_event()))
    assert data["status"] == "processed" and data["result"]["to"] == "refunded"
    conversion = Conversion.get(Conversion.public_id == sale["result"]["conversionId"])
    assert conversion.status == "refunded"
    assert Customer.get(Customer.id == conversion.customer_id).sale_count == 0
    other = received(deliver(client, installation["id"],
                             refund_event(payment_intent="pi_unknown", event_id="evt_r2")))
    assert other["status"] == "ignored" and "no conversion" in other["result"]["reason"]


def test_an_invoice_refund_matches_the_invoice(client, alice):
    _, click_id = tracked_click(client, alice)
    installation = install(client, alice, "stripe")
    sale = received(deliver(client, installation["id"], invoice_event(click_id)))
    data = received(deliver(client, installation["id"],
                            refund_event(payment_intent="pi_x", invoice="in_1QaInvoice")))
    assert data["result"]["conversionId"] == sale["result"]["conversionId"]


def test_unused_event_types_are_logged_and_ignored(client, alice):
    installation = install(client, alice, "stripe")
    event = {"id": "evt_1QxCustomer", "type": "customer.created", "created": now(),
             "data": {"object": {"id": "cus_1", "object": "customer"}}}
    data = received(deliver(client, installation["id"], event))
    assert data["status"] == "ignored"
    assert IntegrationEvent.get(IntegrationEvent.provider_event_id == "evt_1QxCustomer")


# --- signatures, installations, replays ---------------------------------------------------------

def test_a_replayed_event_is_a_duplicate_and_changes_nothing(app, client, alice):
    _, click_id = tracked_click(client, alice)
    installation = install(client, alice, "stripe")
    first = received(deliver(client, installation["id"], checkout_event(click_id)))
    before = db_snapshot(app)
    again = received(deliver(client, installation["id"], checkout_event(click_id)))
    assert again["duplicate"] is True and again["status"] == "processed"
    assert again["result"] == first["result"]
    assert db_snapshot(app) == before


def test_forged_and_missing_signatures_are_401(app, client, alice):
    _, click_id = tracked_click(client, alice)
    installation = install(client, alice, "stripe")
    event = checkout_event(click_id)
    refused(app, client, 401, "UNAUTHORIZED", installation["id"], event,
            secret="whsec_someone_elses_secret_123456")
    refused(app, client, 401, "UNAUTHORIZED", installation["id"], event, header="")
    refused(app, client, 401, "UNAUTHORIZED", installation["id"], event, header="t=1,v0=abc")
    body = body_of(event)
    tampered = stripe_header(SECRET, body).replace("v1=", "v1=0")
    refused(app, client, 401, "UNAUTHORIZED", installation["id"], event, header=tampered)
    # signed for another body: the amount was changed after signing
    signed_for_other = stripe_header(SECRET, body_of(checkout_event(click_id, amount=1)))
    refused(app, client, 401, "UNAUTHORIZED", installation["id"], event,
            header=signed_for_other)


def test_a_replayed_old_timestamp_is_refused(app, client, alice):
    _, click_id = tracked_click(client, alice)
    installation = install(client, alice, "stripe")
    error = refused(app, client, 401, "UNAUTHORIZED", installation["id"],
                    checkout_event(click_id), timestamp=now() - 600)
    assert "tolerance" in error["message"]


def test_unknown_installations_are_404_before_any_work(app, client, alice, charlie):
    _, click_id = tracked_click(client, alice)
    event = checkout_event(click_id)
    refused(app, client, 404, "NOT_FOUND", ids.new_id("integration"), event)
    refused(app, client, 404, "NOT_FOUND", None, event)
    refused(app, client, 404, "NOT_FOUND", "int_bad", event)
    slack = install(client, alice, "slack")
    refused(app, client, 404, "NOT_FOUND", slack["id"], event)  # another provider's id
    # charlie's installation with charlie's secret cannot record alice's click
    theirs = install(client, charlie, "stripe",
                     secrets={"endpointSecret": "whsec_charlie_000111222333444555"})
    data = received(deliver(client, theirs["id"], event,
                            secret="whsec_charlie_000111222333444555"))
    assert data["status"] == "ignored" and Conversion.select().count() == 0


def test_paused_and_disconnected_installations_refuse(app, client, alice):
    _, click_id = tracked_click(client, alice)
    installation = install(client, alice, "stripe")
    url = f"{URL}/{installation['id']}"
    client.patch(url, headers=alice.headers, json={"status": "paused"})
    before = db_snapshot(app)
    response = deliver(client, installation["id"], checkout_event(click_id))
    assert response.status_code == 503 and response.headers["Retry-After"]
    assert "paused" in response.get_json()["error"]["message"]
    client.patch(url, headers=alice.headers, json={"status": "disconnected"})
    refused(app, client, 410, "GONE", installation["id"], checkout_event(click_id))
    assert db_snapshot(app)["conversion"] == before["conversion"] == 0
    client.patch(url, headers=alice.headers, json={"status": "active"})
    data = received(deliver(client, installation["id"], checkout_event(click_id)))
    assert data["status"] == "processed" and data["duplicate"] is False


def test_a_failed_event_is_logged_and_runs_again_on_retry(app, client, alice):
    _, click_id = tracked_click(client, alice)
    installation = install(client, alice, "stripe")
    event = checkout_event(click_id, currency="zzq")
    data = received(deliver(client, installation["id"], event))
    assert data["status"] == "failed" and "currency" in data["error"]
    row = Integration.get(Integration.public_id == installation["id"])
    assert row.status == "error" and "currency" in row.last_error
    assert Conversion.select().count() == Customer.select().count() == 0
    FxRate.create(currency="ZZQ", day=clock.now().date(), rate=2.0, source="test")
    again = received(deliver(client, installation["id"], event))
    assert again["status"] == "processed" and again["duplicate"] is False
    conversion = Conversion.get(Conversion.public_id == again["result"]["conversionId"])
    assert conversion.value_usd_micros == 24_500_000 and conversion.value_micros == 49_000_000
    assert Integration.get(Integration.public_id == installation["id"]).status == "active"
    assert IntegrationEvent.select().count() == 1


def test_malformed_bodies_are_400_after_the_signature(app, client, alice):
    installation = install(client, alice, "stripe")
    before = db_snapshot(app)
    for body in (b"not json", b"[]", b'{"id": "evt_1"}'):
        response = client.post(f"{HOOKS}/stripe?installationId={installation['id']}",
                               data=body, content_type="application/json",
                               headers={"Stripe-Signature": stripe_header(SECRET, body)})
        assert response.status_code == 400, body
    assert db_snapshot(app) == before


def test_the_sale_emits_the_downstream_webhook_event(app, client, alice):
    _, click_id = tracked_click(client, alice)
    installation = install(client, alice, "stripe")
    Webhook.create(public_id=ids.new_id("webhook"), workspace=alice.workspace,
                   url="https://receiver.example/hook", events=["sale.created"],
                   secret="whsec_" + "a" * 32)
    webhook_events.invalidate(alice.workspace.id)
    data = received(deliver(client, installation["id"], checkout_event(click_id)))
    event = WebhookEvent.get(WebhookEvent.type == "sale.created")
    assert event.payload["data"]["id"] == data["result"]["conversionId"]
    assert Decimal(str(event.payload["data"]["value"])) == Decimal("49")
