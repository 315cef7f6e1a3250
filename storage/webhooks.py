"""Completion webhooks waiting to be delivered: one file per job whose submission gave a
callback_url, from the moment the job ends until its receiver takes the call or it is given up.

  webhooks/pending/<job id>.json   the delivery: its id, url, attempts, when it is due
  webhooks/pending/<job id>.lock   held by the process delivering it
  webhooks/failed/<job id>.json    given up after the last retry, with the last error

The job store adds a delivery (fsynced) just before the record that ends its job, so a
crash between the two leaves a delivery whose job has not ended: its deliverer waits for
the ending, which adds the same delivery again. Restarts lose nothing: the files are the
queue.
"""

import contextlib
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pydantic import BaseModel, ValidationError

from storage.atomic import try_locked, write_bytes_atomic


def _now() -> datetime:
    return datetime.now(UTC)


class Delivery(BaseModel):
    job_id: str
    # Sent as X-Pichord-Delivery with every attempt, so a receiver can tell a retry.
    delivery_id: str
    url: str
    attempts: int = 0
    due: datetime
    last_error: str | None = None


class WebhookQueue:
    def __init__(self, folder: Path) -> None:
        self._pending = folder / "pending"
        self._failed = folder / "failed"

    def add(self, job_id: str, url: str) -> None:
        """Queue the job's delivery, due now; a delivery already queued is kept as it is."""
        path = self._pending / f"{job_id}.json"
        if path.exists():
            return
        self._pending.mkdir(parents=True, exist_ok=True)
        delivery = Delivery(job_id=job_id, delivery_id=str(uuid.uuid4()), url=url, due=_now())
        write_bytes_atomic(path, delivery.model_dump_json().encode())

    def due(self, now: datetime | None = None) -> list[Delivery]:
        """The queued deliveries whose time has come, the longest waiting first."""
        moment = now or _now()
        found = [d for d in self._all(self._pending) if d.due <= moment]
        return sorted(found, key=lambda delivery: delivery.due)

    def pending(self) -> list[Delivery]:
        return self._all(self._pending)

    def failed(self) -> list[Delivery]:
        return self._all(self._failed)

    def get(self, job_id: str) -> Delivery | None:
        return _read(self._pending / f"{job_id}.json")

    @contextlib.contextmanager
    def claim(self, job_id: str) -> Iterator[bool]:
        """Held while one process delivers the job's webhook; False if another holds it."""
        with try_locked(self._pending / f"{job_id}.lock") as acquired:
            yield acquired

    def delivered(self, job_id: str) -> None:
        (self._pending / f"{job_id}.json").unlink(missing_ok=True)
        (self._pending / f"{job_id}.lock").unlink(missing_ok=True)

    def failed_attempt(self, delivery: Delivery, error: str, wait: float | None) -> None:
        """Count a failed attempt: due again after ``wait`` seconds, or given up (None)."""
        attempted = delivery.model_copy(
            update={"attempts": delivery.attempts + 1, "last_error": error}
        )
        if wait is None:
            self._failed.mkdir(parents=True, exist_ok=True)
            write_bytes_atomic(
                self._failed / f"{delivery.job_id}.json", attempted.model_dump_json().encode()
            )
            self.delivered(delivery.job_id)
            return
        later = attempted.model_copy(update={"due": _now() + timedelta(seconds=wait)})
        write_bytes_atomic(
            self._pending / f"{delivery.job_id}.json", later.model_dump_json().encode()
        )

    @staticmethod
    def _all(folder: Path) -> list[Delivery]:
        try:
            names = os.listdir(folder)
        except FileNotFoundError:
            return []
        found = (_read(folder / name) for name in names if name.endswith(".json"))
        return [delivery for delivery in found if delivery is not None]


def _read(path: Path) -> Delivery | None:
    try:
        return Delivery.model_validate_json(path.read_bytes())
    except (FileNotFoundError, ValidationError):
        # Gone meanwhile, or a partial write from outside (ours are atomic): skipped.
        return None
