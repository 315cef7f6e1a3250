"""The toy method's settings (PICHORD_TOY_...)."""

from typing import Annotated

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from pipeline.methods.method_settings import MethodSettings


class ToySettings(MethodSettings):
    model_config = SettingsConfigDict(env_prefix="PICHORD_TOY_")

    max_digits: Annotated[int, Field(ge=0, le=5000)] = 1000
    guard_digits: Annotated[int, Field(ge=3, le=100)] = 10
