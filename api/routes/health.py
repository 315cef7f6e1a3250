"""Liveness and readiness, for Docker, compose and load balancers."""

from fastapi import APIRouter, Response, status

from api.deps import CeleryDep, SettingsDep, StoreDep
from api.schemas.health import Check, Liveness, Readiness
from config import Settings
from pipeline.inspection import broker_problem, workers_answering
from pipeline.jobs import reserve_of
from storage import JobStore

router = APIRouter(tags=["health"])

# Readiness answers quickly even when the broker or every worker is gone.
_CHECK_TIMEOUT = 1.0


@router.get("/health", response_model=Liveness)
def health() -> Liveness:
    """The API process is up."""
    return Liveness(status="ok")


@router.get("/ready", response_model=Readiness, responses={503: {"model": Readiness}})
def ready(
    celery: CeleryDep, store: StoreDep, settings: SettingsDep, response: Response
) -> Readiness:
    """Broker reachable, state dir writable, at least one worker answering a ping."""
    checks: dict[str, Check] = {}
    problem = broker_problem(celery, _CHECK_TIMEOUT)
    checks["broker"] = Check(ok=problem is None, detail=problem or "connected")
    problem = store.writable()
    checks["state_dir"] = Check(ok=problem is None, detail=problem or _room(store, settings))
    if checks["broker"].ok:
        names = workers_answering(celery, _CHECK_TIMEOUT)
        checks["workers"] = Check(
            ok=bool(names),
            detail=", ".join(names) if names else "no worker answered a ping",
        )
    else:
        checks["workers"] = Check(ok=False, detail="not asked: the broker is unreachable")
    failing = [name for name, check in checks.items() if not check.ok]
    if failing:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return Readiness(status="not ready" if failing else "ready", failing=failing, checks=checks)


def _room(store: JobStore, settings: Settings) -> str:
    # Reads go on below the reserve, so the API stays ready; the detail tells operators why
    # submissions get 507.
    reserve = reserve_of(settings)
    room = store.room_below(reserve)
    if room is None:
        return "writable"
    return (
        f"writable, {room.shown()}: below the reserve of {reserve.shown()}, "
        "so submissions are refused (507)"
    )
