"""The audit log: who submitted, cancelled, failed to authenticate, or added and removed a
client; one JSON line per event in ``audit-YYYY-MM-DD.jsonl`` (the event's UTC date).

Several API processes, the workers' containers and the ``pichord clients`` command append
to the same files. Each line is one ``os.write`` on a descriptor opened with O_APPEND,
which the kernel puts at the end of the file as one piece, so lines never interleave (on a
local file system: NFS does not honour O_APPEND across clients). No field ever holds a
token, only the client's name.
"""

import os
import re
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, field_validator

_DAY_FILE = re.compile(r"audit-(\d{4}-\d{2}-\d{2})\.jsonl")


class AuditAction(StrEnum):
    SUBMIT = "submit"
    CANCEL = "cancel"
    AUTH_FAILURE = "auth_failure"
    CLIENT_ADD = "client_add"
    CLIENT_REMOVE = "client_remove"


class AuditEntry(BaseModel):
    """One event. ``result`` is a short word ("accepted", "replayed", "added") or the HTTP
    status a refused request got ("401", "403", "409")."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    time: AwareDatetime
    client: str | None = None
    scope: str | None = None
    action: AuditAction
    job_id: str | None = None
    # The peer's address as the API saw it (a proxy's, unless uvicorn runs --proxy-headers);
    # None for the command line.
    remote: str | None = None
    result: str = Field(min_length=1, max_length=40, pattern=r"^\S+$")

    @field_validator("time")
    @classmethod
    def _in_utc(cls, value: datetime) -> datetime:
        # The day file is named by the UTC date, so the stored time is UTC too.
        return value.astimezone(UTC)


class AuditWriteError(OSError):
    def __init__(self, path: Path, written: int, size: int) -> None:
        super().__init__(
            f"only {written} of {size} bytes of an audit line reached {path}; "
            "free space on its file system (the line may be torn)"
        )


class AuditLog:
    """The day files under ``folder``, made on the first write."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def path(self, day: date) -> Path:
        return self.folder / f"audit-{day.isoformat()}.jsonl"

    def write(self, entry: AuditEntry) -> None:
        line = entry.model_dump_json().encode() + b"\n"
        path = self.path(entry.time.date())
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        # No fsync: a killed process loses nothing already written, and a flood of refused
        # requests must not become a flood of disk flushes.
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            # One write call: a second one (say, for the newline) could land after
            # another process's line.
            written = os.write(fd, line)
        finally:
            os.close(fd)
        if written != len(line):
            raise AuditWriteError(path, written, len(line))

    def days(self) -> list[date]:
        """The days that have a file, oldest first."""
        return sorted(day for day, _ in self._day_files())

    def entries(self, day: date) -> list[AuditEntry]:
        """The day's events in the order they were written. A line that does not parse
        (torn by a full disk) is skipped rather than hiding the rest of the day."""
        try:
            lines = self.path(day).read_bytes().splitlines()
        except FileNotFoundError:
            return []
        found = []
        for line in lines:
            try:
                found.append(AuditEntry.model_validate_json(line))
            except ValidationError:
                continue
        return found

    def remove_before(self, cutoff: date) -> list[Path]:
        """Delete the files of the days before ``cutoff`` (its own day is kept); returns
        the paths removed. Removing is idempotent, so two sweeps at once do no harm."""
        removed = []
        for day, path in self._day_files():
            if day < cutoff:
                try:
                    path.unlink()
                except FileNotFoundError:
                    continue
                removed.append(path)
        return sorted(removed)

    def _day_files(self) -> list[tuple[date, Path]]:
        try:
            paths = list(self.folder.iterdir())
        except FileNotFoundError:
            return []
        found = []
        for path in paths:
            match = _DAY_FILE.fullmatch(path.name)
            if match is None:
                continue
            try:
                found.append((date.fromisoformat(match.group(1)), path))
            except ValueError:  # audit-2024-13-45.jsonl: not ours
                continue
        return found
