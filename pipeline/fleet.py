"""How many worker processes serve the queue now, from the workers' heartbeats."""

from config import Settings
from storage.fleet import Fleet, FleetMember
from storage.layout import StateLayout

# Workers beat this often; a worker whose beat is older than FLEET_MAX_AGE is not counted.
FLEET_BEAT_SECONDS = 1.0
FLEET_MAX_AGE = 5.0


def fleet(settings: Settings) -> Fleet:
    return Fleet(StateLayout(settings.state_dir).fleet)


def live_workers(settings: Settings) -> list[FleetMember]:
    return fleet(settings).members(FLEET_MAX_AGE)


def processes_online(settings: Settings) -> int:
    """Pool processes of every live worker; one worker's worth while none beats (the service
    is starting, or its workers are all down and will be back)."""
    return fleet(settings).processes(FLEET_MAX_AGE) or settings.worker_concurrency
