"""The Celery app's type and configuration: the API and every worker configure it alike."""

from typing import Any

from celery import Celery

from config import Settings
from pipeline.task_names import CLEANUP_TASK
from storage.layout import StateLayout

FILE_BACKEND = "storage.result_backend:FileResultBackend"
EMBEDDED_BROKER_URL = "filesystem://localhost/"


class PichordCelery(Celery):
    """A Celery app that carries the settings its tasks need."""

    def __init__(self, settings: Settings, **kwargs: Any) -> None:
        super().__init__("pichord", set_as_current=False, **kwargs)
        self.settings = settings


def broker_url(settings: Settings) -> str:
    return settings.broker_url or EMBEDDED_BROKER_URL


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
        # Task events on, so Flower and `celery events` see every task the workers receive,
        # start and finish. No task-sent events: lanes publish a message per chunk from the
        # workers, and a sent event makes each of those publishes two (+0.5 ms apiece).
        "worker_send_task_events": True,
        "task_send_sent_event": False,
        "broker_connection_retry_on_startup": True,
        "broker_connection_timeout": 4.0,
        # A submission to a dead broker fails within seconds instead of hanging the request.
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
