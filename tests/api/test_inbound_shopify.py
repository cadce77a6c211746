"""POST /api/integrations/webhooks/shopify with orders signed like Shopify signs them (base64
HMAC-SHA256 of the raw body): orders/create and orders/paid become one sale on a real click
(`lw_cid` note attribute or landing page), pending until paid; cancellations reject; the
installation is found by id or by shop domain; forged HMACs are 401, unknown shops 404, a
replayed webhook id changes nothing; app/uninstalled disconnects."""

from __future__ import annotations

from linkhub.models import Conversion, Customer, Integration, IntegrationEvent
from tests.api.inbound_support import (
    CONFIG,
    HOOKS,
    SECRETS,
    body_of,
    install,
    shopify_hmac,
    tracked_click,
)
from tests.conftest import db_snapshot

SECRET = SECRETS["shopify"]["webhookSecret"]
SHOP = CONFIG["shopify"]["shopDomain"]


def order(click_id: str | None = None, *, order_id: int = 820982911946154508,
          financial_status: str = "paid", landing_site: str | None = None) -> dict:
    return {
        "id": order_id, "admin_graphql_api_id": f"gid://shopify/Order/{order_id}",
        "name": "#1001", "order_number": 1001, "email": "Jon@Example.com",
        "contact_email": "jon@example.com", "created_at": "2026-01-15T10:30:00-05:00",
        "currency": "EUR", "presentment_currency": "EUR", "financial_status": financial_status,
        "subtotal_price": "110.00", "total_tax": "20.90", "total_price": "130.90",
        "test": False, "landing_site": landing_site or "/products/ring?utm_source=x",
        "note": None,
        "note_attributes": [{"name": "gift", "value": "no"}] +
                           ([{"name": "lw_cid", "value": click_id}] if click_id else []),
        "customer": {"id": 115310627314723954, "email": "jon@example.com",
                     "first_name": "Jon", "last_name": "Snow"},
        "line_items": [{"id": 1, "title": "Ring", "quantity": 1, "price": "110.00"}],
    }


def deliver(client, payload: dict, *, topic: str = "orders/create",
            webhook_id: str = "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043", secret: str = SECRET,
            installation_id: str | None = None, shop: str | None = SHOP,
            signature: str | None = None):
    body = body_of(payload)
    headers = {"X-Shopify-Topic": topic, "X-Shopify-Webhook-Id": webhook_id,
               "X-Shopify-Hmac-Sha256": signature if signature is not None else
               shopify_hmac(secret, body), "X-Shopify-API-Version": "2025-01",
               "X-Shopify-Triggered-At": "2026-01-15T15:30:00.000000Z"}
    if shop:
        headers["X-Shopify-Shop-Domain"] = shop
    query = f"?installationId={installation_id}" if installation_id else ""
    return client.post(f"{HOOKS}/shopify{query}", data=body, headers=headers,
                       content_type="application/json")


def received(response) -> dict:
    assert response.status_code == 200, response.get_json()
    return response.get_json()["data"]


def test_a_paid_order_is_a_sale_found_by_shop_domain(client, alice):
    link, click_id = tracked_click(client, alice)
    installation = install(client, alice, "shopify")
    data = received(deliver(client, order(click_id)))
    assert data["installationId"] == installation["id"] and data["status"] == "processed"
    conversion = Conversion.get(Conversion.public_id == data["result"]["conversionId"])
    assert (conversion.order_id, conversion.currency, conversion.value_micros) == (
        "820982911946154508", "EUR", 130_900_000)
    assert (conversion.click_public_id, conversion.link.public_id) == (click_id, link["id"])
    assert (conversion.source, conversion.status, conversion.kind) == ("shopify", "approved",
                                                                       "sale")
    customer = Customer.get(Customer.public_id == data["result"]["customerId"])
    assert (customer.email, customer.name) == ("jon@example.com", "Jon Snow")


