"""Signed completion webhooks: the check of a submission's callback_url against
PICHORD_WEBHOOK_ALLOW, and the thread of each API process that delivers them.

A delivery POSTs the ended job's brief task JSON with ``X-Pichord-Signature: sha256=<hex
HMAC-SHA256 of the body with PICHORD_WEBHOOK_SECRET>`` and ``X-Pichord-Delivery`` (the same
for every attempt). Any 2xx is taken; anything else, a redirect (never followed) or a
timeout is retried after each of PICHORD_WEBHOOK_RETRY_SECONDS, then given up. The queue
lives in the state dir (``storage.webhooks``), so deliveries survive restarts, and a lock
per delivery keeps two API processes from sending the same attempt.
"""

import fnmatch
import hashlib
import hmac
import logging
from urllib.parse import urlsplit
from uuid import UUID

import httpx2

from api.chunk_cache import ChunkCache
from api.periodic import PeriodicThread
from api.reading import read_task
from config import Settings
from storage import JobNotFoundError, JobStore
from storage.webhooks import Delivery

logger = logging.getLogger("uvicorn.error")

SIGNATURE_HEADER = "X-Pichord-Signature"
DELIVERY_HEADER = "X-Pichord-Delivery"
POLL_SECONDS = 0.5
_DEFAULT_PORTS = {"http": 80, "https": 443}


class CallbackRefusedError(ValueError):
    """A callback_url the service will not call; the message says what to change."""


def check_callback(settings: Settings, url: str) -> None:
    """Refuse a callback_url that is not plain http(s) or whose host:port no pattern of
    PICHORD_WEBHOOK_ALLOW admits (none does while it is empty: no request forgery by
    default)."""
    if not settings.webhook_allow:
        raise CallbackRefusedError(
            "this service sends no webhooks: PICHORD_WEBHOOK_ALLOW is empty (set it to the "
            "host:port patterns callbacks may go to), so callback_url cannot be used"
        )
    parts = urlsplit(url)
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname or parts.username is not None:
        raise CallbackRefusedError(
            f"callback_url {url!r} must be an http:// or https:// URL with a host and no "
            "user name or password"
        )
    try:
        port = parts.port or _DEFAULT_PORTS[parts.scheme]
    except ValueError as exc:
        raise CallbackRefusedError(f"callback_url {url!r} has no valid port") from exc
    host = parts.hostname.lower()
    shown = f"[{host}]" if ":" in host else host
    for pattern in settings.webhook_allow:
        subject = f"{shown}:{port}" if _has_port(pattern) else shown
        if fnmatch.fnmatchcase(subject, pattern.lower()):
            return
    raise CallbackRefusedError(
        f"callback_url host {shown}:{port} is not allowed by PICHORD_WEBHOOK_ALLOW "
        f"({', '.join(settings.webhook_allow)}); ask the operator to add it"
    )


def _has_port(pattern: str) -> bool:
    # "host:port" or "[v6]:port"; without a port a pattern admits the host on any port.
    tail = pattern.rsplit("]", 1)[-1] if pattern.startswith("[") else pattern
    return tail.count(":") == 1


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class WebhookDeliverer:
    """Delivers the due webhooks every POLL_SECONDS, from one thread of the API process."""

    def __init__(self, settings: Settings, store: JobStore, cache: ChunkCache) -> None:
        self._settings = settings
        self._store = store
        self._cache = cache
        self._thread = PeriodicThread("webhook delivery", POLL_SECONDS, self.deliver_due)
        timeout = settings.webhook_timeout_seconds
        self._http = httpx2.Client(follow_redirects=False, timeout=httpx2.Timeout(timeout))

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        # Long enough for a delivery under way to time out.
        self._thread.stop(timeout=self._settings.webhook_timeout_seconds + 5)
        self._http.close()

    def deliver_due(self) -> None:
        queue = self._store.webhooks
        for due in queue.due():
            with queue.claim(due.job_id) as mine:
                # Read again under the lock: another process may have just sent it.
                delivery = queue.get(due.job_id) if mine else None
                if delivery is not None and delivery.attempts == due.attempts:
                    self._attempt(delivery)

    def _attempt(self, delivery: Delivery) -> None:
        queue = self._store.webhooks
        try:
            task = read_task(self._store, self._cache, UUID(delivery.job_id), brief=True)
        except JobNotFoundError:
            queue.failed_attempt(delivery, "the job was removed before its webhook went", None)
            return
        if not task.status.finished:
            return  # queued just before a crash ended the writer: it comes with the ending
        error = self._post(delivery, task.model_dump_json().encode())
        if error is None:
            queue.delivered(delivery.job_id)
            return
        waits = self._settings.webhook_retry_seconds
        wait = waits[delivery.attempts] if delivery.attempts < len(waits) else None
        queue.failed_attempt(delivery, error, wait)
        outcome = f"retry in {wait:g} s" if wait is not None else "given up"
        logger.warning("webhook of job %s: %s; %s", delivery.job_id, error, outcome)

    def _post(self, delivery: Delivery, body: bytes) -> str | None:
        """None once the receiver took the call, else what went wrong."""
        try:
            check_callback(self._settings, delivery.url)
        except CallbackRefusedError as exc:
            return str(exc)
        secret = self._settings.webhook_secret
        assert secret is not None  # Settings refuses an allow list without one
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: signature(secret.get_secret_value(), body),
            DELIVERY_HEADER: delivery.delivery_id,
        }
        try:
            answer = self._http.post(delivery.url, content=body, headers=headers)
        except httpx2.HTTPError as exc:
            return f"{type(exc).__name__}: {exc}"
        if answer.is_success:
            return None
        if answer.is_redirect:
            target = answer.headers.get("location")
            return f"answered {answer.status_code} (a redirect to {target!r}, not followed)"
        return f"answered {answer.status_code}"
