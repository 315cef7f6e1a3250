"""A Celery result backend on local files that joins chords without polling.

Results are files written atomically (Celery's stock ``file://`` backend writes them in
place), and chords join through marker files (``storage.chord_join``), with no
``chord_unlock`` polling.

Configured as ``storage.result_backend:FileResultBackend+file:///absolute/dir``; the API
and every worker must use the same URL, or chords never fire.
"""

import builtins
import contextlib
import glob
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from kombu.utils.encoding import bytes_to_str

from storage.atomic import write_bytes_atomic
from storage.chord_join import ChordJoiningBackend
from storage.key_names import file_name
from storage.removal import remove_tree
from storage.room import is_disk_full

logger = logging.getLogger(__name__)


def _names_job(task_id: str, job_ids: set[str]) -> bool:
    """Whether ``task_id`` is one of these jobs' (``<job id>.…``, job ids being UUIDs)."""
    return task_id[36:37] == "." and task_id[:36] in job_ids


class FileResultBackend(ChordJoiningBackend):
    """Results and chord state as files under one folder: ``meta/`` and ``chords/``."""

    def __init__(self, url: str | None = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        path = urlsplit(url or "").path
        if not url or not path.startswith("/"):
            raise ValueError(
                f"result backend URL {url!r} must name an absolute folder: "
                "storage.result_backend:FileResultBackend+file:///absolute/path"
            )
        self.url = url
        self.root = Path(path)
        self._meta = self.root / "meta"
        self._chords = self.root / "chords"
        self._meta.mkdir(parents=True, exist_ok=True)
        self._chords.mkdir(parents=True, exist_ok=True)

    def __reduce__(self, args: tuple[Any, ...] = (), kwargs: dict[str, Any] | None = None) -> Any:
        return super().__reduce__(args, {**(kwargs or {}), "url": self.url})  # type: ignore[call-arg]

    # -- key/value primitives ----------------------------------------------------------------
    def _path(self, key: bytes | str) -> Path:
        return self._meta / file_name(bytes_to_str(key))

    def get(self, key: bytes | str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            return None

    def mget(self, keys: list[Any]) -> list[bytes | None]:
        return [self.get(key) for key in keys]

    def set(self, key: bytes | str, value: bytes | str) -> None:
        # Not fsynced: task results and chord state only carry a round to its reducer; the
        # chunk sums are in the job store and the answer in its fsynced job record, and a
        # chord whose files a power cut took is sent again by the stall sweep.
        data = value.encode() if isinstance(value, str) else value
        write_bytes_atomic(self._path(key), data, durable=False)

    def delete(self, key: bytes | str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._path(key).unlink()

    def forget_prefix(self, prefix: str) -> None:
        """Remove the results of every task whose id starts with ``prefix``."""
        meta_key = bytes_to_str(self.get_key_for_task(prefix))
        if file_name(meta_key) != meta_key:
            return  # such ids were stored under hashed names; nothing to match
        for path in self._meta.glob(f"{glob.escape(meta_key)}*"):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()

    # builtins.set: within this class "set" is the backend's own method.
    def forget_jobs(self, job_ids: "builtins.set[str]") -> None:
        """Remove everything stored for these jobs' tasks, groups and chords (their ids all
        start ``<job id>.``), with one listing of each folder for all of them."""
        heads = [bytes_to_str(self.task_keyprefix), bytes_to_str(self.group_keyprefix)]
        with contextlib.suppress(FileNotFoundError), os.scandir(self._meta) as entries:
            for entry in entries:
                name = entry.name
                if any(_names_job(name[len(head) :], job_ids) for head in heads):
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(entry.path)
        with contextlib.suppress(FileNotFoundError), os.scandir(self._chords) as entries:
            for entry in entries:
                if _names_job(entry.name, job_ids):
                    remove_tree(entry.path)

    def incr(self, key: bytes | str) -> int:
        raise NotImplementedError(
            "a chord's finished tasks are counted by marker files, not a counter"
        )

    def expire(self, key: bytes | str, value: Any) -> None:
        """Results are kept until removed; the job store's retention owns their lifetime."""

    # -- task states -------------------------------------------------------------------------
    # Celery's own parameters pass through as they are: only the full disk is handled here.
    def mark_as_done(self, task_id: str, *args: Any, **kwargs: Any) -> None:
        """A task that returned while the disk is full can be neither recorded nor counted
        by its chord. Raising would make Celery record a failure instead (also on the full
        disk) and fail the job; logged, the job waits for the stall sweep, which sends it
        again (its finished chunks are not computed twice)."""
        with _unless_disk_full(f"that {task_id} returned"):
            super().mark_as_done(task_id, *args, **kwargs)

    def mark_as_failure(self, task_id: str, exc: Exception, *args: Any, **kwargs: Any) -> None:
        """Celery records a failure from the worker's main process, between the task and its
        message's ack: raising there skips the ack, and the worker holds the message, and
        its prefetch slot, for good. On a full disk the failure is logged instead."""
        with _unless_disk_full(f"that {task_id} failed ({exc!r})"):
            super().mark_as_failure(task_id, exc, *args, **kwargs)

    def mark_as_retry(self, task_id: str, *args: Any, **kwargs: Any) -> None:
        """RETRY is only informational: when the disk is full (the usual reason a chunk is
        retried) it is not written, and the retry goes ahead instead of failing the task."""
        with _unless_disk_full(f"RETRY of {task_id}", "the retry goes ahead"):
            super().mark_as_retry(task_id, *args, **kwargs)


@contextlib.contextmanager
def _unless_disk_full(
    what: str, then: str = "the stall sweep sends its job again"
) -> Iterator[None]:
    try:
        yield
    except OSError as error:
        if not is_disk_full(error):
            raise
        logger.warning("not recording %s (%s): %s", what, error, then)
