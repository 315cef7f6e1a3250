"""Removing a folder the store wrote: a job's, a chord's, a creation cut short.

Retention removes tens of thousands of job folders at a time. ``shutil.rmtree`` opens,
stats and compares every folder by descriptor before it descends, a guard against a folder
swapped for a symlink while it works: a dozen system calls per folder, and 40 % of a
small job's removal. Nothing but the store writes the state dir, so a listing per folder
and a call per entry remove the same tree.
"""

import contextlib
import os
import shutil
from pathlib import Path


def remove_tree(path: str | Path) -> None:
    """Remove ``path`` and everything under it; already gone is done. Symlinks are removed,
    never followed. Whatever else stops it (an entry added meanwhile, a permission) is left
    to ``shutil.rmtree``, which skips what it cannot remove."""
    try:
        _remove(os.fspath(path))
    except FileNotFoundError:
        return  # another sweep removed it first
    except OSError:
        shutil.rmtree(path, ignore_errors=True)


def _remove(path: str) -> None:
    with os.scandir(path) as entries:
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                with contextlib.suppress(FileNotFoundError):
                    _remove(entry.path)
            else:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(entry.path)
    os.rmdir(path)
