"""Measured speeds: how fast one worker process computes a method's chunks, from chunks that
finished, so that the next job's chunks are cut to last the time they should on the CPUs the
workers actually have (machines of one kind differ threefold)."""

import contextlib
import logging
import re
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

from storage.atomic import write_bytes_atomic
from storage.records import utcnow

logger = logging.getLogger(__name__)

_NAME = re.compile(r"^[a-z0-9-]{1,64}$")


class Speed(BaseModel):
    units_per_second: float = Field(gt=0)
    # How many chunks the figure comes from, and when it was measured.
    chunks: int = Field(ge=1)
    measured: str = Field(default_factory=lambda: utcnow().isoformat())


class SpeedBook:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _path(self, name: str) -> Path:
        if not _NAME.match(name):
            raise ValueError(f"speed name {name!r} must be lowercase letters, digits and '-'")
        return self.folder / f"{name}.json"

    def record(self, name: str, speed: Speed) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        # Measured again by the next job: no fsync.
        write_bytes_atomic(self._path(name), speed.model_dump_json().encode(), durable=False)

    def get(self, name: str) -> Speed | None:
        with contextlib.suppress(FileNotFoundError):
            try:
                return Speed.model_validate_json(self._path(name).read_bytes())
            except ValidationError as exc:
                logger.warning("ignoring unreadable speed %s: %s", name, exc)
        return None
