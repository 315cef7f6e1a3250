"""A file cache for tables of big integers that never change (Euler numbers).

One file per table: a JSON header line with the count and a SHA-256 of the body, then the
numbers in hex, one per line. Written atomically; a file whose digest does not match is
reported as missing, so the caller rebuilds it.
"""

import contextlib
import hashlib
import json
import logging
from collections.abc import Iterator
from pathlib import Path

from storage.atomic import locked, write_bytes_atomic
from storage.layout import StateLayout

logger = logging.getLogger(__name__)


class NumberCache:
    def __init__(self, state_dir: Path, name: str) -> None:
        if not name.isidentifier():
            raise ValueError(f"cache name must be an identifier, got {name!r}")
        self._path = StateLayout(state_dir).cache / f"{name}.txt"

    def stamp(self) -> tuple[int, int] | None:
        """(modification time in ns, size) of the stored table, or None if there is none:
        changes whenever the file is replaced."""
        try:
            info = self._path.stat()
        except FileNotFoundError:
            return None
        return info.st_mtime_ns, info.st_size

    def load(self) -> list[int] | None:
        """The stored table, or None if there is none or it is damaged."""
        try:
            header_line, _, body = self._path.read_bytes().partition(b"\n")
            header = json.loads(header_line)
            if hashlib.sha256(body).hexdigest() != header["sha256"]:
                raise ValueError("digest mismatch")
            values = [int(line, 16) for line in body.split()]
            if len(values) != header["count"]:
                raise ValueError("count mismatch")
        except FileNotFoundError:
            return None
        except (ValueError, KeyError, TypeError) as exc:
            logger.warning("ignoring damaged cache %s: %s", self._path, exc)
            return None
        return values

    @contextlib.contextmanager
    def exclusive(self) -> Iterator[None]:
        """Held by the one process (re)building the table, so concurrent jobs wait for it
        instead of computing it too."""
        self._path.parent.mkdir(parents=True, exist_ok=True)
        with locked(self._path.with_suffix(".lock")):
            yield

    def save(self, values: list[int]) -> None:
        body = "\n".join(format(v, "x") for v in values).encode()
        header = json.dumps({"count": len(values), "sha256": hashlib.sha256(body).hexdigest()})
        self._path.parent.mkdir(parents=True, exist_ok=True)
        write_bytes_atomic(self._path, header.encode() + b"\n" + body)
