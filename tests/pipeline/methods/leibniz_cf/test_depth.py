import math

import pytest

from pipeline.methods.leibniz_cf.depth import depth_needed


def exact_depth(terms: int, decimals: float) -> int:
    """Smallest n whose convergents differ by under 10^-decimals, from the float recurrence
    Q_k / Q_{k-1} = 2M + a_k / (Q_{k-1} / Q_{k-2})."""
    log_numerators = log_q = log_q_prev = 0.0
    ratio = 0.0
    n = 0
    while True:
        n += 1
        ratio = 2.0 * terms if n == 1 else 2.0 * terms + (n - 1) ** 2 / ratio
        log_q_prev, log_q = log_q, log_q + math.log10(ratio)
        log_numerators += math.log10(2) if n == 1 else 2 * math.log10(n - 1)
        if log_numerators - log_q - log_q_prev < -decimals:
            return n


@pytest.mark.parametrize(
    ("terms", "decimals"),
    [
        *[(64, 13), (64, 60), (100, 300), (762, 790), (1000, 3000)],
        *[(10**4, 10**4), (10**4, 3 * 10**4), (10**5, 10**5), (3 * 10**4, 10**5)],
        *[(10**6, 10**5), (2 * 10**5, 10**5)],
    ],
)
def test_the_estimate_is_above_the_exact_depth_by_a_small_margin(terms: int, decimals: int) -> None:
    exact = exact_depth(terms, decimals)
    estimate = depth_needed(terms, decimals)
    assert exact <= estimate <= exact * 1.01 + 40
