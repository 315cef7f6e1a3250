"""The API's clients: a name, a scope and the hash of a bearer token, one file each.

Tokens are shown once, when a client is added, and only their SHA-256 is stored: tokens are
32 random bytes, so a fast hash is enough (a slow one guards guessable passwords). The file
is named by that hash, so a request finds its client with one read and no scan, and every
API process and container that shares the state dir sees an added or removed client at once.
"""

import contextlib
import hashlib
import re
import secrets
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ValidationError

from storage.atomic import create_exclusive, locked, write_bytes_atomic

# Names become folder names (a client's jobs are indexed under it), so nothing path-like.
CLIENT_NAME = r"^[a-z0-9][a-z0-9_.-]{0,62}$"
NAME_PATTERN = re.compile(CLIENT_NAME)
# The client PICHORD_API_TOKEN acts as: a client of that name would share its jobs.
RESERVED_NAMES = frozenset({"admin"})
# Last use is written at most this often per client: a request must not mean a write.
LAST_USED_EVERY = timedelta(seconds=60)
TOKEN_PREFIX = "pc_"


class Scope(StrEnum):
    """What a client may do; each scope includes the ones before it."""

    READ = "read"
    SUBMIT = "submit"
    ADMIN = "admin"

    def allows(self, needed: "Scope") -> bool:
        order = list(Scope)
        return order.index(self) >= order.index(needed)


class Client(BaseModel):
    name: str
    scope: Scope
    created: datetime
    last_used: datetime | None = None


class ClientExistsError(ValueError):
    def __init__(self, name: str) -> None:
        super().__init__(f"a client named {name!r} exists; remove it first or pick another name")


class NoSuchClientError(LookupError):
    def __init__(self, name: str) -> None:
        super().__init__(f"no client named {name!r}; `pichord clients list` shows them")


class BadClientNameError(ValueError):
    def __init__(self, name: str) -> None:
        super().__init__(
            f"client name {name!r} is not allowed: use 1 to 63 lowercase letters, digits, "
            "'.', '_' or '-', starting with a letter or digit, and not 'admin' (the name "
            "PICHORD_API_TOKEN acts as)"
        )


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def use_is_due(client: Client, now: datetime | None = None) -> bool:
    """Whether a use of ``client`` is to be noted: at most once every LAST_USED_EVERY."""
    last = client.last_used
    return last is None or (now or datetime.now(UTC)) - last >= LAST_USED_EVERY


class ClientBook:
    """The clients under ``folder``: ``by-token/<sha256>.json`` holds a client, and
    ``names/<name>`` (created with O_EXCL) reserves its name and points to that hash."""

    def __init__(self, folder: Path) -> None:
        self._tokens = folder / "by-token"
        self._names = folder / "names"
        self._lock = folder / "clients.lock"
        self._in_use = folder / "in-use"

    def reopen(self) -> None:
        """Stop requiring tokens, once no client is left (what deleting ``in-use`` does)."""
        with locked(self._lock):
            if self.clients():
                raise ClientExistsError(self.clients()[0].name)
            self._in_use.unlink(missing_ok=True)

    def in_use(self) -> bool:
        """Whether a client was ever added: then writes need a token, also once every
        client is removed (revoking the last one must not open the service to everyone)."""
        return self._in_use.exists()

    def add(self, name: str, scope: Scope) -> str:
        """Add a client and return its token, which is not stored and cannot be shown again."""
        if not NAME_PATTERN.fullmatch(name) or name in RESERVED_NAMES:
            raise BadClientNameError(name)
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        digest = token_digest(token)
        self._tokens.mkdir(parents=True, exist_ok=True)
        self._names.mkdir(parents=True, exist_ok=True)
        with locked(self._lock):
            if not create_exclusive(self._names / name):
                raise ClientExistsError(name)
            client = Client(name=name, scope=scope, created=datetime.now(UTC))
            write_bytes_atomic(self._token_path(digest), client.model_dump_json().encode())
            write_bytes_atomic(self._names / name, digest.encode())
            self._in_use.touch()
        return token

    def remove(self, name: str) -> None:
        """Revoke at once: the next request with its token finds no client."""
        with locked(self._lock):
            try:
                digest = (self._names / name).read_text()
            except FileNotFoundError:
                raise NoSuchClientError(name) from None
            with contextlib.suppress(FileNotFoundError):
                self._token_path(digest).unlink()
            (self._names / name).unlink()

    def clients(self) -> list[Client]:
        found = []
        for path in sorted(self._tokens.glob("*.json")) if self._tokens.is_dir() else []:
            client = self._read(path)
            if client is not None:
                found.append(client)
        return sorted(found, key=lambda c: c.name)

    def find(self, token: str, now: datetime | None = None) -> Client | None:
        """The client holding ``token``, its last use noted (at most once a minute)."""
        client = self.holder(token)
        if client is not None and use_is_due(client, now):
            client = self.note_use(token, client, now)
        return client

    def holder(self, token: str) -> Client | None:
        """The client holding ``token``; only reads (one small file), writes nothing."""
        return self._read(self._token_path(token_digest(token)))

    def note_use(self, token: str, client: Client, now: datetime | None = None) -> Client:
        """Note that ``client`` (the holder of ``token``) was used now."""
        noted = client.model_copy(update={"last_used": now or datetime.now(UTC)})
        path = self._token_path(token_digest(token))
        # Under the book's lock, so that a removal between the read and this write is not
        # undone by it.
        with locked(self._lock):
            if path.exists():
                write_bytes_atomic(path, noted.model_dump_json().encode(), durable=False)
        return noted

    def _token_path(self, digest: str) -> Path:
        return self._tokens / f"{digest}.json"

    @staticmethod
    def _read(path: Path) -> Client | None:
        try:
            return Client.model_validate_json(path.read_bytes())
        except (FileNotFoundError, ValidationError):
            return None
