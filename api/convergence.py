"""The bracket around pi after each computed prefix of the series, for the dashboard's plot.

For even N, S_N < pi < S_N + 4/(2N+1): each chunk boundary reached so far gives one bracket,
narrowing as N grows. Floats are enough for a picture; the certificate stays exact.
"""

from fractions import Fraction

from pydantic import BaseModel

from pipeline.euler_plan import current_parts, stored_plan, stored_sum
from pipeline.methods import Method
from storage import ChunkRecord, JobRecord
from storage.records import PartKind


class BracketPoint(BaseModel):
    terms: int
    lower: float
    upper: float


def convergence(job: JobRecord, chunks: dict[int, ChunkRecord]) -> list[BracketPoint]:
    euler = job.method == Method.LEIBNIZ_EULER
    specs = current_parts(job) if euler else job.chunks
    scale = Fraction(stored_plan(job).scale) if euler else Fraction(1)
    points = []
    total = Fraction(0)
    terms = 0
    for spec in sorted(specs, key=lambda s: s.start):
        if spec.kind is not PartKind.SERIES:
            continue
        record = chunks.get(spec.index)
        if record is None or record.terms_done == 0:
            break
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
        if not record.finished:
            break
    return points
