"""A file system of a few MB of its own (a tmpfs; mounting needs root, as on the CI machine),
for tests that fill it to meet the real ENOSPC."""

import contextlib
import errno
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest


@contextlib.contextmanager
def mounted_tmpfs(mount: Path, options: str) -> Iterator[Path]:
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(mount)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path, leave: int = 0) -> Path:
    """Fill ``disk`` but ``leave`` bytes; with none left, until a write fails with ENOSPC."""
    filler = disk / "filler"
    if leave:
        room = os.statvfs(disk)
        filler.write_bytes(bytes(max(0, room.f_bavail * room.f_frsize - leave)))
        return filler
    with filler.open("wb") as out:
        try:
            while True:
                out.write(bytes(65536))
                out.flush()
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    return filler


def fill_inodes(disk: Path, leave: int) -> list[Path]:
    """Create empty files on ``disk`` until ``leave`` inodes are free; the files made."""
    folder = disk / "inode-filler"
    folder.mkdir(exist_ok=True)
    made: list[Path] = []
    try:
        while True:
            path = folder / str(len(made))
            path.touch()
            made.append(path)
    except OSError as exc:
        assert exc.errno == errno.ENOSPC
    for path in made[len(made) - leave :] if leave else ():
        path.unlink()
    return made[: len(made) - leave]
