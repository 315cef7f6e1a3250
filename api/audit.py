"""Recording events in the audit log (storage.audit) from the routes and the command line.

An audit line is a record of a request, not part of it: a full or read-only disk costs the
line (with a WARNING), never the request's answer.
"""

import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from fastapi import Request

from api import errors
from config import Settings
from storage.audit import AuditAction, AuditEntry, AuditLog
from storage.clients import Scope
from storage.layout import StateLayout
from storage.records import utcnow

logger = logging.getLogger(__name__)


class Identity(Protocol):
    """A client's name and scope: api.auth.Caller, taken by its shape because api.auth
    records its refusals here and must not be imported back."""

    @property
    def name(self) -> str: ...

    @property
    def scope(self) -> Scope: ...


def record(
    settings: Settings,
    request: Request,
    action: AuditAction,
    *,
    caller: Identity | None,
    job_id: str | None = None,
    result: str,
) -> None:
    """Note a request's event: ``caller`` None for an open service or a token no client
    holds; ``result`` a short word ("accepted", "replayed") or the status sent ("403")."""
    _write(
        settings,
        AuditEntry(
            time=utcnow(),
            client=None if caller is None else caller.name,
            scope=None if caller is None else caller.scope.value,
            action=action,
            job_id=job_id,
            remote=None if request.client is None else request.client.host,
            result=result,
        ),
    )


@dataclass
class Outcome:
    """What an audited request came to, filled in as it goes."""

    job_id: str | None = None
    result: str = "error"


@contextlib.contextmanager
def audited(
    settings: Settings,
    request: Request,
    action: AuditAction,
    *,
    caller: Identity | None,
    job_id: str | None = None,
) -> Iterator[Outcome]:
    """One line for the request run in the block: the outcome the block sets, or the status
    its exception is answered with (api.errors.status_of; "error" for anything else)."""
    outcome = Outcome(job_id=job_id)
    try:
        yield outcome
    except Exception as exc:
        answered = errors.status_of(exc)
        if answered is not None:
            outcome.result = str(answered)
        raise
    finally:
        record(
            settings, request, action, caller=caller, job_id=outcome.job_id, result=outcome.result
        )


def record_local(
    settings: Settings, action: AuditAction, *, client: str, scope: str | None, result: str
) -> None:
    """Note an event of this machine's command line, which has no remote address."""
    _write(
        settings,
        AuditEntry(time=utcnow(), client=client, scope=scope, action=action, result=result),
    )


def _write(settings: Settings, entry: AuditEntry) -> None:
    log = AuditLog(StateLayout(settings.state_dir).audit)
    try:
        log.write(entry)
    except OSError as exc:
        logger.warning(
            "audit line for %s (%s) not written to %s: %s",
            entry.action.value,
            entry.result,
            log.folder,
            exc,
        )
