"""What a leibniz-cf job keeps of its own: its attempt's plan, its series chunks' error
counts (the exact values are files beside the chunk records) and its certificate's figures."""

from pydantic import Field

from pipeline.methods.method_data import CertificateDetails, ChunkDetails, PlanParams


class CfPlanParams(PlanParams):
    """The current attempt's plan (M is the job's terms_total)."""

    depth: int = Field(ge=1)
    precision: int = Field(ge=1)
    attempt: int = Field(ge=1)


class CfChunk(ChunkDetails):
    # Floor divisions in a series chunk's value: value <= W * sum < value + exact_error.
    exact_error: int = 0


class CfCertificate(CertificateDetails):
    precision: int = Field(description="P, exact arithmetic in units of 10^-P")
    depth: int = Field(description="n, the depth of the tail's continued fraction")