def test_create_then_paid_is_pending_then_approved(client, alice):
    _, click_id = tracked_click(client, alice)
    install(client, alice, "shopify")
    created = received(deliver(client, order(click_id, financial_status="pending")))
    conversion = Conversion.get(Conversion.public_id == created["result"]["conversionId"])
    assert conversion.status == "pending"
    paid = received(deliver(client, order(click_id, financial_status="paid"),
                            topic="orders/paid", webhook_id="7c1e0c5a-paid"))
    assert paid["status"] == "processed" and paid["result"]["to"] == "approved"
    assert Conversion.get_by_id(conversion.id).status == "approved"
    assert Conversion.select().count() == 1
    cancelled = received(deliver(client, order(click_id), topic="orders/cancelled",
                                 webhook_id="cancel-1"))
    assert cancelled["result"]["to"] == "rejected"


def test_the_landing_page_carries_the_click_when_the_cart_does_not(client, alice):
    _, click_id = tracked_click(client, alice)
    install(client, alice, "shopify")
    data = received(deliver(client, order(None, landing_site=f"/?lw_cid={click_id}&x=1")))
    assert data["result"]["clickId"] == click_id


def test_the_installation_id_in_the_query_wins(client, alice):
    _, click_id = tracked_click(client, alice)
    installation = install(client, alice, "shopify")
    data = received(deliver(client, order(click_id), installation_id=installation["id"],
                            shop=None))
    assert data["status"] == "processed"


def test_a_replayed_webhook_changes_nothing(app, client, alice):
    _, click_id = tracked_click(client, alice)
    install(client, alice, "shopify")
    first = received(deliver(client, order(click_id)))
    before = db_snapshot(app)
    again = received(deliver(client, order(click_id)))
    assert again["duplicate"] is True and again["result"] == first["result"]
    assert db_snapshot(app) == before


def test_forged_hmac_and_unknown_shops_are_refused(app, client, alice):
    _, click_id = tracked_click(client, alice)
    install(client, alice, "shopify")
    before = db_snapshot(app)
    for kwargs, status in (({"secret": "shpss_not_the_right_secret_000"}, 401),
                           ({"signature": ""}, 401),
                           ({"signature": "bm90IGEgc2lnbmF0dXJl"}, 401),
                           ({"shop": "someone-else.myshopify.com"}, 404),
                           ({"shop": None}, 404)):
        response = deliver(client, order(click_id), **kwargs)
        assert response.status_code == status, (kwargs, response.get_json())
    assert db_snapshot(app) == before


def test_a_shop_domain_that_does_not_match_the_named_installation_is_401(app, client, alice):
    _, click_id = tracked_click(client, alice)
    installation = install(client, alice, "shopify")
    before = db_snapshot(app)
    response = deliver(client, order(click_id), installation_id=installation["id"],
                       shop="other-shop.myshopify.com")
    assert response.status_code == 401
    assert db_snapshot(app) == before


def test_two_shops_with_their_own_secrets(client, alice, charlie):
    _, click_id = tracked_click(client, charlie)
    install(client, alice, "shopify")
    theirs = install(client, charlie, "shopify",
                     config={"shopDomain": "charlie-goods.myshopify.com"},
                     secrets={"webhookSecret": "shpss_charlie_0123456789abcdef"})
    data = received(deliver(client, order(click_id), shop="charlie-goods.myshopify.com",
                            secret="shpss_charlie_0123456789abcdef"))
    assert data["installationId"] == theirs["id"] and data["status"] == "processed"
    assert Conversion.get().workspace_id == charlie.workspace.id


def test_unused_topics_are_ignored_and_uninstall_disconnects(app, client, alice):
    _, click_id = tracked_click(client, alice)
    installation = install(client, alice, "shopify")
    data = received(deliver(client, {"id": 1, "title": "Ring"}, topic="products/update",
                            webhook_id="p-1"))
    assert data["status"] == "ignored"
    data = received(deliver(client, {"id": 548380009, "domain": SHOP},
                            topic="app/uninstalled", webhook_id="u-1"))
    assert data["status"] == "processed"
    row = Integration.get(Integration.public_id == installation["id"])
    assert row.status == "disconnected"
    before = db_snapshot(app)
    response = deliver(client, order(click_id), webhook_id="after-uninstall")
    assert response.status_code == 410
    assert db_snapshot(app) == before
    assert IntegrationEvent.select().count() == 2
