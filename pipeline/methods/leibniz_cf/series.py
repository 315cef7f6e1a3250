"""The Leibniz partial sum in fixed point, by truncated binary splitting.

Terms pair up: 4/(4j+1) - 4/(4j+3) = 8/((4j+1)(4j+3)). A range of pairs is summed exactly as
one fraction by binary splitting, then floored once against W = 10^P. Exact fractions of whole
ranges would be far longer than P (about M log2(16 M^2)/2 bits against 3.3 P), so the range is
cut into pieces whose denominators are about as long as W: one wide division per piece, each off
by less than one unit in the same direction. Pure math, no I/O.
"""

import math

import gmpy2

from pipeline.methods.fixed_point import FixedSum, reciprocal_sum


def block_pairs(precision: int, terms: int) -> int:
    """Pairs per piece: the power of two at or below the count whose exact denominator near the
    end of the range is as long as W. Measured on one core at 10^6 digits, M = 10^6: half or
    twice that length cost the same within 5%, far shorter pieces pay for more wide divisions,
    far longer ones for multiplications wider than W; rounding down gives chunk boundaries a
    finer grid to balance on."""
    w_bits = precision * math.log2(10)
    pair_bits = 2 * math.log2(2 * terms + 3)
    return 1 << max(4, math.floor(math.log2(max(1.0, w_bits / pair_bits))))


def series_sum(scale: int, start: int, stop: int, block: int) -> FixedSum:
    """Fixed-point sum of 4(-1)^k/(2k+1) for start <= k < stop (even ends):
    value <= W * sum < value + error.

    Pieces are the cells of a fixed grid of ``block`` pairs cut to [start, stop), so chunks that
    split the range on the grid give the same pieces, hence the same value and error, as one
    chunk for the whole range."""
    if start % 2 or stop % 2 or not 0 <= start <= stop:
        raise ValueError(f"term range [{start}, {stop}) must have even ends so terms pair up")
    if block < 1:
        raise ValueError(f"block must be at least one pair, got {block}")
    eight_w = gmpy2.mpz(8 * scale)
    total = gmpy2.mpz(0)
    pieces = 0
    j = start // 2
    while j < stop // 2:
        end = min((j // block + 1) * block, stop // 2)
        numerator, denominator = reciprocal_sum(j, end)
        total += eight_w * numerator // denominator
        pieces += 1
        j = end
    return FixedSum(int(total), pieces)
