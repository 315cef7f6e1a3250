"""Idempotency keys: the same key and request give the first job; a different request, a
failed submission and an expired key do not."""

import multiprocessing
import uuid
from datetime import UTC, datetime, timedelta
from multiprocessing.synchronize import Barrier
from pathlib import Path

import pytest

from storage.idempotency import IdempotencyKeys, KeyReusedError

DAY = timedelta(hours=24)
NOW = datetime(2026, 12, 6, 12, tzinfo=UTC)


def keys(tmp_path: Path) -> IdempotencyKeys:
    return IdempotencyKeys(tmp_path / "idempotency", DAY)


def test_the_same_key_and_request_give_the_first_job(tmp_path: Path) -> None:
    stored: set[str] = set()
    with keys(tmp_path).use(
        "ci", "k-1", "leibniz, 5 digits", "job-a", stored.__contains__, NOW
    ) as first:
        stored.add(first.job_id)
    with keys(tmp_path).use(
        "ci", "k-1", "leibniz, 5 digits", "job-b", stored.__contains__, NOW
    ) as again:
        pass
    assert (first.job_id, first.replayed) == ("job-a", False)
    assert (again.job_id, again.replayed) == ("job-a", True)
    # Another client's key of the same name is another key.
    with keys(tmp_path).use(
        "dash", "k-1", "leibniz, 5 digits", "job-c", stored.__contains__, NOW
    ) as other:
        assert not other.replayed


def test_a_key_used_for_another_request_is_refused_naming_it(tmp_path: Path) -> None:
    stored = {"job-a"}
    with keys(tmp_path).use(None, "k-2", "leibniz, 5 digits", "job-a", stored.__contains__, NOW):
        pass
    with (
        pytest.raises(KeyReusedError, match=r"'k-2'.*leibniz, 5 digits.*leibniz, 6 digits"),
        keys(tmp_path).use(None, "k-2", "leibniz, 6 digits", "job-b", stored.__contains__, NOW),
    ):
        pass


def test_a_failed_submission_frees_its_key(tmp_path: Path) -> None:
    stored: set[str] = set()
    with (
        pytest.raises(RuntimeError),
        keys(tmp_path).use("ci", "k-3", "leibniz, 5 digits", "job-a", stored.__contains__, NOW),
    ):
        raise RuntimeError("the broker is down")
    with keys(tmp_path).use(
        "ci", "k-3", "leibniz, 5 digits", "job-b", stored.__contains__, NOW
    ) as use:
        assert (use.job_id, use.replayed) == ("job-b", False)


def test_a_key_whose_job_was_never_stored_is_taken_over(tmp_path: Path) -> None:
    # The submitting process died between reserving the key and storing its job.
    with keys(tmp_path).use("ci", "k-4", "leibniz, 5 digits", "job-a", lambda _: False, NOW):
        pass
    with keys(tmp_path).use("ci", "k-4", "leibniz, 5 digits", "job-b", lambda _: False, NOW) as use:
        assert (use.job_id, use.replayed) == ("job-b", False)


def test_an_expired_key_is_new_again_and_removed_by_the_sweep(tmp_path: Path) -> None:
    stored = {"job-a", "job-b"}
    with keys(tmp_path).use("ci", "k-5", "leibniz, 5 digits", "job-a", stored.__contains__, NOW):
        pass
    later = NOW + DAY
    # Used for another request once it expired: no conflict, a new job.
    with keys(tmp_path).use(
        "ci", "k-5", "leibniz, 6 digits", "job-b", stored.__contains__, later
    ) as use:
        assert (use.job_id, use.replayed) == ("job-b", False)
    assert keys(tmp_path).remove_expired(later + timedelta(hours=23)) == 0
    assert keys(tmp_path).remove_expired(later + DAY) == 1
    assert list((tmp_path / "idempotency" / "keys").iterdir()) == []


def _submit_with_key(folder: Path, created: "multiprocessing.Queue[str]", start: Barrier) -> None:
    stored = folder / "stored"
    start.wait()
    keys = IdempotencyKeys(folder / "idempotency", DAY)
    new_id = str(uuid.uuid4())
    with keys.use(
        "ci", "race", "leibniz, 5 digits", new_id, lambda job_id: (stored / job_id).exists(), NOW
    ) as use:
        if not use.replayed:
            stored.mkdir(exist_ok=True)
            (stored / use.job_id).touch()
    created.put(use.job_id)


def test_processes_racing_on_one_key_create_one_job(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    created: multiprocessing.Queue[str] = context.Queue()
    start = context.Barrier(6)
    racers = [
        context.Process(target=_submit_with_key, args=(tmp_path, created, start)) for _ in range(6)
    ]
    for racer in racers:
        racer.start()
    answers = {created.get(timeout=60) for _ in racers}
    for racer in racers:
        racer.join(timeout=10)
    assert len(answers) == 1
    assert [p.name for p in (tmp_path / "stored").iterdir()] == list(answers)


def test_a_job_stored_before_the_failure_keeps_its_key_unless_released(tmp_path: Path) -> None:
    stored: set[str] = set()
    with (
        pytest.raises(OSError),
        keys(tmp_path).use("ci", "k-6", "leibniz, 5 digits", "job-a", stored.__contains__, NOW),
    ):
        stored.add("job-a")  # stored, then its dispatch failed on a full disk
        raise OSError("no space left")
    with keys(tmp_path).use(
        "ci", "k-6", "leibniz, 5 digits", "job-b", stored.__contains__, NOW
    ) as use:
        # Sent again, it gets the stored job (which the stall sweep sends on), not a second.
        assert (use.job_id, use.replayed) == ("job-a", True)
    with (
        pytest.raises(RuntimeError),
        keys(tmp_path).use(
            "ci", "k-7", "leibniz, 5 digits", "job-c", stored.__contains__, NOW
        ) as use,
    ):
        stored.add("job-c")  # stored, then the broker did not take it: FAILURE, not accepted
        use.release()
        raise RuntimeError("broker gone")
    with keys(tmp_path).use(
        "ci", "k-7", "leibniz, 5 digits", "job-d", stored.__contains__, NOW
    ) as use:
        assert (use.job_id, use.replayed) == ("job-d", False)
