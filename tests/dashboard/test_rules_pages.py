"""Dashboard rule builder: a link's rules and the shared rules (list, order and switches, add
and edit with condition rows with and without JavaScript, delete, attach/detach) and the
"test this visitor" panel, through the test client for each role, plus a browser test."""

from __future__ import annotations

import pytest

from linkhub.models import LinkRule, Rule
from linkhub.services import rules
from tests.conftest import db_snapshot
from tests.dashboard.test_links_pages import (  # noqa: F401 (viewer is a fixture)
    Signed,
    browser_login,
    make_link,
    nav,
    text,
    viewer,
)

IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1")
RULE = {"name": "DE mobile", "destination_url": "https://example.com/de",
        "condition_logic": "AND",
        "conditions-0-field": "country", "conditions-0-operator": "equals",
        "conditions-0-value": "de",
        "conditions-1-field": "deviceType", "conditions-1-operator": "equals",
        "conditions-1-value": "mobile", "enabled": "y", "save": "1"}


def rule_for(link, **data):
    return rules.create_rule(link.workspace, None, {
        "linkId": link.public_id, "name": "Germany", "destinationUrl": "https://example.com/de",
        "conditions": [{"field": "country", "operator": "equals", "value": "DE"}], **data})


def shared_rule(workspace, name="Shared FR"):
    return rules.create_rule(workspace, None, {
        "name": name, "destinationUrl": "https://example.com/fr",
        "conditions": [{"field": "country", "operator": "in", "value": ["FR", "BE"]}]})


def test_builder_page_lists_fields_grouped_and_marked(app, ctx, alice):
    link = make_link(alice.workspace, shortCode="rules")
    me = Signed(app, alice.email)
    page = text(me.get(f"/app/links/{link.public_id}/rules"))
    assert "No rules yet" in page and "Test this visitor" in page
    assert '<meta name="csrf-token"' in page
    form = text(me.get(f"/app/links/{link.public_id}/rules/new"))
    assert '<optgroup label="Location">' in form and '<optgroup label="Device">' in form
    assert "isp (needs database)" in form and 'data-kind="boolean"' in form
    assert ">Field 1</label>" in form and ">Operator 1</label>" in form
    assert "Query parameter…" in form and 'id="cond-template"' in form


def test_create_a_link_rule_with_two_conditions(app, ctx, alice):
    link = make_link(alice.workspace, shortCode="two")
    me = Signed(app, alice.email)
    response = me.post(f"/app/links/{link.public_id}/rules/new", RULE)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/app/links/{link.public_id}/rules"
    rule = Rule.get(Rule.name == "DE mobile")
    assert rule.link_id == link.id and rule.condition_logic == "AND"
    assert [c["field"] for c in rule.tree["conditions"]] == ["country", "deviceType"]
    assert rule.tree["conditions"][0]["value"] == "DE"
    page = text(me.get(response.headers["Location"]))
    assert "DE mobile" in page and "Rule “DE mobile” added." in page
    assert "deviceType" in page and 'name="priority-' in page


def test_add_and_remove_rows_without_javascript(app, ctx, alice):
    link = make_link(alice.workspace, shortCode="nojs")
    me = Signed(app, alice.email)
    base = {"name": "X", "conditions-0-field": "country", "conditions-0-operator": "equals",
            "conditions-0-value": "DE"}
    before = db_snapshot(app)
    page = text(me.post(f"/app/links/{link.public_id}/rules/new", base, add_condition="1"))
    assert 'name="conditions-1-field"' in page and 'value="DE"' in page
    both = {**base, "conditions-1-field": "os", "conditions-1-operator": "equals",
            "conditions-1-value": "iOS"}
    page = text(me.post(f"/app/links/{link.public_id}/rules/new", both, remove_condition="0"))
    assert 'name="conditions-1-field"' not in page and 'value="iOS"' in page
    assert db_snapshot(app) == before


def test_wrong_operator_for_the_field_is_shown_on_its_row(app, ctx, alice):
    link = make_link(alice.workspace, shortCode="badop")
    me = Signed(app, alice.email)
    before = db_snapshot(app)
    response = me.post(f"/app/links/{link.public_id}/rules/new", {
        **RULE, "conditions-1-operator": "greater_than", "conditions-0-value": "Germany"})
    assert response.status_code == 400
    page = text(response)
    assert "reater_than is not allowed for deviceType" in page
    assert "Must be a two-letter country code" in page
    assert db_snapshot(app) == before
    response = me.post(f"/app/links/{link.public_id}/rules/new", {"name": "", "save": "1"})
    assert response.status_code == 400 and 'id="name-error"' in text(response)


