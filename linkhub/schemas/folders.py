"""Request and response models of /api/folders. Types only; the rules (names, parents without
cycles, colours) are in services/folders.py."""

from __future__ import annotations

from pydantic import Field

from linkhub.schemas import OutModel
from linkhub.schemas.links import StrictModel
from linkhub.schemas.tags import COLOR_HELP


class FolderCreate(StrictModel):
    name: str = Field(description="1-100 characters.")
    parentId: str | None = Field(None, description="A folder of the same workspace (`fld_`); "
                                 "null: top level.")
    color: str | None = Field(None, description=COLOR_HELP)


class FolderUpdate(StrictModel):
    """Send only what changes; a folder cannot move inside itself or its descendants."""

    name: str = Field(None, description="1-100 characters.")
    parentId: str | None = Field(None, description="The new parent; null: top level.")
    color: str | None = Field(None, description=COLOR_HELP)


class FolderListQuery(StrictModel):
    parentId: str | None = Field(None, description="Only the children of this folder; `root`: "
                                 "only top-level folders.")


class FolderOut(OutModel):
    id: str
    name: str
    parentId: str | None
    color: str | None
    linkCount: int = Field(description="Live links in the folder (not counting sub-folders).")
    createdAt: str
    updatedAt: str
