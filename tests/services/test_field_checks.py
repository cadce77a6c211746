"""services/field_checks.checked: the shared run-every-check loop of the services' validation."""

import pytest

from linkhub.errors import Invalid
from linkhub.services.field_checks import boolean, checked


def _positive(value):
    if not isinstance(value, int) or value <= 0:
        raise Invalid(fields={"count": "must be a positive integer"})
    return value


def _name(value):
    if not isinstance(value, str) or not value.strip():
        raise Invalid(fields={"name": "must be a non-empty string"})
    return value.strip()


CHECKS = {"count": ("count_column", _positive), "name": ("name_column", _name)}


def test_clean_values_by_column_and_absent_fields_left_out():
    assert checked({"name": "  Ada "}, CHECKS) == {"name_column": "Ada"}
    assert checked({"count": 3, "name": "x", "other": 1}, CHECKS) == {"count_column": 3,
                                                                       "name_column": "x"}
    assert checked({}, CHECKS) == {}


def test_every_problem_reported_together():
    with pytest.raises(Invalid) as caught:
        checked({"count": 0, "name": " "}, CHECKS)
    assert caught.value.fields == {"count": "must be a positive integer",
                                   "name": "must be a non-empty string"}


def test_callers_problems_join_and_their_fields_are_not_checked_again():
    with pytest.raises(Invalid) as caught:
        checked({"count": None, "name": ""}, CHECKS, {"count": "cannot be null"})
    assert caught.value.fields == {"count": "cannot be null",
                                   "name": "must be a non-empty string"}
    with pytest.raises(Invalid) as caught:
        checked({"name": "fine"}, CHECKS, {"clickId": "must be a string"})
    assert caught.value.fields == {"clickId": "must be a string"}


def test_boolean_takes_only_json_true_or_false():
    assert boolean(True, "enabled") is True and boolean(False, "enabled") is False
    for value in (0, 1, "true", None, []):
        with pytest.raises(Invalid) as caught:
            boolean(value, "enabled")
        assert caught.value.fields == {"enabled": "must be true or false"}
