"""POST /api/integrations/webhooks/hubspot[/{installationId}] with batches signed by HubSpot's
v3 algorithm (base64 HMAC-SHA256 of method + URI + body + timestamp): a contact whose `lw_cid`
property arrives becomes a lead on a real click, a deal moved to closed won becomes a sale
(with the amount and click remembered from earlier property changes), each event of a batch is
idempotent, old timestamps and forged signatures are 401, unknown installations 404."""

from __future__ import annotations

from linkhub.models import Conversion, Customer, IntegrationEvent
from tests.api.inbound_support import (
    HOOKS,
    SECRETS,
    body_of,
    hubspot_v3,
    install,
    now,
    tracked_click,
)
from tests.conftest import db_snapshot

SECRET = SECRETS["hubspot"]["clientSecret"]
PORTAL, APP = 62515, 54321


def event(kind: str, object_id: int, event_id: int, **extra) -> dict:
    return {"eventId": event_id, "subscriptionId": 4077, "portalId": PORTAL, "appId": APP,
            "occurredAt": now() * 1000 - 2000, "subscriptionType": kind, "attemptNumber": 0,
            "objectId": object_id, "changeSource": "CRM", **extra}


def change(kind: str, object_id: int, event_id: int, name: str, value) -> dict:
    return event(f"{kind}.propertyChange", object_id, event_id, propertyName=name,
                 propertyValue=value)


def deliver(client, batch: list[dict], path: str, *, secret: str = SECRET,
            timestamp_ms: int | None = None, uri: str | None = None,
            signature: str | None = None):
    body = body_of(batch)
    timestamp_ms = now() * 1000 if timestamp_ms is None else timestamp_ms
    uri = uri or f"http://localhost{path}"
    headers = {"X-HubSpot-Request-Timestamp": str(timestamp_ms),
               "X-HubSpot-Signature-v3": signature if signature is not None else
               hubspot_v3(secret, "POST", uri, body, timestamp_ms)}
    return client.post(path, data=body, headers=headers, content_type="application/json")


def received(response) -> dict:
    assert response.status_code == 200, response.get_json()
    return response.get_json()["data"]


def test_a_contact_becomes_a_lead_when_its_lw_cid_arrives(client, alice):
    link, click_id = tracked_click(client, alice)
    installation = install(client, alice, "hubspot")
    path = f"{HOOKS}/hubspot/{installation['id']}"
    data = received(deliver(client, [
        event("contact.creation", 1201, 9001),
        change("contact", 1201, 9002, "email", "Lead@Example.com"),
        change("contact", 1201, 9003, "lw_cid", click_id)], path))
    assert [e["status"] for e in data["events"]] == ["ignored", "ignored", "processed"]
    lead = Conversion.get(Conversion.public_id == data["events"][2]["result"]["conversionId"])
    assert (lead.kind, lead.event, lead.source, lead.order_id) == (
        "lead", "lead", "hubspot", "hubspot-contact-1201")
    assert (lead.click_public_id, lead.link.public_id) == (click_id, link["id"])
    customer = Customer.get(Customer.id == lead.customer_id)
    assert customer.email == "lead@example.com" and customer.lead_count == 1


def test_a_workflow_payload_with_properties_is_a_lead_at_once(client, alice):
    _, click_id = tracked_click(client, alice)
    installation = install(client, alice, "hubspot")
    item = event("contact.creation", 77, 1, properties={
        "lw_cid": {"value": click_id}, "email": {"value": "w@example.com"},
        "firstname": {"value": "Wes"}, "lastname": {"value": "Flow"}})
    data = received(deliver(client, [item], f"{HOOKS}/hubspot/{installation['id']}"))
    assert data["status"] == "processed" and data["result"]["clickId"] == click_id
    assert Customer.get(Customer.public_id == data["result"]["customerId"]).name == "Wes Flow"


def test_a_closed_won_deal_is_a_sale_with_the_remembered_amount(client, alice):
    _, click_id = tracked_click(client, alice)
    installation = install(client, alice, "hubspot", config={"appId": "54321",
                                                             "currency": "EUR"})
    path = f"{HOOKS}/hubspot/{installation['id']}"
    received(deliver(client, [change("deal", 5001, 1, "amount", "1500"),
                              change("deal", 5001, 2, "lw_cid", click_id),
                              change("deal", 5001, 3, "dealstage", "presentationscheduled")],
                     path))
    assert Conversion.select().count() == 0
    data = received(deliver(client, [change("deal", 5001, 4, "dealstage", "closedwon")], path))
    sale = Conversion.get(Conversion.public_id == data["result"]["conversionId"])
    assert (sale.kind, sale.order_id, sale.currency, sale.value_micros) == (
        "sale", "hubspot-deal-5001", "EUR", 1_500_000_000)
    assert sale.click_public_id == click_id


def test_the_app_route_finds_the_installation_by_app_id(client, alice):
    _, click_id = tracked_click(client, alice)
    installation = install(client, alice, "hubspot")
    data = received(deliver(client, [change("contact", 9, 1, "lw_cid", click_id)],
                            f"{HOOKS}/hubspot"))
    assert data["installationId"] == installation["id"] and data["status"] == "processed"


def test_the_public_base_url_form_of_the_uri_verifies(app, client, alice):
    installation = install(client, alice, "hubspot")
    path = f"{HOOKS}/hubspot/{installation['id']}"
    base = app.config["LINKHUB"]["BASE_URL"]
    data = received(deliver(client, [event("contact.deletion", 3, 3)], path,
                            uri=f"{base}{path}"))
    assert data["status"] == "ignored"


def test_each_event_of_a_replayed_batch_is_a_duplicate(app, client, alice):
    _, click_id = tracked_click(client, alice)
    installation = install(client, alice, "hubspot")
    path = f"{HOOKS}/hubspot/{installation['id']}"
    batch = [change("contact", 1201, 9003, "lw_cid", click_id)]
    first = received(deliver(client, batch, path))
    before = db_snapshot(app)
    again = received(deliver(client, batch, path))
    assert again["duplicate"] is True and again["events"][0]["result"] == first["result"]
    assert db_snapshot(app) == before
    mixed = received(deliver(client, batch + [event("contact.creation", 1300, 9100)], path))
    assert mixed["duplicate"] is False
    assert [e["duplicate"] for e in mixed["events"]] == [True, False]
    assert IntegrationEvent.select().count() == 2


def test_signatures_timestamps_and_installations_are_checked_first(app, client, alice):
    _, click_id = tracked_click(client, alice)
    installation = install(client, alice, "hubspot")
    path = f"{HOOKS}/hubspot/{installation['id']}"
    batch = [change("contact", 1, 1, "lw_cid", click_id)]
    before = db_snapshot(app)
    for kwargs, status in (({"secret": "not-the-client-secret-0000"}, 401),
                           ({"signature": ""}, 401),
                           ({"timestamp_ms": (now() - 600) * 1000}, 401),
                           ({"uri": "http://localhost/somewhere/else"}, 401)):
        response = deliver(client, batch, path, **kwargs)
        assert response.status_code == status, (kwargs, response.get_json())
    response = client.post(path, data=body_of(batch), content_type="application/json")
    assert response.status_code == 401
    assert deliver(client, batch, f"{HOOKS}/hubspot/int_0000000000000000").status_code == 404
    other_app = [change("contact", 1, 1, "lw_cid", click_id) | {"appId": 999}]
    assert deliver(client, other_app, f"{HOOKS}/hubspot").status_code == 404
    assert db_snapshot(app) == before
