"""Machin's formula in fixed point: pure math."""

# pi = 16 atan(1/5) - 4 atan(1/239): (coefficient, x) for each chunk, in chunk order.
TERMS = ((16, 5), (-4, 239))


def arctan_units(x: int, precision: int) -> tuple[int, int]:
    """(s, e): s = sum of floored terms of 10^P atan(1/x), off by less than e units."""
    scale = 10**precision
    power = scale // x
    total, k, error = 0, 0, 1
    while power:
        term = power // (2 * k + 1)
        total += -term if k % 2 else term
        power //= x * x
        k += 1
        error += 2
    return total, error
