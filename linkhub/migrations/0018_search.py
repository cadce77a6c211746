"""Global search: an FTS5 table over links (title and code; destination, description, notes and
tag names), campaigns (name; description), customers (name; e-mail and external id) and domains
(name), kept in sync by SQL triggers and back-filled here. No model: services/search.py reads it.

The FTS rowid is `<source id> * 8 + <kind number>` (link 0, campaign 1, customer 2, domain 3), so
a trigger replaces one entry by rowid (FTS5 finds UNINDEXED columns only by scanning). Deleted
links and customers have no entry. Link triggers fire only on the searched columns, never on the
click writer's counter updates."""

KINDS = {"link": 0, "campaign": 1, "customer": 2, "domain": 3}

# kind -> (table, SELECT of the entry's columns from alias `s`, extra condition)
_TAGS = ("(SELECT group_concat(t.name, ' ') FROM link_tag lt JOIN tag t ON t.id = lt.tag_id "
         "WHERE lt.link_id = s.id)")
SOURCES = {
    "link": ("link",
             "coalesce(s.title, '') || ' ' || s.short_code",
             f"coalesce(s.destination_url, '') || ' ' || coalesce(s.description, '') || ' ' || "
             f"coalesce(s.notes, '') || ' ' || coalesce({_TAGS}, '')",
             "s.deleted_at IS NULL"),
    "campaign": ("campaign", "s.name", "coalesce(s.description, '')", "1"),
    "customer": ("customer", "coalesce(s.name, '')",
                 "coalesce(s.email, '') || ' ' || coalesce(s.external_id, '')",
                 "s.deleted_at IS NULL"),
    "domain": ("domain", "s.name", "''", "1"),
}
# The columns whose change re-indexes a row.
WATCHED = {
    "link": "workspace_id, short_code, title, description, destination_url, notes, deleted_at",
    "campaign": "workspace_id, name, description",
    "customer": "workspace_id, name, email, external_id, deleted_at",
    "domain": "workspace_id, name",
}


def _insert(kind: str, where: str) -> str:
    table, title, body, live = SOURCES[kind]
    return (f"INSERT INTO search_index (rowid, workspace_id, kind, ref_id, title, body) "
            f"SELECT s.id * 8 + {KINDS[kind]}, s.workspace_id, '{kind}', s.id, {title}, {body} "
            f'FROM "{table}" s WHERE {live} AND {where}')


def _delete(kind: str, id_expr: str) -> str:
    return f"DELETE FROM search_index WHERE rowid = {id_expr} * 8 + {KINDS[kind]}"


def _triggers(kind: str) -> list[str]:
    table = SOURCES[kind][0]
    return [
        f'CREATE TRIGGER "search_{kind}_ai" AFTER INSERT ON "{table}" BEGIN '
        f"{_insert(kind, 's.id = NEW.id')}; END",
        f'CREATE TRIGGER "search_{kind}_au" AFTER UPDATE OF {WATCHED[kind]} ON "{table}" BEGIN '
        f"{_delete(kind, 'OLD.id')}; {_insert(kind, 's.id = NEW.id')}; END",
        f'CREATE TRIGGER "search_{kind}_ad" AFTER DELETE ON "{table}" BEGIN '
        f"{_delete(kind, 'OLD.id')}; END",
    ]


def _refresh_link(id_expr: str) -> str:
    return f"{_delete('link', id_expr)}; {_insert('link', f's.id = {id_expr}')}"


STATEMENTS = [
    "CREATE VIRTUAL TABLE search_index USING fts5(workspace_id UNINDEXED, kind UNINDEXED, "
    "ref_id UNINDEXED, title, body, tokenize = 'unicode61 remove_diacritics 2')",
    *(statement for kind in KINDS for statement in _triggers(kind)),
    # tags are part of a link's entry
    'CREATE TRIGGER "search_link_tag_ai" AFTER INSERT ON "link_tag" BEGIN '
    f"{_refresh_link('NEW.link_id')}; END",
    'CREATE TRIGGER "search_link_tag_ad" AFTER DELETE ON "link_tag" BEGIN '
    f"{_refresh_link('OLD.link_id')}; END",
    'CREATE TRIGGER "search_tag_au" AFTER UPDATE OF name ON "tag" BEGIN '
    "DELETE FROM search_index WHERE rowid IN "
    "(SELECT link_id * 8 FROM link_tag WHERE tag_id = NEW.id); "
    f"{_insert('link', 's.id IN (SELECT link_id FROM link_tag WHERE tag_id = NEW.id)')}; END",
    # back-fill what exists
    *(_insert(kind, "1") for kind in KINDS),
]


def up(db, migrator):
    for statement in STATEMENTS:
        db.execute_sql(statement)
