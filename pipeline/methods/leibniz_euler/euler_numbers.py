"""Euler numbers as exact integers, and their cache under the state dir."""

from pathlib import Path

import gmpy2

from storage.number_cache import NumberCache


def secant_numbers(count: int) -> list[int]:
    """|E_0|, |E_2|, ..., |E_{2(count-1)}| (the secant numbers), by the Brent-Harvey
    recurrence: about count^2/2 multiply-adds of growing integers."""
    if count <= 0:
        return []
    n = count - 1
    table = [gmpy2.mpz(0)] * (n + 1)
    table[0] = gmpy2.mpz(1)
    for k in range(1, n + 1):
        table[k] = k * table[k - 1]
    for k in range(1, n + 1):
        for j in range(k + 1, n + 1):
            table[j] = (j - k) * table[j - 1] + (j - k + 1) * table[j]
    return [int(v) for v in table]


# The table as this process last read it, by the file's stamp: a worker process reads the
# file (megabytes of hex, checksummed) once, not once per job, until the file is replaced.
_read: dict[Path, tuple[tuple[int, int], list[int]]] = {}


def _stored_table(cache: NumberCache, key: Path) -> list[int] | None:
    stamp = cache.stamp()
    if stamp is None:
        return None
    known = _read.get(key)
    if known is not None and known[0] == stamp:
        return known[1]
    table = cache.load()
    if table is not None:
        _read[key] = (stamp, table)
    return table


def cached_secant_numbers(state_dir: Path, count: int) -> tuple[list[int], bool]:
    """The first ``count`` secant numbers and whether they had to be computed.

    They never change, so one table serves every job; a longer table is computed only
    when a job needs more terms than any before it."""
    cache = NumberCache(state_dir, "secant_numbers")
    stored = _stored_table(cache, state_dir)
    if stored is not None and len(stored) >= count:
        return stored[:count], False
    with cache.exclusive():
        # Another job may have built it while this one waited for the lock.
        stored = cache.load()
        if stored is not None and len(stored) >= count:
            return stored[:count], False
        table = secant_numbers(count)
        cache.save(table)
    return table, True
