"""One settings class for every process of the service: API, workers and supervisord."""

import ipaddress
import os
from datetime import timedelta
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

import limits
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# Result backends that Celery can not use to join a chord (E_NO_CHORD_SUPPORT, or no backend).
_BACKENDS_WITHOUT_CHORDS = ("rpc", "disabled")
_BROKER_SCHEMES = ("amqp", "amqps", "pyamqp", "filesystem", "redis", "rediss", "memory")


class Role(StrEnum):
    """What one process tree (a container, or `make run`) runs under supervisord."""

    ALL = "all"
    WORKER = "worker"
    API = "api"


class ConfigError(ValueError):
    """A setting has a value the service cannot run with; the message names the fix."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PICHORD_", extra="ignore", frozen=True)

    api_host: str = "127.0.0.1"
    api_port: Annotated[int, Field(ge=1, le=65535)] = 8000
    # API processes under supervisord, sharing the port's socket: while one restarts after
    # a crash the others answer (so at least 2), and requests use more than one core.
    api_processes: Annotated[int, Field(ge=1, le=64)] = 2
    # Where other machines reach the API when something else binds the host's port for it:
    # compose publishes the container's 0.0.0.0:8000 on this address. Unset: API_HOST.
    publish_address: str | None = None
    # Beyond loopback without API_TOKEN the API refuses to start, unless this says the
    # operator means anyone who reaches it to submit jobs and read the host's details.
    allow_open: bool = False
    state_dir: Path = Path("var/state")
    # Unset means the embedded broker: kombu's filesystem transport under the state dir.
    broker_url: str | None = None
    # Unset means the service's own file backend under the state dir.
    result_backend: str | None = None
    queue: str = "pichord"

    role: Role = Role.ALL
    supervisor_port: Annotated[int, Field(ge=1, le=65535)] = 9001
    # Containers bind the UI on all interfaces; compose publishes it on the host's loopback.
    supervisor_bind: str = "127.0.0.1"
    # Containers log to stdout; `make run` to rotating files under the state dir.
    log_to_stdout: bool = False
    supervisor_user: str = "pichord"
    supervisor_password: str | None = None

    worker_concurrency: Annotated[int, Field(ge=1)] = Field(
        default_factory=lambda: os.cpu_count() or 1
    )
    # How much the pool processes lower their CPU priority (nice; 0 keeps it): they compute
    # for seconds at a time, while the API and each worker's own consumer answer within
    # milliseconds, so where they share cores those go first (bench/throughput.py).
    worker_nice: Annotated[int, Field(ge=0, le=19)] = 10
    # Celery task events from the workers (for `celery events`; Flower turns them on itself).
    task_events: bool = False
    # Wall time one chunk should take: a job waiting behind another waits about this long
    # for a turn, and each chunk costs a few ms of messages (bench/fairness.py, scaling.py).
    # Far below RabbitMQ's consumer_timeout.
    chunk_seconds: Annotated[float, Field(gt=0, le=600)] = 0.25
    # Lane tickets one job keeps waiting in the broker (pipeline/lanes.py): each running
    # chunk first queues its lane's next ticket, so any number of processes take part in a
    # job, and jobs take turns in proportion to their lanes. One is fairest and bounds a
    # job's messages to its running chunks plus one; two keep a job fed if a ticket is lost.
    job_lanes: Annotated[int, Field(ge=1, le=64)] = 2
    # Chunks per job at most: every chunk is a message and a file, so huge jobs get
    # longer chunks instead of more of them.
    max_chunks: Annotated[int, Field(ge=1, le=100_000)] = 2048
    checkpoint_seconds: Annotated[float, Field(gt=0)] = 0.2
    # A chunk that cannot checkpoint because the state dir is full is sent again after this
    # long, this many times at most; then its job fails with the reason.
    disk_full_retry_seconds: Annotated[float, Field(ge=0)] = 10.0
    disk_full_retries: Annotated[int, Field(ge=0)] = 30
    # Room on the state dir's file system that new jobs leave to the running ones (their
    # checkpoints, results and digits, and the embedded broker's messages): below either, a
    # submission is refused with 507 and nothing stored. 0 turns a limit off.
    min_free_mb: Annotated[float, Field(ge=0)] = 64.0
    min_free_inodes: Annotated[int, Field(ge=0)] = 2000
    # A job whose unfinished chunks have not checkpointed for this long is dispatched again,
    # up to max_dispatches chords in all; then it fails with the reason.
    job_stall_seconds: Annotated[float, Field(gt=0)] = 120.0
    # While messages are queued and workers answer, a stalled job may be waiting its turn:
    # it is sent again this much later, never later than that.
    job_stall_grace_seconds: Annotated[float, Field(ge=0)] = 10.0
    max_dispatches: Annotated[int, Field(ge=1, le=100)] = 4
    watchdog_seconds: Annotated[float, Field(gt=0)] = 5.0
    # A task a worker received and no free pool process started for this long (a pool
    # process killed as the task was handed to it), or messages waiting this long in the
    # queue while the worker holds no task (a consumer that stopped), make the worker give
    # back its messages and exit, for supervisord to start a fresh one
    # (pipeline/limbo_guard.py, pipeline/consumption_guard.py).
    worker_limbo_seconds: Annotated[float, Field(gt=0)] = 20.0
    # Host statistics: CPU sampling period, and how long a worker inspection is reused.
    sample_seconds: Annotated[float, Field(gt=0, le=60)] = 1.0
    workers_cache_seconds: Annotated[float, Field(ge=0)] = 2.0
    inspect_timeout: Annotated[float, Field(gt=0, le=30)] = 1.0
    # Each method's own cap and tuning are its settings (pipeline/methods/<name>/settings.py).

    # Finished jobs older than this are removed (0 keeps them forever), checked by a
    # Celery beat schedule this often.
    retention_days: Annotated[float, Field(ge=0)] = 7.0
    cleanup_seconds: Annotated[float, Field(gt=0)] = 3600.0

    # Hostile or careless clients. Unset token: no authentication, refused beyond loopback
    # unless ALLOW_OPEN. Set and exposed: host details, /workers and /metrics need it too.
    api_token: SecretStr | None = None
    api_token_reads: bool = False
    # Unfinished jobs at most; more submissions get 429 until some finish.
    max_pending_jobs: Annotated[int, Field(ge=1)] = 32
    # Unfinished jobs one client (a token's owner) may have; clients are off without auth.
    max_pending_jobs_per_client: Annotated[int, Field(ge=1)] = 8
    # How long an Idempotency-Key returns the job it first created.
    idempotency_hours: Annotated[float, Field(gt=0)] = 24.0
    # Submissions per client (by token, else by address; "limits" notation, "" for none), in
    # rate_limit_storage: memory:// per API process, or redis://... shared by all.
    submit_rate_limit: str = "60/minute"
    rate_limit_storage: str = "memory://"
    max_body_bytes: Annotated[int, Field(ge=64)] = 16_384

    # Completion webhooks (a submission's callback_url): the hosts they may go to, as host or
    # host:port patterns ("hooks.example.com", "*.example.com:443", "127.0.0.1:*"), comma
    # separated; none allowed when empty. Each body is signed with the secret (HMAC-SHA256).
    webhook_allow: Annotated[list[str], NoDecode] = []
    webhook_secret: SecretStr | None = None
    # The waits before each retry of a delivery that failed; after the last it is given up.
    webhook_retry_seconds: Annotated[list[float], NoDecode] = [10, 30, 60, 120, 300, 600]
    # Connect and read timeout of one delivery; redirects are never followed.
    webhook_timeout_seconds: Annotated[float, Field(gt=0, le=60)] = 5.0

    # Modules imported when the API and the workers start, each registering more methods
    # (pipeline.methods.register), comma separated; as Celery's ``imports`` setting.
    method_modules: Annotated[list[str], NoDecode] = []

    @field_validator("state_dir")
    @classmethod
    def _absolute_state_dir(cls, value: Path) -> Path:
        # Workers, API and supervisord may start in different directories.
        return value.expanduser().resolve()

    @field_validator("api_token", "publish_address", "webhook_secret", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        # compose passes `${PICHORD_API_TOKEN:-}` through as "" when .env does not set it.
        return None if value == "" else value

    @field_validator("webhook_allow", "webhook_retry_seconds", "method_modules", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("webhook_retry_seconds")
    @classmethod
    def _waits_are_positive(cls, value: list[float]) -> list[float]:
        if any(wait <= 0 for wait in value):
            raise ConfigError(
                f"PICHORD_WEBHOOK_RETRY_SECONDS={value!r} must list positive waits in seconds"
            )
        return value

    @model_validator(mode="after")
    def _webhooks_are_signed(self) -> "Settings":
        if self.webhook_allow and self.webhook_secret is None:
            raise ConfigError(
                "PICHORD_WEBHOOK_ALLOW lets jobs call back, but PICHORD_WEBHOOK_SECRET is not "
                "set, so receivers could not tell our calls from anyone's; set it to a long "
                "random secret (python -c 'import secrets; print(secrets.token_urlsafe(32))')"
            )
        return self

    @field_validator("submit_rate_limit")
    @classmethod
    def _rate_limit_parses(cls, value: str) -> str:
        if value.strip():
            try:
                limits.parse(value)
            except ValueError as exc:
                raise ConfigError(
                    f"PICHORD_SUBMIT_RATE_LIMIT={value!r} is not a rate; use e.g. '60/minute' "
                    "or '10/second', or an empty value for no limit"
                ) from exc
        return value

    @field_validator("broker_url")
    @classmethod
    def _known_broker(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        scheme = urlsplit(value).scheme
        if scheme not in _BROKER_SCHEMES:
            raise ConfigError(
                f"PICHORD_BROKER_URL={value!r} has scheme {scheme!r}; use "
                "amqp://user:password@host:5672/vhost for RabbitMQ, or leave it unset "
                "for the embedded broker"
            )
        return value

    @field_validator("result_backend")
    @classmethod
    def _backend_joins_chords(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        scheme = value.split("://", 1)[0]
        if scheme in _BACKENDS_WITHOUT_CHORDS:
            raise ConfigError(
                f"PICHORD_RESULT_BACKEND={value!r} cannot join a Celery chord; unset it to use "
                "the built-in file backend, or set a backend with chord support (redis://...)"
            )
        return value

    @model_validator(mode="after")
    def _embedded_broker_is_local(self) -> "Settings":
        if self.broker_url is not None and self.broker_url.startswith("filesystem"):
            raise ConfigError(
                "PICHORD_BROKER_URL must not name the filesystem transport itself; "
                "leave it unset and the embedded broker lives under PICHORD_STATE_DIR"
            )
        return self

    @model_validator(mode="after")
    def _exposed_api_has_a_token(self) -> "Settings":
        # A worker serves no HTTP: only the roles that run the API are judged.
        judged = self.role is not Role.WORKER and self.exposed
        if not judged or self.api_token is not None or self.allow_open:
            return self
        raise ConfigError(
            f"{self._reachable_setting}={self.reachable_at!r} makes the API reachable from "
            "other machines, and PICHORD_API_TOKEN is not set, so anyone could submit and "
            "cancel jobs and read the host's details. Set PICHORD_API_TOKEN to a long random "
            "secret (python -c 'import secrets; print(secrets.token_urlsafe(32))'), or "
            f"set {self._reachable_setting}=127.0.0.1, or set PICHORD_ALLOW_OPEN=true if it "
            "is meant to be open"
        )

    @property
    def embedded_broker(self) -> bool:
        return self.broker_url is None

    @property
    def reachable_at(self) -> str:
        """The address clients connect to: where it is published, else where uvicorn binds."""
        return self.publish_address or self.api_host

    @property
    def _reachable_setting(self) -> str:
        return "PICHORD_PUBLISH_ADDRESS" if self.publish_address else "PICHORD_API_HOST"

    @property
    def idempotency_lifetime(self) -> timedelta:
        """How long a key answers with its job: PICHORD_IDEMPOTENCY_HOURS, but never longer
        than retention keeps the job (a key that outlived its job would make a second)."""
        hours = self.idempotency_hours
        if self.retention_days > 0:
            hours = min(hours, self.retention_days * 24)
        return timedelta(hours=hours)

    @property
    def exposed(self) -> bool:
        """Whether machines other than this host can reach the API."""
        return not _is_loopback(self.reachable_at)

    @property
    def open_warning(self) -> str | None:
        """What the API logs at start when it is reachable beyond loopback without a token."""
        if not self.exposed or self.api_token is not None:
            return None
        return (
            f"the API is open to other machines ({self._reachable_setting}="
            f"{self.reachable_at!r}, PICHORD_ALLOW_OPEN=true, no PICHORD_API_TOKEN): anyone who "
            "reaches it can submit and cancel jobs and read the host's details"
        )


def _is_loopback(host: str) -> bool:
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        # Any other name may resolve to a public address; "" and "0.0.0.0" mean every one.
        return False


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read from the environment on first use."""
    return Settings()
