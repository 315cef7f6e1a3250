"""Bearer-token authentication: the clients of ``pichord clients`` and PICHORD_API_TOKEN.

Once any client exists (or PICHORD_API_TOKEN is set, which acts as a client named ``admin``
with the admin scope), submitting and cancelling need a token with the ``submit`` scope.
Reads need a token too when PICHORD_API_TOKEN_READS is true. The host's details, /workers
and /metrics need the ``admin`` scope whenever reads are closed or the API is reachable
beyond loopback. /health and /ready stay open for probes.
"""

import secrets
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.audit import record
from api.deps import SettingsDep
from config import Settings
from storage import JobRecord
from storage.audit import AuditAction
from storage.clients import ClientBook, Scope, use_is_due
from storage.layout import StateLayout

# The client PICHORD_API_TOKEN stands for (a name no added client may take).
API_TOKEN_CLIENT = "admin"

_bearer = HTTPBearer(
    auto_error=False,
    description="A client's token (`pichord clients add`), or PICHORD_API_TOKEN",
)
CredentialsDep = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


@dataclass(frozen=True)
class Caller:
    """Who sent a request: a client's name and scope."""

    name: str
    scope: Scope


def client_book(settings: Settings) -> ClientBook:
    return ClientBook(StateLayout(settings.state_dir).clients)


def auth_enabled(settings: Settings) -> bool:
    return settings.api_token is not None or client_book(settings).in_use()


async def identify(settings: Settings, token: str) -> Caller | None:
    """The client holding ``token``, or None."""
    if settings.api_token is not None and secrets.compare_digest(
        token.encode(), settings.api_token.get_secret_value().encode()
    ):
        return Caller(API_TOKEN_CLIENT, Scope.ADMIN)
    book = client_book(settings)
    client = book.holder(token)
    if client is None:
        return None
    if use_is_due(client):
        # A write under the book's lock, once a minute per client: not on the event loop.
        await run_in_threadpool(book.note_use, token, client)
    return Caller(client.name, client.scope)


# The checks below are async, so they run on the event loop: as plain functions FastAPI
# would hand every request to a thread and back for them, which costs more under load than
# the stat and the small read they do. Writes (the audit line of a refusal, a client's last
# use) still go to a thread.
async def _require(
    settings: Settings,
    request: Request,
    credentials: HTTPAuthorizationCredentials | None,
    needed: Scope,
) -> Caller | None:
    if not auth_enabled(settings):
        return None
    if credentials is None:
        await _audit_refusal(settings, request, None, "401")
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            f"this endpoint needs 'Authorization: Bearer <token>' of a client with the "
            f"{needed.value!r} scope (`pichord clients add NAME --scope {needed.value}`)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    caller = await identify(settings, credentials.credentials)
    if caller is None:
        await _audit_refusal(settings, request, None, "403")
        raise HTTPException(status.HTTP_403_FORBIDDEN, "the bearer token is not accepted here")
    if not caller.scope.allows(needed):
        await _audit_refusal(settings, request, caller, "403")
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            f"this needs the {needed.value!r} scope; client {caller.name!r} has "
            f"{caller.scope.value!r}",
        )
    return caller


async def _audit_refusal(
    settings: Settings, request: Request, caller: Caller | None, result: str
) -> None:
    await run_in_threadpool(
        record, settings, request, AuditAction.AUTH_FAILURE, caller=caller, result=result
    )


async def optional_caller(settings: SettingsDep, credentials: CredentialsDep) -> Caller | None:
    """Who sent a request that does not need a token: None when it brings none, or one that
    no client holds (an open read is answered as before, whatever token it carries)."""
    if credentials is None:
        return None
    return await identify(settings, credentials.credentials)


async def require_writer(
    settings: SettingsDep, request: Request, credentials: CredentialsDep
) -> Caller | None:
    return await _require(settings, request, credentials, Scope.SUBMIT)


async def require_reader(
    settings: SettingsDep, request: Request, credentials: CredentialsDep
) -> Caller | None:
    if settings.api_token_reads:
        return await _require(settings, request, credentials, Scope.READ)
    return await optional_caller(settings, credentials)


async def require_host_reader(
    settings: SettingsDep, request: Request, credentials: CredentialsDep
) -> Caller | None:
    """Hostname, addresses, kernel, workers: nobody else's business once other machines
    can reach the API, though task reads may stay open for a shared dashboard."""
    if settings.api_token_reads or settings.exposed:
        return await _require(settings, request, credentials, Scope.ADMIN)
    return None


WriterDep = Depends(require_writer)
ReaderDep = Depends(require_reader)
HostReaderDep = Depends(require_host_reader)
# The caller, for routes that act on who it is (ownership).
WriterCaller = Annotated[Caller | None, WriterDep]
ReaderCaller = Annotated[Caller | None, ReaderDep]


def require_owner(caller: Caller | None, job: JobRecord) -> None:
    """403 unless the caller owns the job or is an admin (anyone may, without clients)."""
    if caller is None or caller.scope is Scope.ADMIN or caller.name == job.owner:
        return
    owner = "nobody (it was submitted before the service had clients)"
    if job.owner is not None:
        owner = f"client {job.owner!r}"
    raise HTTPException(
        status.HTTP_403_FORBIDDEN,
        f"task {job.id} belongs to {owner}; client {caller.name!r} may cancel only its own "
        "tasks (the 'admin' scope cancels anyone's)",
    )
