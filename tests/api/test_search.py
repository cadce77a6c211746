"""GET /api/search: each kind found by its fields, bm25 ranking and last-term prefixes, the
index following every write (update, tag rename, soft delete, hard delete), another
workspace's rows never found, hostile query text never a 500, types/limit/scopes, and the
migration's back-fill of rows that existed before it."""

from __future__ import annotations

import importlib

import pytest

from linkhub.schemas.search import SearchOut
from tests.api.links_support import api_key, create, in_app


def search(client, persona, q, status=200, **params):
    response = client.get("/api/search", query_string={"q": q, **params},
                          headers=persona.headers)
    assert response.status_code == status, response.get_json()
    body = response.get_json()
    if status == 200:
        SearchOut.model_validate(body["data"])
        return body["data"]["hits"]
    return body


def ids_of(hits) -> list[str]:
    return [hit["id"] for hit in hits]


def post(client, persona, path, body, status=201):
    response = client.post(path, json=body, headers=persona.headers)
    assert response.status_code == status, response.get_json()
    return response.get_json()["data"]


# --- each kind --------------------------------------------------------------------------------

def test_links_are_found_by_each_field(client, alice):
    link = create(client, alice, shortCode="spring-drop", title="Garden catalogue",
                  destinationUrl="https://florist.example/tulips", notes="printed flyer",
                  tags=["seasonal"])
    for q in ("garden", "spring-drop", "spring", "florist", "tulips", "flyer", "seasonal",
              "catalogue tulips"):
        assert ids_of(search(client, alice, q)) == [link["id"]], q
    hit = search(client, alice, "garden")[0]
    assert hit == {"type": "link", "id": link["id"], "title": "Garden catalogue",
                   "subtitle": f"{link['shortUrl']} → https://florist.example/tulips",
                   "url": f"/app/links/{link['id']}"}


def test_campaigns_customers_and_domains_are_found(client, alice):
    campaign = post(client, alice, "/api/campaigns", {"name": "Black Friday",
                                                      "description": "doorbusters"})
    customer = post(client, alice, "/api/customers", {"externalId": "crm-4711",
                                                      "email": "jane.doe@mail.example",
                                                      "name": "Jane Doe"})
    domain = post(client, alice, "/api/domains", {"name": "go.brandname.example"})
    assert search(client, alice, "friday") == [{
        "type": "campaign", "id": campaign["id"], "title": "Black Friday",
        "subtitle": "Campaign · active", "url": f"/app/campaigns/{campaign['id']}/edit"}]
    assert ids_of(search(client, alice, "doorbusters")) == [campaign["id"]]
    for q in ("jane", "jane.doe@mail", "crm-4711", "4711"):
        hits = search(client, alice, q)
        assert ids_of(hits) == [customer["id"]], q
    assert hits[0]["url"] == f"/app/customers/{customer['id']}"
    assert hits[0]["subtitle"] == "jane.doe@mail.example · crm-4711"
    hits = search(client, alice, "brandname")
    assert ids_of(hits) == [domain["id"]] and hits[0]["type"] == "domain"
    assert hits[0]["url"] == f"/app/domains/{domain['id']}"


def test_prefixes_diacritics_and_all_terms(client, alice):
    creme = create(client, alice, title="Crème brûlée recipe")
    summer = create(client, alice, title="Summer sale")
    assert ids_of(search(client, alice, "creme")) == [creme["id"]]
    assert ids_of(search(client, alice, "BRÛLÉE")) == [creme["id"]]
    assert ids_of(search(client, alice, "summ")) == [summer["id"]]  # the last term is a prefix
    assert search(client, alice, "summ sale") == []  # only the last one
    assert ids_of(search(client, alice, "sale summ")) == [summer["id"]]
    assert search(client, alice, "summer recipe") == []  # every term must match


def test_title_matches_rank_above_body_matches(client, alice):
    in_notes = create(client, alice, title="Other thing", notes="about kayaks and more")
    in_title = create(client, alice, title="Kayaks")
    in_url = create(client, alice, title="Boats", destinationUrl="https://shop.example/kayaks")
    assert ids_of(search(client, alice, "kayaks"))[0] == in_title["id"]
    assert set(ids_of(search(client, alice, "kayaks"))) == {in_notes["id"], in_title["id"],
                                                             in_url["id"]}


