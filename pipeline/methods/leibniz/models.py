"""What a plain Leibniz job keeps of its own: its chunks' float sums and its certificate's
error bound (its plan is terms_total alone)."""

from pydantic import Field

from pipeline.methods.method_data import CertificateDetails, ChunkDetails


class LeibnizChunk(ChunkDetails):
    # Sum of (-1)^k / (2k+1) over the terms done so far, and a bound on its float error.
    partial: float = 0.0
    error_bound: float = 0.0


class LeibnizCertificate(CertificateDetails):
    float_error_bound: float = Field(description="proven bound on the float kernel's error")
