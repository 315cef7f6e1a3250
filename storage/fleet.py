"""The fleet: which workers serve the queue now, read from heartbeat files in the state dir.

Every worker writes ``fleet/<name>.json`` about once a second and removes it when it stops.
Counting the fleet is then a directory read, the same for both brokers and every container
that shares the state dir: no broker round trip, and no wait on a broker that is down. A
worker killed outright leaves its file behind; it stops counting once its beat is older
than ``max_age`` and is removed by the next reader once it is far older.
"""

import contextlib
import logging
import re
from datetime import datetime, timedelta
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from storage.atomic import write_bytes_atomic
from storage.records import utcnow

logger = logging.getLogger(__name__)

_UNSAFE = re.compile(r"[^A-Za-z0-9._@-]")

# A beat this many times older than ``max_age`` belongs to a worker that is gone for good.
_FORGET_AFTER = 20


class FleetMember(BaseModel):
    """One worker as its last heartbeat described it."""

    model_config = ConfigDict(extra="ignore")

    name: str
    host: str
    pid: int
    processes: int = Field(ge=0)
    started: datetime
    beat: datetime = Field(default_factory=utcnow)
    # Pool processes running a task right now, and the share of process time spent running
    # tasks over the last ``busy_window`` seconds.
    busy: int = Field(default=0, ge=0)
    busy_share: float = Field(default=0.0, ge=0.0, le=1.0)
    busy_window: float = Field(default=0.0, ge=0.0)


class Fleet:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _path(self, name: str) -> Path:
        return self.folder / f"{_UNSAFE.sub('_', name)}.json"

    def beat(self, member: FleetMember) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        # Rewritten every second and meaningless after a restart: no fsync.
        write_bytes_atomic(
            self._path(member.name), member.model_dump_json().encode(), durable=False
        )

    def leave(self, name: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._path(name).unlink()

    def members(self, max_age: float, now: datetime | None = None) -> list[FleetMember]:
        """Workers whose last beat is at most ``max_age`` seconds old, by name."""
        now = now or utcnow()
        fresh = []
        try:
            paths = list(self.folder.glob("*.json"))
        except FileNotFoundError:
            return []
        for path in paths:
            try:
                member = FleetMember.model_validate_json(path.read_bytes())
            except FileNotFoundError:
                continue
            except ValidationError as exc:
                logger.warning("ignoring unreadable heartbeat %s: %s", path.name, exc)
                continue
            age = now - member.beat
            if age <= timedelta(seconds=max_age):
                fresh.append(member)
            elif age > timedelta(seconds=max_age * _FORGET_AFTER):
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
        return sorted(fresh, key=lambda member: member.name)

    def processes(self, max_age: float, now: datetime | None = None) -> int:
        """Pool processes of every live worker (0 when none beats)."""
        return sum(member.processes for member in self.members(max_age, now))
