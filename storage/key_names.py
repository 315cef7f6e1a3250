"""Result-backend keys as file names."""

import hashlib
import re

_SAFE_NAME = re.compile(r"^[A-Za-z0-9._-]{1,200}$")


def file_name(key: str) -> str:
    """Keys are built from task ids a client may choose; never let one become a path, nor a
    name starting with a dot, which marks a file being written (``storage.atomic``)."""
    if _SAFE_NAME.match(key) and not key.startswith("."):
        return key
    return "h-" + hashlib.sha256(key.encode()).hexdigest()
