"""The bracket around pi after each computed prefix of the series, for the dashboard's plot.

For even N, S_N < pi < S_N + 4/(2N+1): each chunk boundary reached so far gives one bracket,
narrowing as N grows. Floats are enough for a picture; the certificate stays exact.
"""

from fractions import Fraction

from pydantic import BaseModel

from api.prefix import series_prefix
from pipeline.euler_plan import stored_plan, stored_sum
from pipeline.methods import Method
from storage import ChunkRecord, JobRecord


class BracketPoint(BaseModel):
    terms: int
    lower: float
    upper: float


def convergence(job: JobRecord, chunks: dict[int, ChunkRecord]) -> list[BracketPoint]:
    euler = job.method == Method.LEIBNIZ_EULER
    scale = Fraction(stored_plan(job).scale) if euler else Fraction(1)
    points = []
    total = Fraction(0)
    terms = 0
    for record in series_prefix(job, chunks):
        if euler:
            total += Fraction(stored_sum(record).value) / scale
        else:
            total += 4 * Fraction(record.partial)
        terms += record.terms_done
        points.append(
            BracketPoint(
                terms=terms,
                lower=float(total),
                upper=float(total + Fraction(4, 2 * terms + 1)),
            )
        )
    return points
