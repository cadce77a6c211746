"""Request and response models of /api/feedback. Types only; the rules (kinds, the 5,000
character cap, ratings 1-5) are in services/feedback.py."""

from __future__ import annotations

from pydantic import Field

from linkhub.schemas import ApiModel, OutModel
from linkhub.schemas.links import StrictModel


class FeedbackIn(StrictModel):
    kind: str = Field(None, description="bug, idea, praise or other (required).")
    message: str = Field(None, description="1-5,000 characters (required).")
    page: str | None = Field(None, description="Where the sender was (a path or URL).")
    rating: int | None = Field(None, description="1-5, optional.")


class FeedbackListQuery(ApiModel):
    kind: str | None = Field(None, description="Only this kind.")


class FeedbackUserOut(OutModel):
    id: str
    email: str
    name: str


class FeedbackOut(OutModel):
    id: str
    kind: str
    message: str
    page: str | None
    rating: int | None
    status: str
    user: FeedbackUserOut | None
    createdAt: str
