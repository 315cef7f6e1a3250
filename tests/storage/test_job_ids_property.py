"""Property tests: whatever a client sends as an id, the store stays inside the state dir."""

import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storage import JobNotFoundError, JobStore

HOSTILE = st.one_of(
    st.text(max_size=300),
    st.sampled_from(["..", "../..", "/etc/passwd", "%2e%2e%2f", "a/../../b", "\x00", " "]),
    st.uuids().map(lambda u: str(u).upper()),  # not canonical: upper case
    st.uuids().map(lambda u: "../" + str(u)),
    st.uuids().map(lambda u: str(u) + "/"),
)


# No deadline: a loaded CI machine stretches single examples; the count is what matters.
@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(job_id=HOSTILE)
def test_any_id_is_unknown_and_touches_nothing(tmp_path: Path, job_id: str) -> None:
    state = tmp_path / "state"
    store = JobStore(state)
    before = sorted(tmp_path.rglob("*"))
    assert not store.exists(job_id)
    for call in (store.get, store.request_cancel, store.chunks, store.cancel_requested):
        with pytest.raises(JobNotFoundError):
            call(job_id)
    with pytest.raises(JobNotFoundError):
        store.update(job_id, lambda job: job)
    assert sorted(tmp_path.rglob("*")) == before


@settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(job_id=st.uuids())
def test_canonical_unknown_uuids_are_not_found(tmp_path: Path, job_id: uuid.UUID) -> None:
    store = JobStore(tmp_path / "state")
    with pytest.raises(JobNotFoundError):
        store.get(str(job_id))
    assert store.ids() == []
