"""Dashboard pages for customers: the list with search and pages, the profile with its journey
and attribution, edit, LTV recalculation and delete (soft, PII scrubbed). Binds the forms and
calls services/customers.py and customer_journey.py like /api/customers does; no rule here."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import Length

from linkhub import pagination
from linkhub.dashboard.forms import ActionForm, api_data, changed, copy_errors, editor_context
from linkhub.dashboard.guard import require_role, workspace_required
from linkhub.errors import ApiError, Invalid
from linkhub.models import Customer
from linkhub.services import customer_journey, customer_queries, customers

bp = Blueprint("customers", __name__)
bp.context_processor(editor_context)
T = "dashboard/customers/"
PAGE_SIZE = 25
FIELDS = ("external_id", "name", "email", "avatar_url")
MODEL_LABELS = {"firstClick": "First click", "lastClick": "Last click", "linear": "Linear"}


class CustomerForm(FlaskForm):
    external_id = StringField("External id", [Length(max=1000)])
    name = StringField("Name", [Length(max=1000)])
    email = StringField("E-mail", [Length(max=1000)])
    avatar_url = StringField("Avatar URL", [Length(max=4096)])


def _initial(customer: Customer) -> dict[str, str]:
    return {"external_id": customer.external_id or "", "name": customer.name or "",
            "email": customer.email or "", "avatar_url": customer.avatar_url or ""}


@bp.get("/customers")
@workspace_required
def index():
    search = (request.args.get("search") or "").strip()
    error, status = None, 200
    try:
        page = pagination.parse({"page": request.args.get("page", "")},
                                default_limit=PAGE_SIZE)
        rows, total = customer_queries.list_customers(g.workspace, search=search or None,
                                                     offset=page.offset, limit=page.limit)
    except Invalid as exc:
        error, status = " ".join(f"{k}: {v}." for k, v in exc.fields.items()), exc.status
        page, rows, total = pagination.Page(1, PAGE_SIZE), [], 0
    known = customers.refs(rows)
    return render_template(
        T + "index.html", rows=[customers.serialize(c, known) for c in rows], total=total,
        page=page, pages=max(1, -(-total // PAGE_SIZE)), search=search, error=error,
        pager_args={"search": search} if search else {},
    ), status


@bp.get("/customers/<customer_id>")
@workspace_required
def detail(customer_id: str):
    customer = customers.find(g.workspace, customer_id)
    return render_template(
        T + "detail.html", customer=customers.serialize(customer),
        journey=customer_journey.journey(customer),
        attribution=customer_journey.attribution(customer), models=MODEL_LABELS,
        form=ActionForm())


def _render_form(form: CustomerForm, customer: Customer, error: str | None = None,
                 status: int = 200):
    return render_template(T + "form.html", form=form, customer=customer, error=error), status


@bp.route("/customers/<customer_id>/edit", methods=["GET", "POST"])
@workspace_required
def edit(customer_id: str):
    require_role("editor")
    customer = customers.find(g.workspace, customer_id)
    if request.method == "GET":
        return _render_form(CustomerForm(formdata=None, data=_initial(customer)), customer)
    form = CustomerForm()
    if not form.validate():
        return _render_form(form, customer, status=400)
    before = api_data(CustomerForm(formdata=None, data=_initial(customer)), FIELDS)
    data = changed(api_data(form, FIELDS), before)
    try:
        customers.update(g.workspace, g.user, customer, data)
    except ApiError as exc:
        return _render_form(form, customer, copy_errors(form, exc), exc.status)
    flash("Customer saved." if data else "Nothing changed.", "success")
    return redirect(url_for(".detail", customer_id=customer.public_id))


@bp.post("/customers/<customer_id>/recalculate")
@workspace_required
def recalculate(customer_id: str):
    require_role("editor")
    customer = customers.find(g.workspace, customer_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    customers.recalculate(g.workspace, g.user, customer)
    flash("Lifetime value recalculated from the approved conversions.", "success")
    return redirect(url_for(".detail", customer_id=customer.public_id))


@bp.route("/customers/<customer_id>/delete", methods=["GET", "POST"])
@workspace_required
def delete(customer_id: str):
    """GET asks; POST deletes (personal data erased, revenue kept in the reports)."""
    require_role("editor")
    customer = customers.find(g.workspace, customer_id)
    form = ActionForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        customers.delete(g.workspace, g.user, customer)
        flash("Customer deleted; their personal data is erased.", "success")
        return redirect(url_for(".index"))
    label = customer.name or customer.email or customer.external_id
    return render_template(
        "dashboard/links/confirm.html", form=form, error=None, force_button=None,
        title="Delete this customer?", heading=label, button="Delete customer",
        cancel=url_for(".detail", customer_id=customer.public_id),
        lead="Their e-mail, name, avatar, metadata and external id are erased at once. Their "
             "conversions and revenue stay in the reports.")
