"""leibniz-euler's settings (PICHORD_EULER_...)."""

from typing import Annotated

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from pipeline.methods.method_settings import MethodSettings


class EulerSettings(MethodSettings):
    model_config = SettingsConfigDict(env_prefix="PICHORD_EULER_")

    # The largest request, the series speed used to size its chunks (measured 1.8 M terms/s
    # on one core at 20,000 digits, faster below), and the digits of precision beyond the
    # cut that settle a run of 9s or 0s without a second round.
    max_digits: Annotated[int, Field(ge=0, le=200_000)] = 20_000
    terms_per_second: Annotated[float, Field(gt=0)] = 1.0e6
    guard_digits: Annotated[int, Field(ge=0, le=1000)] = 12
