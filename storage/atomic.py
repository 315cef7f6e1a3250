"""Crash-safe file primitives: whole-file replacement and advisory locks."""

import contextlib
import errno
import fcntl
import itertools
import os
import stat
from collections.abc import Iterator
from pathlib import Path


def write_bytes_atomic(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Replace ``path`` with ``data`` so a reader sees the old or the new file, never a part.

    ``durable`` fsyncs the data before the rename, so the new file also survives a power cut
    or a kernel crash (a killed process loses nothing either way). Files that can be
    recomputed skip it: the fsync is most of a small write's cost."""
    fd, tmp_name = _create_temporary(path)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            if durable:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise


_temporaries = itertools.count()


def _create_temporary(path: Path) -> tuple[int, str]:
    """A new file beside ``path`` for its next version. Named by process and a counter
    rather than by tempfile's random names, which cost more than the write of a small
    record; O_EXCL still refuses a leftover of a dead process that had this pid."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    while True:
        name = f"{path.parent}/.{path.name}.{os.getpid()}-{next(_temporaries)}.tmp"
        try:
            return os.open(name, flags, 0o600), name
        except FileExistsError:
            continue


def make_marker(path: Path, *, make_folder: bool = False) -> None:
    """An empty file at ``path``, in one system call (a ``touch`` makes three); one already
    there is kept. A missing folder is made with ``make_folder``, else FileNotFoundError."""
    try:
        os.mknod(path, 0o644 | stat.S_IFREG)
    except FileExistsError:
        pass
    except FileNotFoundError:
        if not make_folder:
            raise
        path.parent.mkdir(parents=True, exist_ok=True)
        make_marker(path)
    except OSError as exc:
        # Linux makes regular files by mknod for anyone; macOS and the BSDs refuse it.
        if exc.errno not in (errno.EPERM, errno.EINVAL):
            raise
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o644))


def create_exclusive(path: Path) -> bool:
    """Create an empty ``path``; True only for the single caller that created it."""
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        return False
    os.close(fd)
    return True


@contextlib.contextmanager
def locked(path: Path) -> Iterator[int]:
    """Hold an exclusive ``flock`` on ``path``; the kernel drops it if the holder dies. Yields
    the descriptor holding it, for a holder that keeps data in the lock file itself."""
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield fd
    finally:
        os.close(fd)


def lock_nowait(path: Path) -> int | None:
    """An open descriptor holding an exclusive ``flock`` on ``path``, or None when another
    process holds it; the caller closes the descriptor to release the lock."""
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    except BaseException:
        os.close(fd)
        raise
    return fd


@contextlib.contextmanager
def try_locked(path: Path) -> Iterator[bool]:
    """Like ``locked`` without waiting: yields False when another process holds the lock."""
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
        else:
            yield True
    finally:
        os.close(fd)
