"""The toy method, registered with one line, runs in process as the workers run it and shows
its own certificate figures and chunk details through the API."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from config import Settings
from pipeline.methods import METHODS, register, unregister
from pipeline.verify import reference_digits
from tests.api.method_jobs import finished_job
from tests.pipeline.methods.toy.method import TOY


@pytest.fixture
def toy() -> Iterator[None]:
    register(TOY)
    yield
    unregister(TOY.name)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def test_a_registered_toy_job_is_certified_and_shown(
    toy: None, client: TestClient, settings: Settings
) -> None:
    assert METHODS[TOY.name] is TOY
    job = finished_job(settings, TOY.name, 200)
    task = client.get(f"/tasks/{job.id}").json()
    assert task["status"] == "SUCCESS" and task["result"] == reference_digits(200)
    assert task["verified"] is True
    certificate = task["certificate"]
    assert certificate["formula"] == "16 atan(1/5) - 4 atan(1/239)"
    assert certificate["precision"] == 210
    assert certificate["lower"] < reference_digits(205) < certificate["upper"]
    chunks = client.get(f"/tasks/{job.id}/chunks").json()["chunks"]
    assert [chunk["arctan_of"] for chunk in chunks] == [5, 239]
    methods = {m["name"]: m for m in client.get("/methods").json()}
    assert methods[TOY.name]["cap_setting"] == "PICHORD_TOY_MAX_DIGITS"
    schema = client.get("/openapi.json").json()["components"]["schemas"]["ChunkPublic"]
    assert "atan(1/x)" in schema["properties"]["arctan_of"]["description"]