def test_edit_rule_and_save_order(app, ctx, alice):
    link = make_link(alice.workspace, shortCode="order")
    first, second = rule_for(link, priority=10), rule_for(link, name="Second", priority=20)
    me = Signed(app, alice.email)
    page = text(me.get(f"/app/rules/{first.public_id}/edit"))
    assert 'value="Germany"' in page and 'value="DE"' in page
    response = me.post(f"/app/rules/{first.public_id}/edit", {
        "name": "Germany only", "destination_url": "https://example.com/de",
        "condition_logic": "OR", "priority": "10", "enabled": "y",
        "conditions-0-field": "country", "conditions-0-operator": "in",
        "conditions-0-value": "DE, AT"})
    assert response.status_code == 302
    rule = Rule.get_by_id(first.id)
    assert rule.name == "Germany only" and rule.tree["conditions"][0]["value"] == ["DE", "AT"]
    order = f"/app/links/{link.public_id}/rules/order"
    response = me.post(order, {f"priority-{first.public_id}": "30",
                               f"priority-{second.public_id}": "5",
                               f"enabled-{second.public_id}": "on"})
    assert response.status_code == 302
    assert [r.name for r in rules.list_rules(alice.workspace, link_id=link.public_id)[0]] == [
        "Second", "Germany only"]
    assert Rule.get_by_id(first.id).enabled is False
    before = db_snapshot(app)
    response = me.post(order, {f"priority-{first.public_id}": "1",
                               f"priority-{second.public_id}": "5000"})
    assert response.status_code == 400 and "Second" in text(response)
    assert Rule.get_by_id(first.id).priority == 30 and db_snapshot(app) == before


def test_test_panel_without_javascript(app, ctx, alice):
    link = make_link(alice.workspace, shortCode="tester")
    me = Signed(app, alice.email)
    me.post(f"/app/links/{link.public_id}/rules/new", RULE)
    path = f"/app/links/{link.public_id}/rules/test"
    page = text(me.post(path, {"visitor-country": "DE", "visitor-user_agent": IPHONE}))
    assert 'data-outcome="matched"' in page and "Matched: DE mobile" in page
    page = text(me.post(path, {"visitor-country": "US", "visitor-user_agent": IPHONE,
                               "visitor-query": "utm_source=x&a=1&a=2"}))
    assert 'data-outcome="none"' in page and "No rule matched" in page
    response = me.post(path, {"visitor-country": "Germany"})
    assert response.status_code == 400 and 'id="visitor-country-error"' in text(response)


def test_shared_rules_attach_detach_and_rule_in_use(app, ctx, alice):
    link = make_link(alice.workspace, shortCode="shared")
    rule = shared_rule(alice.workspace)
    me = Signed(app, alice.email)
    assert "Shared FR" in text(me.get("/app/rules"))
    page = text(me.get(f"/app/links/{link.public_id}/rules"))
    assert "Attach a shared rule" in page
    me.post(f"/app/links/{link.public_id}/rules/attach", rule_id=rule.public_id)
    assert LinkRule.select().where(LinkRule.rule == rule).count() == 1
    assert "used by 1 link" in text(me.get("/app/rules"))
    response = me.post(f"/app/rules/{rule.public_id}/delete")
    assert response.status_code == 400
    assert "attached to 1 link(s)" in text(response) and "shared" in text(response)
    me.post(f"/app/links/{link.public_id}/rules/{rule.public_id}/detach")
    assert LinkRule.select().count() == 0
    assert "Delete this rule?" in text(me.get(f"/app/rules/{rule.public_id}/delete"))
    assert me.post(f"/app/rules/{rule.public_id}/delete").status_code == 302
    assert Rule.get_by_id(rule.id).deleted_at is not None


def test_create_a_shared_rule(app, alice):
    me = Signed(app, alice.email)
    response = me.post("/app/rules/new", {**RULE, "name": "Everyone mobile"})
    assert response.status_code == 302 and response.headers["Location"] == "/app/rules"
    rule = Rule.get(Rule.name == "Everyone mobile")
    assert rule.link_id is None and rule.campaign_id is None


