from pathlib import Path

import pytest

from pipeline.methods.leibniz_euler.euler_numbers import cached_secant_numbers, secant_numbers
from storage.number_cache import NumberCache


def test_round_trip_of_big_integers(state_dir: Path) -> None:
    cache = NumberCache(state_dir, "table")
    assert cache.load() is None
    values = [0, 1, 3**5000, 2**64 - 1]
    cache.save(values)
    assert cache.load() == values


def test_damaged_file_is_detected(state_dir: Path) -> None:
    cache = NumberCache(state_dir, "table")
    cache.save([1, 5, 61])
    path = state_dir / "cache" / "table.txt"
    path.write_bytes(path.read_bytes().replace(b"3d", b"3e"))  # 61 -> 62, digest now wrong
    assert cache.load() is None
    path.write_bytes(b"not json\n1\n")
    assert cache.load() is None


def test_secant_table_is_computed_once_and_rebuilt_when_damaged(state_dir: Path) -> None:
    first, computed = cached_secant_numbers(state_dir, 120)
    assert computed and first == secant_numbers(120)
    again, computed = cached_secant_numbers(state_dir, 100)
    assert not computed and again == first[:100]
    (state_dir / "cache" / "secant_numbers.txt").write_bytes(b"garbage")
    rebuilt, computed = cached_secant_numbers(state_dir, 100)
    assert computed and rebuilt == first[:100]


def test_a_process_reads_the_table_once_until_the_file_changes(
    state_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cached_secant_numbers(state_dir, 50)
    reads = []
    real_load = NumberCache.load

    def counted(self: NumberCache) -> list[int] | None:
        reads.append(1)
        return real_load(self)

    monkeypatch.setattr(NumberCache, "load", counted)
    for _ in range(3):
        table, computed = cached_secant_numbers(state_dir, 40)
        assert not computed and table == secant_numbers(40)
    assert len(reads) <= 1
    NumberCache(state_dir, "secant_numbers").save(secant_numbers(60))  # replaced: read again
    before = len(reads)
    assert cached_secant_numbers(state_dir, 60) == (secant_numbers(60), False)
    assert len(reads) == before + 1
