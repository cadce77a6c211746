"""Shared pieces of the links-and-routing dashboard forms: API field names <-> form field
names, a service's errors copied beside the fields, the editor check and a CSRF-only form.
No business rule lives here: every check is the services'."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from flask import g
from flask_wtf import FlaskForm
from wtforms import Field, HiddenField
from wtforms.fields.choices import SelectChoice

from linkhub import pagination
from linkhub.auth import role_at_least
from linkhub.errors import ApiError, Invalid

# Enough rows for a <select> of the workspace's tags, folders, campaigns, ...
CHOICE_ROWS = pagination.Page(page=1, limit=1000)
# Error codes that belong beside one field rather than above the form.
CODE_FIELDS = {"SHORT_CODE_EXISTS": "short_code"}


class ActionForm(FlaskForm):
    """A button-only form: CSRF and nothing else."""


def options(pairs: Iterable[tuple[Any, str]]) -> list[SelectChoice]:
    """<select> choices from (value, label) pairs."""
    return [SelectChoice(str(value), label) for value, label in pairs]


def snake(name: str) -> str:
    """`utmTemplateId` -> `utm_template_id` (API name -> form field name)."""
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


def camel(name: str) -> str:
    """`utm_template_id` -> `utmTemplateId` (form field name -> API name)."""
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def can_edit() -> bool:
    """Editors and up write links, rules, campaigns, domains, tags, folders and templates."""
    return role_at_least(g.get("role"), "editor")


def editor_context() -> dict[str, Any]:
    return {"can_edit": can_edit()}


def sentence(message: str) -> str:
    message = message[:1].upper() + message[1:]
    return message if message.endswith((".", "?", "!")) else message + "."


def copy_errors(form: FlaskForm, exc: ApiError,
                names: Mapping[str, str] | None = None) -> str | None:
    """Put a service's field errors beside the form's fields (API names translated with
    `names`, else snake_cased); returns the message that belongs to no field, if any."""
    names = names or {}
    if not isinstance(exc, Invalid):
        target = getattr(form, CODE_FIELDS.get(exc.code, ""), None)
        if isinstance(target, Field):
            target.errors = [*target.errors, sentence(exc.message)]
            return None
        return exc.message
    leftover = []
    for name, message in exc.fields.items():
        target = getattr(form, names.get(name, snake(name)), None)
        if isinstance(target, Field) and not isinstance(target, HiddenField):  # shown
            target.errors = [*target.errors, sentence(message)]
        else:
            leftover.append(f"{name}: {message}")
    return ("; ".join(leftover) + ".") if leftover else None


def message_of(exc: ApiError) -> str:
    """One sentence for an error that has no form to sit in."""
    if isinstance(exc, Invalid) and exc.fields:
        return " ".join(sentence(f"{k}: {v}") for k, v in exc.fields.items())
    return exc.message


def text_or_none(value: Any) -> Any:
    """Form text as the API takes it: stripped, and empty means null."""
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def api_data(form: FlaskForm, fields: Iterable[str]) -> dict[str, Any]:
    """{apiName: value} for the named form fields (texts stripped, empty -> None)."""
    return {camel(name): text_or_none(getattr(form, name).data) for name in fields}


def changed(new: Mapping[str, Any], old: Mapping[str, Any]) -> dict[str, Any]:
    """The keys of `new` whose value differs from `old` (what an edit form really changed)."""
    return {key: value for key, value in new.items() if old.get(key) != value}
