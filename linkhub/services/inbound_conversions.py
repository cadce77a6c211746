"""A provider's sale or lead turned into a conversion: the click from the event (else the known
customer's first touch), the installation's policy for unattributed events, the customer upsert
(by e-mail, else the provider's contact id), duplicate orders, and refunds. Conversions and
customers are written only through services/conversions.py and services/customers.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from linkhub import clock
from linkhub.errors import Conflict, Invalid
from linkhub.models import Conversion, Customer, Integration, Workspace
from linkhub.services import conversions, customers, integrations
from linkhub.services.accounts import normalize_email
from linkhub.services.inbound import Outcome

NAME_MAX = 200


@dataclass(frozen=True)
class Sale:
    """What a provider event says happened (a sale, or a lead with no value)."""

    event: str
    order_id: str
    click_id: str | None = None
    value: Decimal | None = None
    currency: str | None = None
    email: str | None = None
    name: str | None = None
    external_id: str | None = None  # when there is no e-mail (a CRM contact id)
    metadata: dict[str, Any] | None = None
    status: str = "approved"
    occurred_at: datetime | None = None


def click_of(workspace: Workspace, click_id: Any) -> tuple[str | None, str]:
    """(the click id, "") when it is a click of the workspace inside its attribution window,
    else (None, why not)."""
    if not isinstance(click_id, str) or not click_id.strip():
        return None, "the event carries no lw_cid"
    ref = conversions.resolve_click(workspace, click_id.strip())
    if ref is None:
        return None, f"lw_cid {click_id.strip()[:60]} is not a click of this workspace"
    days = conversions.window_days(workspace)
    if ref.created_at < clock.now() - timedelta(days=days):
        return None, f"the click is older than the attribution window ({days} days)"
    return ref.public_id, ""


def _email(value: Any) -> str | None:
    try:
        return normalize_email(value) if isinstance(value, str) and value.strip() else None
    except Invalid:
        return None  # a malformed address is left out, the sale still counts


def _known(workspace: Workspace, external_id: str | None) -> Customer | None:
    if not external_id:
        return None
    return Customer.get_or_none(Customer.workspace == workspace,
                                Customer.external_id == external_id,
                                Customer.deleted_at.is_null())


def _customer(workspace: Workspace, sale: Sale, external_id: str | None,
              click_id: str | None) -> Customer | None:
    if not external_id:
        return None
    data: dict[str, Any] = {"externalId": external_id}
    email = _email(sale.email)
    if email:
        data["email"] = email
    name = "".join(ch for ch in sale.name if ord(ch) >= 32).strip() if isinstance(
        sale.name, str) else ""
    if name:
        data["name"] = name[:NAME_MAX]
    if click_id:
        data["clickId"] = click_id
    customer, _ = customers.upsert(workspace, None, data)
    return customer


def record(installation: Integration, sale: Sale) -> Outcome:
    """Record the sale once (its order id is the key); ignored, with the reason, when it is
    already recorded or cannot be attributed and the installation records attributed ones
    only (`recordUnattributed`)."""
    workspace = installation.workspace
    first = conversions.find_by_order(workspace, sale.order_id)
    if first is not None:
        return Outcome("ignored", {"reason": "the order is already recorded",
                                   "conversionId": first.public_id, "orderId": sale.order_id})
    external_id = _email(sale.email) or sale.external_id
    click_id, reason = click_of(workspace, sale.click_id)
    via = "event" if click_id else None
    known = _known(workspace, external_id)
    if click_id is None and sale.click_id is None and known and known.click_public_id:
        click_id, _ = click_of(workspace, known.click_public_id)
        via = "customer" if click_id else None
    settings = integrations.settings_of(installation)
    if click_id is None and not settings.get("recordUnattributed"):
        return Outcome("ignored", {"reason": f"{reason}; unattributed events are not recorded "
                                             "(recordUnattributed is off)",
                                   "orderId": sale.order_id})
    customer = _customer(workspace, sale, external_id, click_id)
    try:
        conversion = conversions.record(
            workspace, click_id=click_id, event=sale.event, value=sale.value,
            currency=sale.currency, order_id=sale.order_id, metadata=sale.metadata,
            source=installation.provider, customer=customer, status=sale.status,
            occurred_at=sale.occurred_at, require_click=False)
    except Conflict as exc:
        if exc.code != "DUPLICATE_ORDER":
            raise
        return Outcome("ignored", {"reason": "the order is already recorded",
                                   "conversionId": exc.extra.get("conversionId"),
                                   "orderId": sale.order_id})
    return Outcome("processed", {
        "conversionId": conversion.public_id, "kind": conversion.kind,
        "clickId": conversion.click_public_id, "attributedVia": via,
        "customerId": customer.public_id if customer else None, "orderId": sale.order_id})


def set_status(installation: Integration, conversion: Conversion | None, status: str,
               reference: str) -> Outcome:
    """Move a recorded conversion to `status` (refunded, approved…); ignored when there is no
    such conversion or it is already there."""
    if conversion is None:
        return Outcome("ignored", {"reason": f"no conversion matches {reference}"})
    if conversion.status == status:
        return Outcome("ignored", {"reason": f"the conversion is already {status}",
                                   "conversionId": conversion.public_id})
    before = conversion.status
    conversions.set_status(installation.workspace, None, conversion, status)
    return Outcome("processed", {"conversionId": conversion.public_id, "from": before,
                                 "to": status})
