"""pydantic request and response models, one file per feature. They validate API bodies and
generate the OpenAPI document; they hold no business rules."""

from pydantic import BaseModel, ConfigDict


class ApiModel(BaseModel):
    """Base for request bodies: unknown fields are ignored, strings are stripped."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class OutModel(BaseModel):
    """Base for response bodies (documentation and shape checks)."""

    model_config = ConfigDict(extra="forbid")
