"""Job records read once per change."""

from pathlib import Path

import pytest

from storage import JobNotFoundError, JobStore
from storage.record_cache import RecordCache
from tests.conftest import JobFactory


def test_a_record_is_parsed_again_only_once_it_changed(
    state_dir: Path, new_job: JobFactory
) -> None:
    store = JobStore(state_dir)
    job = new_job()
    cache = RecordCache(store)
    first = cache.get(job.id)
    assert cache.get(job.id) is first
    store.update(job.id, lambda current: current.model_copy(update={"dispatches": 3}))
    changed = cache.get(job.id)
    assert changed is not first and changed.dispatches == 3
    store.delete(job.id)
    with pytest.raises(JobNotFoundError):
        cache.get(job.id)


def test_only_the_last_records_are_kept(state_dir: Path, new_job: JobFactory) -> None:
    cache = RecordCache(JobStore(state_dir), size=2)
    jobs = [new_job() for _ in range(3)]
    first = cache.get(jobs[0].id)
    cache.get(jobs[1].id)
    cache.get(jobs[2].id)
    assert cache.get(jobs[0].id) is not first