def test_bulk_created_links_are_searchable(client, alice):
    response = client.post("/api/links/bulk", headers=alice.headers, json={"links": [
        {"destinationUrl": f"https://shop.example/{i}", "title": f"Item {i} walrus"}
        for i in range(30)]})
    assert response.status_code == 201
    assert len(search(client, alice, "walrus", limit="50")) == 30


# --- isolation ----------------------------------------------------------------------------------

def test_another_workspaces_rows_are_never_found(client, alice, charlie):
    mine = create(client, alice, title="Zebra mine")
    theirs = create(client, charlie, title="Zebra theirs", notes="zebra zebra zebra")
    post(client, charlie, "/api/campaigns", {"name": "Zebra campaign"})
    post(client, charlie, "/api/customers", {"externalId": "zebra-1", "name": "Zebra Person"})
    post(client, charlie, "/api/domains", {"name": "zebra.example"})
    assert ids_of(search(client, alice, "zebra", limit="50")) == [mine["id"]]
    found = search(client, charlie, "zebra", limit="50")
    assert len(found) == 4 and theirs["id"] in ids_of(found) and mine["id"] not in ids_of(found)


# --- the index follows writes -----------------------------------------------------------------

def test_the_index_follows_link_changes(client, alice):
    link = create(client, alice, title="Orchid", tags=["flora"])
    client.patch(f"/api/links/{link['id']}", json={"title": "Cactus"}, headers=alice.headers)
    assert search(client, alice, "orchid") == []
    assert ids_of(search(client, alice, "cactus")) == [link["id"]]
    assert ids_of(search(client, alice, "flora")) == [link["id"]]  # tags survive an edit
    tag = client.get("/api/tags", headers=alice.headers).get_json()["data"][0]
    client.patch(f"/api/tags/{tag['id']}", json={"name": "succulents"}, headers=alice.headers)
    assert search(client, alice, "flora") == []
    assert ids_of(search(client, alice, "succulents")) == [link["id"]]
    client.patch(f"/api/links/{link['id']}", json={"tags": []}, headers=alice.headers)
    assert search(client, alice, "succulents") == []
    client.post(f"/api/links/{link['id']}/archive", headers=alice.headers)
    assert search(client, alice, "cactus")[0]["subtitle"].endswith("· archived")
    client.delete(f"/api/links/{link['id']}", headers=alice.headers)
    assert search(client, alice, "cactus") == []


def test_a_deleted_tag_leaves_the_index(client, alice):
    link = create(client, alice, title="Lamp", tags=["lighting"])
    tag = client.get("/api/tags", headers=alice.headers).get_json()["data"][0]
    assert client.delete(f"/api/tags/{tag['id']}", headers=alice.headers).status_code == 200
    assert search(client, alice, "lighting") == []
    assert ids_of(search(client, alice, "lamp")) == [link["id"]]


def test_the_index_follows_other_kinds(client, alice):
    campaign = post(client, alice, "/api/campaigns", {"name": "Autumn"})
    client.patch(f"/api/campaigns/{campaign['id']}", json={"name": "Winter"},
                 headers=alice.headers)
    assert search(client, alice, "autumn") == []
    assert ids_of(search(client, alice, "winter")) == [campaign["id"]]
    client.delete(f"/api/campaigns/{campaign['id']}", headers=alice.headers)
    assert search(client, alice, "winter") == []
    customer = post(client, alice, "/api/customers", {"externalId": "c-1", "name": "Otto"})
    client.delete(f"/api/customers/{customer['id']}", headers=alice.headers)
    assert search(client, alice, "otto") == []
    domain = post(client, alice, "/api/domains", {"name": "links.gadget.example"})
    client.delete(f"/api/domains/{domain['id']}", headers=alice.headers)
    assert search(client, alice, "gadget") == []


# --- hostile and bad input ----------------------------------------------------------------------

