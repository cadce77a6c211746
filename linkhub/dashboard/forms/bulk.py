"""Forms of the bulk operations page: rows pasted or uploaded, and links chosen from a list.
Translation only; services/bulk*.py check every row."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SelectField, SelectMultipleField, SubmitField, TextAreaField

from linkhub.dashboard.forms import options

ACTIONS = [("create", "Create links"), ("update", "Update links"), ("delete", "Delete links")]
CHANGES = [("delete", "Delete them"), ("disable", "Disable them"), ("enable", "Enable them"),
           ("campaign", "Move them to a campaign")]


class RowsForm(FlaskForm):
    action = SelectField("Action", choices=options(ACTIONS))
    rows = TextAreaField("Rows", render_kw={"rows": 8, "spellcheck": "false"})
    upload = FileField("Or upload a CSV or JSON file")
    check = SubmitField("Validate")
    run = SubmitField("Run")


class ChosenLinksForm(FlaskForm):
    link_ids = SelectMultipleField("Links", validate_choice=False)
    change = SelectField("With the chosen links", choices=options(CHANGES))
    campaign_id = SelectField("Campaign", validate_choice=False)
    check = SubmitField("Validate")
    run = SubmitField("Run")

    def items(self) -> tuple[str, list]:
        """(action, items) for services/bulk.py."""
        ids = list(self.link_ids.data or [])
        if self.change.data == "delete":
            return "delete", ids
        change = {"disable": {"enabled": False}, "enable": {"enabled": True},
                  "campaign": {"campaignId": self.campaign_id.data or None}}[self.change.data]
        return "update", [{"id": link_id, **change} for link_id in ids]
