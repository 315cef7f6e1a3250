"""Idempotency keys: a client that sends a submission again with the same key gets the job
its first sending created, not a second job.

A key is kept per client (``keys/<sha256 of client and key>.json``, so neither appears in a
file name) with the request it was first used for and the job that request created. All
of one key's work happens under a lock striped by its hash, held across the whole
submission: a second API process racing on the key waits, then finds the job the first one
created, or finds the key free again because that submission failed. The kernel drops the
lock of a process that dies, and a record whose job was never stored is then taken over.
"""

import contextlib
import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from pydantic import BaseModel, ValidationError

from storage.atomic import locked, write_bytes_atomic

# Locks are striped, not one per key: a lock file cannot be removed safely while another
# process may be waiting on it, and expired keys are removed.
LOCK_STRIPES = 256


class KeyRecord(BaseModel):
    # What the key was first used for, as the API describes a request ("leibniz, 5 digits").
    request: str
    job_id: str
    created: datetime


class KeyReusedError(ValueError):
    def __init__(self, key: str, first: str, this: str) -> None:
        super().__init__(
            f"Idempotency-Key {key!r} was first used for a different request ({first}; this "
            f"one is {this}); send a new key for a new request"
        )
        self.key = key


@dataclass
class KeyUse:
    """What a key says about a submission: send ``job_id`` as a new job, or (``replayed``)
    answer with the job an earlier sending created."""

    job_id: str
    replayed: bool
    # Set by ``release``: the submission failed in a way the client must be able to retry.
    released: bool = False

    def release(self) -> None:
        """Free the key when the block ends, though its job was stored (a job the broker
        never took, marked FAILURE): sending again must make a job that runs."""
        self.released = True


class IdempotencyKeys:
    def __init__(self, folder: Path, ttl: timedelta) -> None:
        self._keys = folder / "keys"
        self._locks = folder / "locks"
        self._ttl = ttl

    @contextlib.contextmanager
    def use(
        self,
        client: str | None,
        key: str,
        request: str,
        new_job_id: str,
        job_stored: Callable[[str], bool],
        now: datetime,
    ) -> Iterator[KeyUse]:
        """Held while the caller submits: yields the job to create (the key is reserved
        for it) or the earlier job to answer with. If the block raises before the job was
        stored (or after ``KeyUse.release``), the reservation is dropped so that the client
        can try again with the same key; a job that was stored keeps its key, and is what a
        retry gets. KeyReusedError when the key was used for another request within the time
        a key is kept."""
        path = self._keys / f"{_digest(client, key)}.json"
        self._keys.mkdir(parents=True, exist_ok=True)
        self._locks.mkdir(parents=True, exist_ok=True)
        with locked(self._locks / f"{path.stem[:2]}.lock"):
            earlier = _read(path)
            if earlier is not None and now - earlier.created < self._ttl:
                if earlier.request != request:
                    raise KeyReusedError(key, earlier.request, request)
                # A job that was never stored belongs to a submission that died: reuse the key.
                if job_stored(earlier.job_id):
                    yield KeyUse(earlier.job_id, replayed=True)
                    return
            record = KeyRecord(request=request, job_id=new_job_id, created=now)
            write_bytes_atomic(path, record.model_dump_json().encode())
            use = KeyUse(new_job_id, replayed=False)
            try:
                yield use
            except BaseException:
                if use.released or not job_stored(new_job_id):
                    path.unlink(missing_ok=True)
                raise

    def remove_expired(self, now: datetime) -> int:
        """Forget keys older than the time they are kept; returns how many."""
        removed = 0
        for path in self._keys.glob("*.json") if self._keys.is_dir() else []:
            with locked(self._locks / f"{path.stem[:2]}.lock"):
                record = _read(path)
                if record is None or now - record.created >= self._ttl:
                    path.unlink(missing_ok=True)
                    removed += 1
        return removed


def _digest(client: str | None, key: str) -> str:
    # Clients' keys never meet: the same key from two clients is two keys.
    return hashlib.sha256(f"{client or ''}\n{key}".encode()).hexdigest()


def _read(path: Path) -> KeyRecord | None:
    try:
        return KeyRecord.model_validate_json(path.read_bytes())
    except (FileNotFoundError, ValidationError):
        return None
