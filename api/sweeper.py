"""The API process's background sweep that re-dispatches stalled jobs."""

from api.periodic import PeriodicThread
from pipeline.celery_config import PichordCelery
from pipeline.watchdog import redispatch_stalled
from storage import JobStore


class StallSweeper(PeriodicThread):
    def __init__(self, celery: PichordCelery, store: JobStore, period: float) -> None:
        super().__init__("stall sweep", period, lambda: redispatch_stalled(celery, store))
