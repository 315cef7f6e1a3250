"""The worker processes a submission plans for, read from the heartbeats once a beat."""

from pathlib import Path

from config import Settings
from pipeline.fleet import FLEET_BEAT_SECONDS, OnlineProcesses, fleet
from tests.conftest import fleet_member


def test_the_count_is_read_again_once_a_beat_has_passed(tmp_path: Path) -> None:
    settings = Settings(state_dir=tmp_path, worker_concurrency=7)
    now = [100.0]
    online = OnlineProcesses(settings, clock=lambda: now[0])
    # No worker beats yet: one worker's worth.
    assert online() == 7
    fleet(settings).beat(fleet_member("w1@a.10", 2))
    now[0] += FLEET_BEAT_SECONDS / 2
    assert online() == 7
    now[0] += FLEET_BEAT_SECONDS / 2
    assert online() == 2
    fleet(settings).beat(fleet_member("w2@b.11", 3))
    assert online() == 2
    now[0] += FLEET_BEAT_SECONDS
    assert online() == 5
