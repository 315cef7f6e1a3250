"""The body of every error answer."""

from typing import Any

from pydantic import BaseModel, Field


class ErrorDetail(BaseModel):
    detail: str | list[dict[str, Any]] = Field(
        description="What was wrong and what to do; a list of field errors for invalid input"
    )
