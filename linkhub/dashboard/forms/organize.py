"""Forms for tags, folders and UTM templates, and their translation to the API's field names
that services/tags.py, folders.py and utm_templates.py take."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length

from linkhub.dashboard.forms import api_data, options
from linkhub.models import Folder, Tag, UtmTemplate
from linkhub.services import folders, tags

# How the dashboard paints the palette names services/tags.py accepts.
PALETTE_HEX = {
    "red": "#ef4444", "orange": "#f97316", "amber": "#f59e0b", "yellow": "#eab308",
    "lime": "#84cc16", "green": "#22c55e", "teal": "#14b8a6", "cyan": "#06b6d4",
    "blue": "#3b82f6", "indigo": "#6366f1", "violet": "#8b5cf6", "purple": "#a855f7",
    "pink": "#ec4899", "gray": "#6b7280",
}
UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "ref")


def color_choices(current: str | None = None) -> list[SelectChoice]:
    choices = [("", "No colour")] + [(name, name.title()) for name in tags.PALETTE]
    if current and current not in tags.PALETTE:
        choices.append((current, current))
    return options(choices)


class TagForm(FlaskForm):
    name = StringField("Tag name", [Length(max=1000)])
    color = SelectField("Colour", choices=color_choices(), validate_choice=False)


class FolderForm(FlaskForm):
    name = StringField("Folder name", [Length(max=1000)])
    parent_id = SelectField("Inside", choices=[], validate_choice=False)
    color = SelectField("Colour", choices=color_choices(), validate_choice=False)


class UtmTemplateForm(FlaskForm):
    name = StringField("Template name", [Length(max=1000)])
    utm_source = StringField("utm_source", [Length(max=1000)])
    utm_medium = StringField("utm_medium", [Length(max=1000)])
    utm_campaign = StringField("utm_campaign", [Length(max=1000)])
    utm_term = StringField("utm_term", [Length(max=1000)])
    utm_content = StringField("utm_content", [Length(max=1000)])
    ref = StringField("ref", [Length(max=1000)])


def tag_data(form: TagForm) -> dict[str, Any]:
    return api_data(form, ("name", "color"))


def tag_initial(tag: Tag) -> dict[str, Any]:
    return {"name": tag.name, "color": tag.color or ""}


def folder_data(form: FolderForm) -> dict[str, Any]:
    return api_data(form, ("name", "color", "parent_id"))


def folder_initial(folder: Folder) -> dict[str, Any]:
    return {"name": folder.name, "color": folder.color or "",
            "parent_id": folders.parent_public_id(folder) or ""}


def fill_parents(form: FolderForm, rows: list[Folder], exclude: Folder | None = None) -> None:
    form.parent_id.choices = options([("", "Top level")] + [
        (f.public_id, f.name) for f in rows if exclude is None or f.id != exclude.id])


def template_data(form: UtmTemplateForm) -> dict[str, Any]:
    return api_data(form, ("name", *UTM_FIELDS))


def template_initial(row: UtmTemplate) -> dict[str, Any]:
    return {"name": row.name, **{name: getattr(row, name) or "" for name in UTM_FIELDS}}


def folder_tree(rows: list[Folder]) -> list[tuple[Folder, int]]:
    """Folders in tree order with their depth (children under their parent)."""
    by_parent: dict[int | None, list[Folder]] = {}
    known = {f.id for f in rows}
    for folder in rows:
        parent = folder.parent_id if folder.parent_id in known else None
        by_parent.setdefault(parent, []).append(folder)
    out: list[tuple[Folder, int]] = []

    def walk(parent: int | None, depth: int) -> None:
        for folder in by_parent.get(parent, []):
            out.append((folder, depth))
            if depth < folders.MAX_DEPTH:
                walk(folder.id, depth + 1)

    walk(None, 0)
    return out
