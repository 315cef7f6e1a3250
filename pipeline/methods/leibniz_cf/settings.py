"""leibniz-cf's settings (PICHORD_CF_...)."""

from typing import Annotated

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from pipeline.methods.method_settings import MethodSettings


class CfSettings(MethodSettings):
    model_config = SettingsConfigDict(env_prefix="PICHORD_CF_")

    # The largest request. 10^7 digits took 23 s on two processes and at most 403 MiB in
    # each worker process (bench/cf.py --digits 10000000).
    max_digits: Annotated[int, Field(ge=0, le=10_000_000)] = 10_000_000
