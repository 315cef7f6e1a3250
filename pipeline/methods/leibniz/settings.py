"""Plain leibniz's settings (PICHORD_LEIBNIZ_...)."""

from typing import Annotated

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from pipeline.methods.method_settings import MethodSettings


class LeibnizSettings(MethodSettings):
    model_config = SettingsConfigDict(env_prefix="PICHORD_LEIBNIZ_")

    # 11 digits take about 5e12 terms; past that the float kernel's error bound grows.
    max_digits: Annotated[int, Field(ge=0, le=11)] = 11
