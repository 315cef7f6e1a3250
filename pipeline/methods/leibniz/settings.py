"""Plain leibniz's settings (PICHORD_LEIBNIZ_...)."""

from typing import Annotated

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from pipeline.methods.method_settings import MethodSettings


class LeibnizSettings(MethodSettings):
    model_config = SettingsConfigDict(env_prefix="PICHORD_LEIBNIZ_")

    # 11 digits take about 5e12 terms; past that the float kernel's error bound grows.
    max_digits: Annotated[int, Field(ge=0, le=11)] = 11
    # The plain kernel's speed on one process, to size the chunks. Unset: measured from the
    # chunks of finished jobs (the first job assumes 1.6e10). Its variable keeps the name it
    # had before methods had prefixes of their own.
    kernel_terms_per_second: Annotated[
        float | None, Field(gt=0, validation_alias="PICHORD_KERNEL_TERMS_PER_SECOND")
    ] = None
