"""What a toy job keeps of its own."""

from pydantic import Field

from pipeline.methods.method_data import CertificateDetails, ChunkDetails, PlanParams


class ToyPlanParams(PlanParams):
    precision: int = Field(ge=1)


class ToyChunkPublic(ChunkDetails):
    arctan_of: int | None = Field(default=None, description="x in the chunk's atan(1/x)")


class ToyChunk(ToyChunkPublic):
    # floor(10^P * c * atan(1/x)) - error <= value <= that, as hex.
    value: str | None = None
    error: int = 0


class ToyCertificate(CertificateDetails):
    formula: str = Field(description="the formula summed")
    precision: int = Field(description="P, fixed point in units of 10^-P")
