"""The fleet's heartbeats: who counts, who is forgotten."""

from pathlib import Path

from storage.fleet import Fleet
from tests.conftest import fleet_member


def test_live_workers_count_and_stale_ones_do_not(tmp_path: Path) -> None:
    fleet = Fleet(tmp_path / "fleet")
    fleet.beat(fleet_member("w1@a.10", 2))
    fleet.beat(fleet_member("w2@b.11", 3))
    fleet.beat(fleet_member("w3@c.12", 4, age=30))
    assert [m.name for m in fleet.members(max_age=5)] == ["w1@a.10", "w2@b.11"]
    assert fleet.processes(max_age=5) == 5
    fleet.leave("w1@a.10")
    assert fleet.processes(max_age=5) == 3


def test_long_dead_heartbeats_are_removed(tmp_path: Path) -> None:
    fleet = Fleet(tmp_path / "fleet")
    fleet.beat(fleet_member("gone", 2, age=3600))
    assert fleet.members(max_age=5) == []
    assert list((tmp_path / "fleet").iterdir()) == []


def test_an_empty_or_missing_folder_is_no_fleet(tmp_path: Path) -> None:
    assert Fleet(tmp_path / "absent").processes(max_age=5) == 0
