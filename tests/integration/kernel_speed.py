"""Leibniz chunks sized in terms, and a way to run the tests as if the kernel were faster or
slower than on this machine.

The service cuts a leibniz job into chunks of PICHORD_KERNEL_TERMS_PER_SECOND x
PICHORD_CHUNK_SECONDS terms: a planning hint, not a measurement, so how long a chunk takes
depends on the CPU (15-48 G terms/s on one core of this machine class, `bench/kernel.py`).
A test that needs chunks of some size asks for them in terms with ``chunk_settings``.

PICHORD_TEST_KERNEL_SPEED=4 (read here only, never by the service) runs those tests as if
the kernel were 4 times as fast: every chunk sized here gets a quarter of the terms, so it
takes a quarter of the real time; 0.25 gives chunks four times as long. A job's total terms
follow from its digits and cannot be faked: tests that need a job to last hold its worker
instead (``tests/integration/pool_pause.py``).
"""

import os

FAKE_SPEED_VARIABLE = "PICHORD_TEST_KERNEL_SPEED"


def speed_factor() -> float:
    """How many times today's kernel speed the tests act as if the kernel ran at (1 unless
    PICHORD_TEST_KERNEL_SPEED says otherwise)."""
    raw = os.environ.get(FAKE_SPEED_VARIABLE, "1")
    try:
        factor = float(raw)
    except ValueError:
        factor = 0.0
    if not 0 < factor < float("inf"):
        raise ValueError(
            f"{FAKE_SPEED_VARIABLE}={raw!r} is not a speed factor; use a positive number such "
            "as 4 (chunks four times shorter) or 0.25 (four times longer), or unset it"
        )
    return factor


def chunk_terms(terms: float) -> int:
    """An even number of terms that takes as long under the faked speed as ``terms`` take at
    the kernel's real speed."""
    return max(2, 2 * round(terms / speed_factor() / 2))


def chunk_settings(terms: float, seconds: float = 1.0) -> dict[str, str]:
    """Settings for ``service_env`` (lower case, without the prefix) that cut leibniz jobs into
    chunks of ``chunk_terms(terms)`` terms. ``seconds`` is the PICHORD_CHUNK_SECONDS to keep,
    since leibniz-euler sizes its chunks from it too."""
    per_second = chunk_terms(terms) / seconds
    return {"chunk_seconds": repr(seconds), "kernel_terms_per_second": repr(per_second)}
