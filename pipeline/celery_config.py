"""The Celery app's type and configuration: the API and every worker configure it alike,
except for the few settings with which the API sends submissions (``submission_config``)."""

from typing import Any

from celery import Celery
from kombu.utils.url import maybe_sanitize_url

from config import Settings
from pipeline.task_names import CLEANUP_TASK
from storage.layout import StateLayout

FILE_BACKEND = "storage.result_backend:FileResultBackend"
EMBEDDED_BROKER_URL = "filesystem://localhost/"
# kombu's filesystem transport, woken when a prefetch slot frees (pipeline.embedded_transport).
EMBEDDED_TRANSPORT = "pipeline.embedded_transport:Transport"


class PichordCelery(Celery):
    """A Celery app that carries the settings its tasks need."""

    def __init__(self, settings: Settings, **kwargs: Any) -> None:
        super().__init__("pichord", set_as_current=False, **kwargs)
        self.settings = settings


def broker_url(settings: Settings) -> str:
    return settings.broker_url or EMBEDDED_BROKER_URL


def broker_shown(settings: Settings) -> str:
    """The broker URL for messages: its password masked."""
    shown: str = maybe_sanitize_url(broker_url(settings))
    return shown


def result_backend_url(settings: Settings) -> str:
    if settings.result_backend:
        return settings.result_backend
    return f"{FILE_BACKEND}+file://{StateLayout(settings.state_dir).results}"


def celery_config(settings: Settings) -> dict[str, Any]:
    layout = StateLayout(settings.state_dir)
    config: dict[str, Any] = {
        "broker_url": broker_url(settings),
        "result_backend": result_backend_url(settings),
        "task_default_queue": settings.queue,
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        # Long CPU-bound chunks: acknowledge after the work, requeue if the worker dies,
        # and never hold more messages than there are free pool processes.
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        # Chunks checkpoint and resume, so a chunk cut off by a lost connection is safe to
        # redeliver; this is also the behaviour Celery 6 makes the default.
        "worker_cancel_long_running_tasks_on_connection_loss": True,
        # Task events cost each task three more publishes (received, started, succeeded),
        # each awaiting the broker's confirm: 10 % of the jobs per second on tiny jobs. Off by
        # default, as in Celery; Flower turns them on at runtime (enable_events), and
        # PICHORD_TASK_EVENTS=true keeps them on for `celery events`. Never task-sent events:
        # lanes publish a message per chunk, and a sent event would double each publish.
        "worker_send_task_events": settings.task_events,
        "task_send_sent_event": False,
        "broker_connection_retry_on_startup": True,
        "broker_connection_timeout": 4.0,
        # The workers' publishes (lane tickets, another dispatch) and the API's stall sweep:
        # a lost connection is retried twice within ~1.5 s. Submissions, which a client waits
        # on, publish with SUBMISSION_PUBLISHING instead.
        "task_publish_retry_policy": {
            "max_retries": 2,
            "interval_start": 0.0,
            "interval_step": 0.5,
            "interval_max": 1.0,
        },
        "result_chord_join_timeout": 10.0,
        "worker_hijack_root_logger": False,
    }
    if settings.retention_days > 0:
        config["beat_schedule"] = {
            "pichord-cleanup": {
                "task": CLEANUP_TASK,
                "schedule": settings.cleanup_seconds,
                # A cleanup nobody ran before the next one is due is dropped, not stacked.
                "options": {"expires": settings.cleanup_seconds},
            }
        }
    if settings.embedded_broker:
        config["broker_transport"] = EMBEDDED_TRANSPORT
        config["broker_transport_options"] = {
            "data_folder_in": str(layout.broker_queue),
            "data_folder_out": str(layout.broker_queue),
            # The default control folder is relative to the working directory.
            "control_folder": str(layout.broker_control),
            "store_processed": False,
            "polling_interval": 0.1,
        }
    else:
        config["broker_transport_options"] = {"confirm_publish": True}
    return config


# Submissions: a client waits on each one, so a broker that is not there must cost it less
# than half a second, while a job accepted must still have been confirmed by the broker.
# Measured on the local RabbitMQ (2 cores): a connection with its AMQP handshake takes 7 ms,
# and with both cores saturated by busy loops (as chunks do) 24 ms, 91 ms at p95, 221 ms at
# worst; a persistent message's confirm takes 2 ms (slowest of 300: 80 ms). Connections are
# pooled, so a submission rarely makes one.
SUBMIT_CONNECT_TIMEOUT = 0.3
# A broker that has the message but is slow to confirm it (a busy disk) is waited for this
# long: a shorter wait would refuse jobs that the broker took.
SUBMIT_CONFIRM_TIMEOUT = 1.0
# How RabbitMQ's management UI names the API's submission connections.
SUBMIT_CONNECTION_NAME = "pichord-api-submissions"


def submission_config(settings: Settings) -> dict[str, Any]:
    """What the API's submission app (``api.submitter``) changes in ``celery_config``: one
    short connection attempt at a time and bounded waits, in place of the workers' patient
    retries. Everything else, the result backend above all, stays identical."""
    config: dict[str, Any] = {
        "broker_connection_timeout": SUBMIT_CONNECT_TIMEOUT,
        # One resend at once over a new connection, for a pooled connection that the broker
        # closed since the last submission (it restarted); no blind waits between attempts.
        "task_publish_retry_policy": {
            "max_retries": 1,
            "interval_start": 0.0,
            "interval_step": 0.0,
            "interval_max": 0.0,
        },
        # Celery has no setting for these publish options and py-amqp waits for a confirm
        # forever by default, so a broker that goes silent on an open connection would hang
        # the request; a route may set any publish option, and this one matches every task.
        # timeout bounds the socket write, confirm_timeout the wait for the broker's confirm.
        "task_routes": {
            "*": {
                "queue": settings.queue,
                "timeout": SUBMIT_CONFIRM_TIMEOUT,
                "confirm_timeout": SUBMIT_CONFIRM_TIMEOUT,
            }
        },
    }
    if not settings.embedded_broker:
        # The name also gives the submission app a connection pool of its own: kombu shares
        # one pool between apps whose connections compare equal, which compares transport
        # options but not connect timeouts, so the API's two apps would otherwise share the
        # first one's pool and its 4 s timeout.
        config["broker_transport_options"] = {
            **celery_config(settings)["broker_transport_options"],
            "client_properties": {"connection_name": SUBMIT_CONNECTION_NAME},
        }
    return config
