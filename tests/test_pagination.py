"""pagination: page >= 1, limit 1..max (default 20), anything else a 400 naming the field."""

import pytest

from linkhub import pagination
from linkhub.errors import Invalid
from linkhub.pagination import Page


def test_defaults():
    assert pagination.parse({}) == Page(page=1, limit=20)
    assert pagination.parse({"page": "", "limit": ""}) == Page(page=1, limit=20)


def test_values_and_offset():
    page = pagination.parse({"page": "3", "limit": "25"})
    assert page == Page(3, 25) and page.offset == 50
    assert pagination.parse({"page": "007"}).page == 7
    last = pagination.parse({"page": str(pagination.MAX_PAGE), "limit": "100"})
    assert last.offset < 2 ** 63
    assert pagination.parse({"limit": "100"}).limit == 100
    assert pagination.parse({"limit": "1"}).limit == 1


def test_module_maxima_and_defaults():
    assert pagination.parse({}, default_limit=50, max_limit=500).limit == 50
    assert pagination.parse({"limit": "500"}, max_limit=500).limit == 500
    with pytest.raises(Invalid):
        pagination.parse({"limit": "501"}, max_limit=500)


@pytest.mark.parametrize("args, field", [
    ({"page": "0"}, "page"), ({"page": "-1"}, "page"), ({"page": "abc"}, "page"),
    ({"page": "1.5"}, "page"), ({"limit": "0"}, "limit"), ({"limit": "101"}, "limit"),
    ({"limit": "abc"}, "limit"), ({"limit": "-5"}, "limit"), ({"page": "1_0"}, "page"),
    ({"page": " 2"}, "page"), ({"page": "+2"}, "page"), ({"page": "\uff11"}, "page"),
    ({"limit": "1e2"}, "limit"), ({"page": "1000000001"}, "page"),
    ({"page": "99999999999999999999999"}, "page"), ({"page": "-99999999999999999999"}, "page"),
    ({"page": "9" * 5000}, "page"),
])
def test_bad_values_are_validation_errors_naming_the_field(args, field):
    with pytest.raises(Invalid) as caught:
        pagination.parse(args)
    err = caught.value
    assert err.status == 400 and err.code == "VALIDATION_ERROR"
    assert list(err.fields) == [field]
    assert field in err.message


def test_sort_order():
    allowed = ("createdAt", "title")
    assert pagination.sort_order({}, allowed, "createdAt") == ("createdAt", "desc")
    assert pagination.sort_order({"sortBy": "title", "sortOrder": "ASC"}, allowed,
                                 "createdAt") == ("title", "asc")
    with pytest.raises(Invalid) as caught:
        pagination.sort_order({"sortBy": "nope"}, allowed, "createdAt")
    assert caught.value.fields.keys() == {"sortBy"}
    with pytest.raises(Invalid) as caught:
        pagination.sort_order({"sortOrder": "up"}, allowed, "createdAt")
    assert caught.value.fields.keys() == {"sortOrder"}
