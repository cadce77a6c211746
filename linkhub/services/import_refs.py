"""What an imported row refers to, resolved inside one workspace and cached for the run: the
domain (host or id), the campaign (id, or a name made on first use), the folder (id, a name, or
a bundle's path of names; made on first use) and the tags (names; made on first use). Checks
raise errors.Invalid naming the row's field; it writes only through the owning services."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import peewee

from linkhub.errors import ApiError, Invalid
from linkhub.models import Campaign, Domain, Folder, Tag, User, Workspace
from linkhub.services import campaigns, folders, link_fields
from linkhub.services import tags as tag_service


class References:
    def __init__(self, workspace: Workspace, actor: User | None):
        self.workspace, self.actor = workspace, actor
        self._domains: dict[tuple[str, str], Domain | None | Invalid] = {}
        self._tags = {t.name_key: t.id for t in Tag.select(Tag.id, Tag.name_key).where(
            Tag.workspace == workspace)}
        self._campaigns: dict[str, int] = {}
        self._folders: dict[tuple[str, ...], int] = {}

    # --- checking a row (no writes) ------------------------------------------------------------

    def domain(self, data: Mapping[str, Any]) -> Domain | None:
        kind = "domainId" if "domainId" in data else "domain"
        raw = data.get(kind)
        if raw in (None, ""):
            return None
        key = (kind, str(raw).strip().lower())
        if key not in self._domains:
            try:
                self._domains[key] = (link_fields.domain_by_id(self.workspace, raw)
                                      if kind == "domainId"
                                      else link_fields.domain_by_host(self.workspace, raw))
            except Invalid as exc:
                self._domains[key] = exc
            except ApiError as exc:
                self._domains[key] = Invalid(fields={kind: exc.message})
        found = self._domains[key]
        if isinstance(found, Invalid):
            raise found
        return found

    @staticmethod
    def tag_names(raw: Any) -> list[str]:
        """Names from a list, or from a `;`-separated CSV cell."""
        if raw in (None, ""):
            return []
        items = raw.split(";") if isinstance(raw, str) else raw
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            raise Invalid(fields={"tags": "must be a list of names (in CSV: separated by ;)"})
        names: dict[str, str] = {}
        for item in items:
            if item.strip():
                name = tag_service.validate_name(item, "tags")
                names.setdefault(name.lower(), name)
        if len(names) > link_fields.MAX_TAGS:
            raise Invalid(fields={"tags": f"must have at most {link_fields.MAX_TAGS} items"})
        return list(names.values())

    def folder(self, data: Mapping[str, Any]) -> Folder | tuple[str, ...] | None:
        if data.get("folderId") not in (None, ""):
            return link_fields.folder(self.workspace, data["folderId"])
        return self.folder_path(data.get("folder"))

    @staticmethod
    def folder_path(raw: Any) -> tuple[str, ...] | None:
        """A folder given by name, or by its path of names from the top (bundles)."""
        if raw in (None, "", []):
            return None
        parts = [raw] if isinstance(raw, str) else raw
        if not isinstance(parts, list) or not all(isinstance(p, str) for p in parts):
            raise Invalid(fields={"folder": "must be a folder name (or a list of names)"})
        try:
            return tuple(folders.validate_name(p) for p in parts)
        except Invalid as exc:
            raise Invalid(fields={"folder": exc.fields.get("name", "is invalid")}) from None

    def campaign(self, data: Mapping[str, Any]) -> Campaign | str | None:
        if data.get("campaignId") not in (None, ""):
            return link_fields.campaign(self.workspace, data["campaignId"])
        raw = data.get("campaign")
        if raw in (None, ""):
            return None
        if not isinstance(raw, str) or len(raw.strip()) > campaigns.NAME_MAX:
            raise Invalid(fields={"campaign": f"must be a name of at most "
                                              f"{campaigns.NAME_MAX} characters"})
        return raw.strip()

    # --- finding or making (inside the chunk's transaction) -----------------------------------

    def campaign_named(self, name: str) -> Campaign:
        key = name.lower()
        if key not in self._campaigns:
            row = (Campaign.select().where(Campaign.workspace == self.workspace,
                                           peewee.fn.LOWER(Campaign.name) == key)
                   .order_by(Campaign.id).first())
            if row is None:
                row = campaigns.create_campaign(self.workspace, self.actor, {"name": name})
            self._campaigns[key] = row.id
        return Campaign.get_by_id(self._campaigns[key])

    def folder_at(self, path: tuple[str, ...]) -> Folder:
        """The folder at `path` (names from the top), made where missing."""
        parent: Folder | None = None
        for depth in range(1, len(path) + 1):
            key = tuple(p.lower() for p in path[:depth])
            if key not in self._folders:
                query = Folder.select().where(Folder.workspace == self.workspace,
                                              peewee.fn.LOWER(Folder.name) == key[-1])
                query = query.where(Folder.parent.is_null() if parent is None
                                    else Folder.parent == parent)
                row = query.order_by(Folder.id).first()
                if row is None:
                    row = folders.create_folder(self.workspace, self.actor, {
                        "name": path[depth - 1],
                        "parentId": parent.public_id if parent else None})
                self._folders[key] = row.id
            parent = Folder.get_by_id(self._folders[key])
        return parent

    def tag_ids(self, names: Iterable[str]) -> dict[str, int]:
        """name (lower-case) -> tag id, making the missing tags."""
        names = list(names)
        missing = {n.lower(): n for n in names if n.lower() not in self._tags}
        if missing:
            for tag in tag_service.create_named(self.workspace, self.actor,
                                                list(missing.values())):
                self._tags[tag.name_key] = tag.id
        return {n.lower(): self._tags[n.lower()] for n in names}
