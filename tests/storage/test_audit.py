"""The audit log: whole lines from several processes, one file per UTC day, old days removed."""

import multiprocessing
import stat
from datetime import UTC, date, datetime, timedelta, timezone
from multiprocessing.synchronize import Barrier
from pathlib import Path

import pytest
from pydantic import ValidationError

from storage.audit import AuditAction, AuditEntry, AuditLog

# fork: the children need only what this module already imported, and start in milliseconds.
CONTEXT = multiprocessing.get_context("fork")
WRITERS = 4
LINES = 400
NOON = datetime(2025, 3, 10, 12, tzinfo=UTC)


def entry(time: datetime = NOON, **fields: str) -> AuditEntry:
    return AuditEntry.model_validate(
        {"time": time, "action": AuditAction.SUBMIT, "result": "accepted", **fields}
    )


def _append_many(folder: Path, writer: int, start: Barrier) -> None:
    log = AuditLog(folder)
    start.wait()
    for n in range(LINES):
        # Lines of 4 KiB, as long as a page: a torn or split write would show.
        log.write(entry(client=f"w{writer}", job_id=f"{n:05d}-" + "x" * 4000))


def test_lines_from_several_processes_never_interleave(tmp_path: Path) -> None:
    folder = tmp_path / "audit"
    start = CONTEXT.Barrier(WRITERS)
    procs = [CONTEXT.Process(target=_append_many, args=(folder, w, start)) for w in range(WRITERS)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(60)
    assert [p.exitcode for p in procs] == [0] * WRITERS

    raw = AuditLog(folder).path(NOON.date()).read_bytes()
    assert raw.count(b"\n") == WRITERS * LINES and raw.endswith(b"\n")
    entries = AuditLog(folder).entries(NOON.date())
    assert len(entries) == WRITERS * LINES  # every line parsed whole
    for writer in range(WRITERS):
        own = [e.job_id for e in entries if e.client == f"w{writer}"]
        assert [j[:5] if j else None for j in own] == [f"{n:05d}" for n in range(LINES)]


def test_a_line_goes_to_the_file_of_its_utc_day(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit")
    # 23:30 in New York on 1 March is 04:30 UTC on the 2nd.
    late = datetime(2025, 3, 1, 23, 30, tzinfo=timezone(timedelta(hours=-5)))
    log.write(entry(late, client="ci", scope="submit", remote="10.0.0.7", job_id="j1"))
    log.write(entry(late + timedelta(hours=1), action=AuditAction.CANCEL, result="409"))

    path = tmp_path / "audit" / "audit-2025-03-02.jsonl"
    assert [p.name for p in (tmp_path / "audit").iterdir()] == [path.name]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert log.days() == [date(2025, 3, 2)]
    first, second = log.entries(date(2025, 3, 2))
    assert first.time == datetime(2025, 3, 2, 4, 30, tzinfo=UTC) and first.time.tzinfo == UTC
    assert (first.client, first.scope, first.remote, first.job_id, first.result) == (
        "ci",
        "submit",
        "10.0.0.7",
        "j1",
        "accepted",
    )
    assert (second.action, second.result) == (AuditAction.CANCEL, "409")
    assert log.entries(date(2025, 3, 1)) == []


def test_a_time_without_a_zone_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="timezone"):
        entry(datetime(2025, 3, 10, 12))


def test_a_torn_line_hides_no_other(tmp_path: Path) -> None:
    log = AuditLog(tmp_path)
    log.write(entry(job_id="before"))
    with log.path(NOON.date()).open("ab") as file:
        file.write(b'{"time": "2025-03-10T12:00:00Z", "act\n')
    log.write(entry(job_id="after"))
    assert [e.job_id for e in log.entries(NOON.date())] == ["before", "after"]


def test_remove_before_deletes_only_the_days_before_the_cutoff(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit")
    assert log.remove_before(NOON.date()) == []  # nothing written yet: no folder
    for days_ago in range(4):
        log.write(entry(NOON - timedelta(days=days_ago)))
    (tmp_path / "audit" / "notes.txt").write_text("not a day file")

    removed = log.remove_before(date(2025, 3, 9))
    assert [p.name for p in removed] == ["audit-2025-03-07.jsonl", "audit-2025-03-08.jsonl"]
    assert log.days() == [date(2025, 3, 9), date(2025, 3, 10)]
    assert (tmp_path / "audit" / "notes.txt").exists()
    assert log.remove_before(date(2025, 3, 9)) == []