HOSTILE = ['"', '""', "*", "AND", "OR", "NOT", "NEAR(", "NEAR(a b", "(", ")", "((a)", "a)",
           '"unbalanced', "title:x", "body:x", "-x", "^x", "a AND", "OR b", "{a b}", "a + b",
           "'; DROP TABLE link; --", "\\", "a*b", "x:y:z", "NEAR(\"a\" \"b\", 2)", "🙂",
           "%", "_", "a\"b", "\x00"]


@pytest.mark.parametrize("q", HOSTILE)
def test_fts_syntax_in_q_is_text(client, alice, q):
    create(client, alice, title="Rock AND Roll x")
    hits = search(client, alice, q)
    assert isinstance(hits, list)


def test_operator_words_are_plain_words(client, alice):
    link = create(client, alice, title="Rock AND Roll")
    assert ids_of(search(client, alice, "and")) == [link["id"]]
    assert ids_of(search(client, alice, "rock AND")) == [link["id"]]
    assert ids_of(search(client, alice, "(rock roll)")) == [link["id"]]
    assert ids_of(search(client, alice, '"rock" "roll*')) == [link["id"]]


def test_bad_parameters_are_400(client, alice):
    assert search(client, alice, "", 400)["error"]["details"][0]["field"] == "q"
    assert search(client, alice, "   ", 400)["error"]["code"] == "VALIDATION_ERROR"
    assert search(client, alice, "x" * 201, 400)["error"]["details"][0]["field"] == "q"
    for limit in ("0", "51", "ten", "-1"):
        body = search(client, alice, "x", 400, limit=limit)
        assert body["error"]["details"][0]["field"] == "limit"
    assert search(client, alice, "x", 400, types="links,planets")["error"]["code"] == \
        "VALIDATION_ERROR"
    response = client.get("/api/search", headers=alice.headers)
    assert response.status_code == 400


def test_types_and_limit(client, alice):
    link = create(client, alice, title="Falcon")
    campaign = post(client, alice, "/api/campaigns", {"name": "Falcon launch"})
    assert ids_of(search(client, alice, "falcon", types="campaign")) == [campaign["id"]]
    assert ids_of(search(client, alice, "falcon", types="links")) == [link["id"]]
    assert len(search(client, alice, "falcon", limit="1")) == 1
    response = client.get("/api/search?q=falcon", headers=alice.headers).get_json()["data"]
    assert response["types"] == ["link", "campaign", "customer", "domain"]


def test_a_key_searches_only_what_it_may_read(client, app, alice):
    create(client, alice, title="Heron")
    post(client, alice, "/api/customers", {"externalId": "h-1", "name": "Heron Person"})
    headers = api_key(app, alice, ["links:read"])
    response = client.get("/api/search?q=heron", headers=headers)
    assert [h["type"] for h in response.get_json()["data"]["hits"]] == ["link"]
    response = client.get("/api/search?q=heron&types=customer", headers=headers)
    assert response.status_code == 403
    nothing = api_key(app, alice, ["webhooks:read"])
    assert client.get("/api/search?q=heron", headers=nothing).status_code == 403


def test_anonymous_is_401(client):
    assert client.get("/api/search?q=x").status_code == 401


# --- the migration's back-fill --------------------------------------------------------------

def test_the_migration_indexes_rows_that_already_exist(client, app, alice):
    link = create(client, alice, title="Pelican", tags=["birds"])
    campaign = post(client, alice, "/api/campaigns", {"name": "Pelican campaign"})
    module = importlib.import_module("linkhub.migrations.0018_search")
    with in_app(app):
        database = app.extensions["linkhub.db"]
        names = [r[0] for r in database.execute_sql(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'search_%'")]
        with database.atomic():
            for name in names:
                database.execute_sql(f'DROP TRIGGER "{name}"')
            database.execute_sql("DROP TABLE search_index")
            module.up(database, None)
    assert ids_of(search(client, alice, "birds")) == [link["id"]]
    assert set(ids_of(search(client, alice, "pelican"))) == {link["id"], campaign["id"]}
