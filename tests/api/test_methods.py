"""The method registry as clients see it: GET /methods, unknown names, and stored jobs of a
method this version does not know."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from config import Settings
from pipeline.jobs import plan_job
from pipeline.methods import METHODS, UnknownMethodError, method_named
from storage import JobStatus, JobStore
from tests.conftest import JobFactory, MethodEnv


@pytest.fixture
def client(settings: Settings, method_env: MethodEnv) -> Iterator[TestClient]:
    method_env(PICHORD_EULER_MAX_DIGITS="3000")
    with TestClient(create_app(settings)) as c:
        yield c


def test_methods_lists_the_registry_with_this_services_caps(client: TestClient) -> None:
    listed = client.get("/methods").json()
    assert [m["name"] for m in listed] == list(METHODS)
    caps = {m["name"]: (m["max_digits"], m["cap_setting"]) for m in listed}
    assert caps["leibniz"] == (11, "PICHORD_LEIBNIZ_MAX_DIGITS")
    assert caps["leibniz-euler"] == (3000, "PICHORD_EULER_MAX_DIGITS")
    assert all(m["label"] and m["description"] for m in listed)


def test_the_schema_offers_exactly_the_registered_names(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()["components"]["schemas"]["TaskCreate"]
    assert schema["properties"]["method"]["enum"] == list(METHODS)


def test_an_unknown_method_is_an_error_naming_the_known_ones(settings: Settings) -> None:
    with pytest.raises(UnknownMethodError, match="leibniz, leibniz-euler"):
        method_named("machin")
    with pytest.raises(UnknownMethodError):
        plan_job(settings, "machin", 3)


def test_every_method_can_compute_every_chunk_it_plans(settings: Settings) -> None:
    for method in METHODS.values():
        job = plan_job(settings, method.name, 3)
        assert job.method == method.name and job.chunks
        for spec in job.chunks:
            assert callable(method.chunk_compute(settings, job, spec))


def test_a_stored_job_of_an_unknown_method_is_shown_not_a_server_error(
    client: TestClient, settings: Settings, new_job: JobFactory
) -> None:
    # A job written by a version with more methods, read by this one.
    running = new_job(method="machin")
    done = new_job(method="machin", status=JobStatus.SUCCESS, result="3.14")
    body = client.get(f"/tasks/{running.id}").json()
    assert body["status"] == "WAITING" and "unknown method 'machin'" in body["error"]
    assert client.get(f"/tasks/{done.id}").json()["result"] == "3.14"
    assert client.get("/tasks").status_code == 200
    convergence = client.get(f"/tasks/{running.id}/convergence")
    assert convergence.status_code == 409 and "known methods" in convergence.json()["detail"]
    assert JobStore(settings.state_dir).get(running.id).method == "machin"
