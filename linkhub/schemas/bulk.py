"""Request and response models of the bulk routes (/api/links/bulk and /api/bulk/...). Types
only: every rule is checked per item by services/links.py through services/bulk*.py."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from linkhub.schemas import OutModel
from linkhub.schemas.links import LinkCreate, LinkOut, LinkUpdate, StrictModel

_SYNC = ("Up to 1,000 items, all or nothing: any failing item means nothing is written and a "
         "400 lists every failing item (`details[].field` = `links.<index>.<name>`, plus "
         "`index`, `code`, `status`).")
_ASYNC = ("Up to 10,000 items (bodies are bound by MAX_BODY_BYTES); each item is applied on "
          "its own, failures are per-row results.")


class BulkLinkUpdateItem(LinkUpdate):
    id: str = Field(description="The link's id (`link_...`) or short code.")


class BulkCreateBody(StrictModel):
    links: list[LinkCreate] = Field(description="Link objects as for POST /api/links. " + _SYNC)


class BulkUpdateBody(StrictModel):
    links: list[BulkLinkUpdateItem] = Field(description="Each with `id` and the fields that "
                                            "change. " + _SYNC)


class BulkDeleteBody(StrictModel):
    linkIds: list[str] = Field(description="Link ids or short codes. " + _SYNC)


class AsyncLinksBody(StrictModel):
    links: list[dict[str, Any]] = Field(description="Link objects (for updates each with "
                                        "`id`). " + _ASYNC)


class AsyncLinkIdsBody(StrictModel):
    linkIds: list[str] = Field(description="Link ids or short codes. " + _ASYNC)


class OperationListQuery(StrictModel):
    status: str | None = Field(None, description="pending, processing, completed, failed or "
                               "cancelled.")


class ResultListQuery(StrictModel):
    outcome: str | None = Field(None, description="succeeded or failed.")


# --- responses -------------------------------------------------------------------------------

class BulkLinksOut(OutModel):
    count: int
    links: list[LinkOut]


class BulkDeletedOut(OutModel):
    count: int
    deleted: list[str] = Field(description="The deleted links' ids.")


class BulkRowOut(OutModel):
    index: int = Field(description="Position of the item in the request.")
    success: bool = Field(description="Applied (or, for a validation, valid).")
    linkId: str | None = Field(description="The link created, changed or deleted.")
    error: dict[str, Any] | None = Field(description="`{code, message, details?}`.")


class BulkOperationOut(OutModel):
    id: str
    action: str = Field(description="create, update or delete.")
    dryRun: bool = Field(description="True for the validate routes: nothing is written.")
    status: str = Field(description="pending, processing, completed, failed or cancelled. A "
                        "completed operation may have failed rows (`failed`).")
    total: int
    processed: int
    succeeded: int
    failed: int
    progress: int = Field(description="Percent of items processed.")
    error: str | None = Field(description="Why the operation itself stopped, if it did.")
    createdBy: str | None
    createdAt: str
    updatedAt: str
    startedAt: str | None
    finishedAt: str | None
    errors: list[BulkRowOut] | None = Field(None, description="On the status route: the first "
                                            "100 failed rows (all rows: /results).")