@pytest.mark.usefixtures("viewer")
def test_viewer_sees_rules_read_only(app, ctx, alice):
    link = make_link(alice.workspace, shortCode="ro")
    rule = rule_for(link)
    vic = Signed(app, "vic@example.com")
    page = text(vic.get(f"/app/links/{link.public_id}/rules"))
    assert "Germany" in page and "Add rule" not in page and 'name="priority-' not in page
    assert "Run test" in page  # reading and testing is fine
    assert 'data-outcome="matched"' in text(vic.post(
        f"/app/links/{link.public_id}/rules/test", {"visitor-country": "DE"}))
    before = db_snapshot(app)
    for path, data in ((f"/app/links/{link.public_id}/rules/new", RULE),
                       (f"/app/rules/{rule.public_id}/edit", RULE),
                       (f"/app/rules/{rule.public_id}/delete", {}),
                       (f"/app/links/{link.public_id}/rules/order", {}),
                       ("/app/rules/new", RULE)):
        assert vic.post(path, data).status_code == 403, path
    assert vic.get(f"/app/rules/{rule.public_id}/edit").status_code == 403
    assert db_snapshot(app) == before


def test_csrf_and_other_workspaces(app, ctx, alice, charlie):
    link = make_link(alice.workspace, shortCode="mine")
    theirs = rule_for(make_link(charlie.workspace, shortCode="theirs"))
    me = Signed(app, alice.email)
    before = db_snapshot(app)
    assert me.client.post(f"/app/links/{link.public_id}/rules/new",
                          data=RULE).status_code == 400
    assert me.get(f"/app/rules/{theirs.public_id}/edit").status_code == 404
    assert me.post(f"/app/rules/{theirs.public_id}/delete").status_code == 404
    assert db_snapshot(app) == before


# --- in a browser ---------------------------------------------------------------------------

@pytest.mark.browser
def test_browser_build_a_rule_and_test_visitors(page, ctx, alice):
    link = make_link(alice.workspace, shortCode="builder", title="Builder")
    browser_login(page, alice.email)
    page.goto(f"/app/links/{link.public_id}")
    page.get_by_role("link", name="Add a rule").click()
    page.get_by_label("Rule name").fill("DE mobile")
    page.get_by_label("Send matching visitors to").fill("https://example.com/de")
    page.get_by_label("Field 1", exact=True).select_option("country")
    operator = page.get_by_label("Operator 1", exact=True)
    assert operator.locator("option[value=greater_than]").is_disabled()  # filtered by kind
    operator.select_option("equals")
    page.get_by_label("Value 1", exact=True).fill("DE")
    page.get_by_role("button", name="+ Add condition").click()
    page.get_by_label("Field 2", exact=True).select_option("deviceType")
    page.get_by_label("Operator 2", exact=True).select_option("equals")
    page.get_by_label("Value 2", exact=True).fill("mobile")
    page.screenshot(path="/tmp/shots/rule-form.png", full_page=True)
    page.get_by_role("button", name="Add rule").click()
    page.wait_for_url(f"**/app/links/{link.public_id}/rules")
    assert page.get_by_text("Rule “DE mobile” added.").is_visible()

    page.get_by_label("Country").fill("DE")
    page.get_by_label("User agent").fill(IPHONE)
    page.get_by_role("button", name="Run test").click()
    outcome = page.locator(".test-outcome")
    outcome.wait_for()
    assert outcome.get_attribute("data-outcome") == "matched"
    assert "Matched: DE mobile" in outcome.inner_text()
    assert page.locator(".cond-results li.ok").count() == 2
    page.screenshot(path="/tmp/shots/rules.png", full_page=True)

    page.get_by_label("Country").fill("US")
    page.get_by_role("button", name="Run test").click()
    page.locator('.test-outcome[data-outcome="none"]').wait_for()
    assert "No rule matched" in page.locator(".test-outcome").inner_text()
    assert page.url.endswith(f"/app/links/{link.public_id}/rules")  # JavaScript ran it
    nav(page, "Rules")
    assert page.get_by_role("heading", name="Shared rules").is_visible()
