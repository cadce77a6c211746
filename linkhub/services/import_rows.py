"""Imported rows -> links, one chunk at a time inside the caller's transaction: the link field
rules (link_fields, short-code format), references by name (domain host, campaign, folder,
tags; created on first use) cached for the run, and the skip rules that make an import
idempotent. It writes links and their tags; it never commits and never touches the job row."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import peewee

from linkhub import clock, ids
from linkhub.db import database
from linkhub.errors import ApiError, Invalid
from linkhub.models import Campaign, Domain, Folder, Link, LinkTag, User, Workspace
from linkhub.redirect import cache
from linkhub.services import link_fields, short_codes, urls
from linkhub.services.import_refs import References

# API-named scalar fields link_fields.clean() understands.
SCALARS = frozenset({*link_fields.TEXTS, *link_fields.URLS, *link_fields.APP_LINKS,
                     *link_fields.SWITCHES, *link_fields.CHOICES,
                     "clicksLimit", "expiresAt", "password"})
# Fields naming other rows or handled here rather than by clean().
REFERENCES = frozenset({"shortCode", "domain", "domainId", "campaignId", "campaign",
                        "folderId", "folder", "tags", "archived"})
FIELDS = SCALARS | REFERENCES
_TARGETS = ("deep_link_ios", "deep_link_android", "deep_link_fallback_url")
_COLUMNS = [f for f in Link._meta.sorted_fields if f.name != "id"]
_DEFAULTS = {f.name: f.default for f in _COLUMNS if not callable(f.default)}
# One prepared statement for executemany: peewee's insert_many spends ~2.5 ms a row building
# SQL for Link's 50-odd columns, more than SQLite takes to store the row.
_INSERT = ('INSERT INTO "link" (' + ", ".join(f'"{f.column_name}"' for f in _COLUMNS)
           + ") VALUES (" + ", ".join("?" for _ in _COLUMNS) + ")")
_TAG_INSERT = (f'INSERT INTO "{LinkTag._meta.table_name}" ("{LinkTag.link.column_name}", '
               f'"{LinkTag.tag.column_name}") VALUES (?, ?)')
_DESTINATIONS = {name: column for name, (column, loops) in link_fields.URLS.items() if loops}


@dataclass
class RowProblem:
    row: int
    result: str  # skipped | failed
    short_code: str | None
    field: str | None
    message: str


@dataclass
class Created:
    row: int
    link_id: int
    public_id: str
    key: tuple[int, str]
    data: Mapping[str, Any]


@dataclass
class Outcome:
    created: list[Created] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)


@dataclass
class Checked:
    items: list[_Item] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)


@dataclass
class _Item:
    row: int
    data: Mapping[str, Any]
    values: dict[str, Any]
    code: str | None
    domain: Domain | None
    campaign: Campaign | str | None  # a row, or a name still to find or create
    folder: Folder | tuple[str, ...] | None  # a row, or a name path
    tags: list[str]
    archived: bool

    @property
    def key(self) -> tuple[int, str] | None:
        if self.code is None:
            return None
        return short_codes.domain_key(self.domain), short_codes.code_key(self.code, self.domain)


def failed(row: int, code: Any, exc: Invalid) -> RowProblem:
    fields = exc.fields or {"row": exc.message}
    message = "; ".join(f"{k}: {v}" for k, v in fields.items())
    return RowProblem(row, "failed", _code_text(code), next(iter(fields)), message)


def _code_text(code: Any) -> str | None:
    return None if code in (None, "") else str(code)[:255]


def _bool(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    raise Invalid(fields={name: "must be true or false"})


class LinkWriter:
    """One per job run: it remembers the codes and references it has seen so that duplicates
    inside the source are reported as such, and names resolve once."""

    def __init__(self, workspace: Workspace, actor: User | None):
        self.workspace, self.actor = workspace, actor
        self.refs = References(workspace, actor)
        self.reserved = short_codes.reserved_segments()
        self._seen_codes: dict[tuple[int, str], int] = {}
        self._seen_refs: dict[tuple[str, str], int] = {}
        self._own_hosts = urls.own_hosts()

    # --- one row ---------------------------------------------------------------------------

    def check_code(self, raw: Any) -> str | None:
        """short_codes.validate's rules with the reserved segments read once per run
        (validate reads the URL map on every call, far too slow for 100,000 rows)."""
        if raw is None or isinstance(raw, bool):
            return None if raw is None else self._bad_code("must be a string")
        code = str(raw).strip()
        if not code:
            return None
        if len(code) > short_codes.MAX_LENGTH:
            self._bad_code(f"must be at most {short_codes.MAX_LENGTH} characters")
        if not short_codes.CODE_RE.match(code):
            self._bad_code("may contain only letters, digits, '-', '_' and '.' (not first)")
        if code.lower() in self.reserved:
            self._bad_code(f"'{code}' is reserved by the app; choose another code")
        return code

    @staticmethod
    def _bad_code(message: str) -> None:
        raise Invalid(fields={"shortCode": message})

    def _destination(self, name: str, value: Any) -> str | None:
        """urls.check_url(destination=True) with this install's own hosts read once per run
        (check_url reads every custom domain on each call)."""
        url = urls.check_url(value, name)
        if url and urls.host_of(url) in self._own_hosts:
            raise Invalid(fields={name: "must not point to this install's own short domain "
                                        "(it would loop)"})
        return url

    def prepare(self, row: int, data: Mapping[str, Any]) -> _Item:
        """Every check of one row (all problems together), or Invalid."""
        values, problems = link_fields.clean({k: v for k, v in data.items()
                                              if k in SCALARS and k not in _DESTINATIONS})
        for name, column in _DESTINATIONS.items():
            if name in data:
                try:
                    values[column] = self._destination(name, data[name])
                except Invalid as exc:
                    problems.update(exc.fields)
        item = _Item(row, data, values, None, None, None, None, [], False)
        refs = self.refs
        for name, step in (("shortCode", lambda: self.check_code(data.get("shortCode"))),
                           ("domain", lambda: refs.domain(data)),
                           ("campaign", lambda: refs.campaign(data)),
                           ("folder", lambda: refs.folder(data)),
                           ("tags", lambda: refs.tag_names(data.get("tags"))),
                           ("archived", lambda: _bool(data.get("archived", False), "archived"))):
            try:
                result = step()
            except Invalid as exc:
                problems.update(exc.fields)
                continue
            except ApiError as exc:  # a reference of another workspace answers 404
                problems[name] = exc.message
                continue
            setattr(item, {"shortCode": "code"}.get(name, name), result)
        behavior = values.get("redirect_behavior", "auto")
        if (not values.get("destination_url") and "destinationUrl" not in problems
                and behavior not in link_fields.NO_DESTINATION_NEEDED):
            problems["destinationUrl"] = "is required"
        if values.get("deep_link_enabled") and not any(values.get(t) for t in _TARGETS):
            problems.setdefault("deepLinkEnabled", "needs at least one of deepLinkIos, "
                                                   "deepLinkAndroid or deepLinkFallbackUrl")
        if problems:
            raise Invalid(fields=problems)
        return item

    # --- a chunk ---------------------------------------------------------------------------

    def check(self, rows: Sequence[tuple[int, Mapping[str, Any]]]) -> Checked:
        """Every per-row check (reads only: run it before taking the write lock)."""
        checked = Checked()
        for row, data in rows:
            try:
                checked.items.append(self.prepare(row, data))
            except Invalid as exc:
                checked.problems.append(failed(row, data.get("shortCode"), exc))
        return checked

    def write(self, rows: Sequence[tuple[int, Mapping[str, Any]]] | Checked) -> Outcome:
        """Create the links of `rows` ((row number, API-named fields) pairs, or what `check`
        made of them) that are valid and new; report the others. Call inside a transaction."""
        checked = rows if isinstance(rows, Checked) else self.check(rows)
        out = Outcome(problems=list(checked.problems))
        items = self._skip_known(checked.items, out)
        if items:
            self._resolve_names(items)
            self._generate_codes(items)
            out.created.extend(self._insert(items, out))
        return out

    def _skip(self, item: _Item, out: Outcome, message: str, *, result: str = "skipped",
              name: str | None = "shortCode") -> None:
        out.problems.append(RowProblem(item.row, result, item.code, name, message))

    def _skip_known(self, items: list[_Item], out: Outcome) -> list[_Item]:
        """Drop rows whose code (or, without a code, externalId or destination) already has a
        live link, or appeared earlier in this import."""
        live: dict[tuple[int, str], Any] = {}
        by_domain: dict[int, list[str]] = {}
        for item in items:
            if item.key is not None:
                by_domain.setdefault(item.key[0], []).append(item.key[1])
        for domain_key, codes in by_domain.items():
            for start in range(0, len(codes), 500):
                for row in (Link.select(Link.code_key, Link.workspace, Link.public_id)
                            .where(Link.deleted_at.is_null(), Link.domain_key == domain_key,
                                   Link.code_key.in_(codes[start:start + 500]))):
                    live[(domain_key, row.code_key)] = row
        refs = self._live_refs(items)
        kept: list[_Item] = []
        for item in items:
            external = item.values.get("external_id")
            if item.key is not None:
                first = self._seen_codes.get(item.key)
                found = live.get(item.key)
                if first is not None:
                    self._skip(item, out, f"duplicate of row {first} in this import")
                elif found is not None and found.workspace_id == self.workspace.id:
                    self._skip(item, out, f"a link with this code already exists "
                                          f"({found.public_id})")
                elif found is not None:
                    self._skip(item, out, f"'{item.code}' is already in use on this domain",
                               result="failed")
                elif external and ("ext", external) in refs:
                    self._skip(item, out, "another link of this workspace has this externalId",
                               result="failed", name="externalId")
                else:
                    self._seen_codes[item.key] = item.row
                    if external:
                        self._seen_refs.setdefault(("ext", external), item.row)
                    kept.append(item)
                continue
            ref = ("ext", external) if external else ("url", item.values["destination_url"])
            label = "externalId" if external else "destination"
            if ref in self._seen_refs:
                self._skip(item, out, f"same {label} as row {self._seen_refs[ref]} in this "
                                      "import", name=None)
            elif ref in refs:
                self._skip(item, out, f"a link with this {label} already exists (rows without "
                                      "a short code are matched by externalId, else by "
                                      "destination)", name=None)
            else:
                self._seen_refs[ref] = item.row
                kept.append(item)
        return kept

    def _live_refs(self, items: list[_Item]) -> set[tuple[str, str]]:
        externals = list({i.values["external_id"] for i in items if i.values.get("external_id")})
        urls = list({i.values["destination_url"] for i in items
                     if i.code is None and not i.values.get("external_id")})
        found: set[tuple[str, str]] = set()
        base = Link.select().where(Link.workspace == self.workspace, Link.deleted_at.is_null())
        for kind, column, wanted in (("ext", Link.external_id, externals),
                                     ("url", Link.destination_url, urls)):
            for start in range(0, len(wanted), 500):
                query = base.select(column).where(column.in_(wanted[start:start + 500]))
                found.update((kind, value) for (value,) in query.tuples())
        return found

    def _resolve_names(self, items: list[_Item]) -> None:
        for item in items:
            if isinstance(item.campaign, str):
                item.campaign = self.refs.campaign_named(item.campaign)
            if isinstance(item.folder, tuple):
                item.folder = self.refs.folder_at(item.folder)
        self._tag_ids = self.refs.tag_ids(n for i in items for n in i.tags)

    def _generate_codes(self, items: list[_Item]) -> None:
        pending = [i for i in items if i.code is None]
        while pending:
            for item in pending:
                code = short_codes.generate()
                while code.lower() in self.reserved:
                    code = short_codes.generate()
                item.code = code
            keys = [i.key for i in pending]
            taken = set()
            for domain_key in {k[0] for k in keys}:
                codes = [k[1] for k in keys if k[0] == domain_key]
                taken.update((domain_key, c) for (c,) in Link.select(Link.code_key).where(
                    Link.domain_key == domain_key, Link.code_key.in_(codes),
                    Link.deleted_at.is_null()).tuples())
            counts: dict[tuple[int, str], int] = {}
            for key in keys:
                counts[key] = counts.get(key, 0) + 1
            pending = [i for i in pending if i.key in taken or counts[i.key] > 1
                       or i.key in self._seen_codes]
        for item in items:
            self._seen_codes.setdefault(item.key, item.row)

    def _link_row(self, item: _Item) -> dict[str, Any]:
        domain_key, code_key = item.key
        now = clock.now()
        row = dict(_DEFAULTS, created_at=now, updated_at=now)
        row.update(item.values)
        row.update(public_id=ids.new_id("link"), workspace=self.workspace.id,
                   domain=item.domain.id if item.domain else None, domain_key=domain_key,
                   short_code=item.code, code_key=code_key,
                   created_by=self.actor.id if self.actor else None,
                   campaign=item.campaign.id if item.campaign else None,
                   folder=item.folder.id if item.folder else None)
        if item.archived:
            row["archived_at"] = now
        return row

    @staticmethod
    def _params(rows: list[dict[str, Any]]) -> list[tuple]:
        return [tuple(f.db_value(row[f.name]) for f in _COLUMNS) for row in rows]

    def _insert(self, items: list[_Item], out: Outcome) -> list[Created]:
        rows = [self._link_row(item) for item in items]
        try:
            with database.atomic():
                database.cursor().executemany(_INSERT, self._params(rows))
            inserted = list(zip(items, rows, strict=True))
        except (peewee.IntegrityError, sqlite3.IntegrityError):  # a code taken meanwhile
            inserted = []
            for item, row in zip(items, rows, strict=True):
                try:
                    with database.atomic():
                        database.cursor().execute(_INSERT, self._params([row])[0])
                    inserted.append((item, row))
                except (peewee.IntegrityError, sqlite3.IntegrityError):
                    self._skip(item, out, f"'{item.code}' was taken while importing",
                               result="failed")
        if not inserted:
            return []
        wanted = [row["public_id"] for _, row in inserted]
        pks = dict(Link.select(Link.public_id, Link.id).where(Link.public_id.in_(wanted))
                   .tuples())
        created = [Created(item.row, pks[row["public_id"]], row["public_id"], item.key,
                           item.data) for item, row in inserted]
        pairs = [(c.link_id, self._tag_ids[name.lower()])
                 for (item, _), c in zip(inserted, created, strict=True) for name in item.tags]
        if pairs:
            database.cursor().executemany(_TAG_INSERT, pairs)
        shared = [c.link_id for (item, _), c in zip(inserted, created, strict=True)
                  if item.values.get("public_stats")]
        if shared:
            from linkhub.services import public_shares

            for link in Link.select().where(Link.id.in_(shared)):
                public_shares.follow_link(link, self.actor)
        return created


def invalidate(created: Sequence[Created]) -> None:
    """Forget cached misses of the new codes (call after the chunk's commit)."""
    store = cache.for_app()
    for item in created:
        store.invalidate_link(item.link_id, item.key)
