"""What a leibniz-euler job keeps of its own: its round's plan, its chunks' exact sums (and
the correction's Euler-number figures), and its certificate's."""

from typing import Any

from pydantic import Field, model_validator

from pipeline.methods.method_data import CertificateDetails, ChunkDetails, PlanParams


class EulerPlanParams(PlanParams):
    """The current round's plan (M is the job's terms_total)."""

    correction_terms: int = Field(ge=0)
    precision: int = Field(ge=1)
    guard: int = Field(ge=0)

    @model_validator(mode="before")
    @classmethod
    def _old_layout(cls, data: Any) -> Any:
        # Records written before JobRecord.plan kept these under a key "euler".
        if isinstance(data, dict) and isinstance(data.get("euler"), dict):
            return data["euler"]
        return data


class EulerChunkPublic(ChunkDetails):
    """The details the API shows of a chunk."""

    euler_computed: bool | None = Field(
        default=None,
        description="correction: whether it computed the Euler numbers (false: they came "
        "from the cache)",
    )
    euler_seconds: float | None = Field(
        default=None, description="time spent getting the Euler numbers"
    )


class EulerChunk(EulerChunkPublic):
    # The exact fixed-point sum s (hex, so no decimal digit limit applies) with
    # s <= 10^P * value < s + exact_error.
    exact_value: str | None = None
    exact_error: int = 0
    # The correction's bound on the asymptotic remainder, for the certificate.
    remainder_bound: str | None = None


class EulerCertificate(CertificateDetails):
    correction_terms: int = Field(description="K, Euler-number correction terms")
    precision: int = Field(description="P, exact arithmetic in units of 10^-P")
    remainder_bound: str | None = Field(
        default=None, description="|E_2K| / (4^K M^(2K+1)), bounds the tail"
    )
