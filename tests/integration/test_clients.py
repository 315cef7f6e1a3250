"""Clients across API processes that share one state dir: a key raced through both creates
one job, and a client removed by the `pichord clients` command is refused by both at once."""

import subprocess
import sys
import threading
from pathlib import Path

import httpx2

from tests.integration.conftest import Processes, service_env

RACERS = 16
# The command as installed beside this Python (make install).
PICHORD = str(Path(sys.executable).parent / "pichord")


def test_two_apis_racing_on_one_key_create_one_job(processes: Processes, tmp_path: Path) -> None:
    processes.env = service_env(tmp_path / "state", None, submit_rate_limit="")
    apis = [processes.api(), processes.api()]
    start = threading.Barrier(RACERS)
    answers: list[httpx2.Response] = []

    def send(url: str) -> None:
        with httpx2.Client(base_url=url, timeout=30) as http:
            start.wait()
            answers.append(
                http.post("/tasks", json={"digits": 5}, headers={"Idempotency-Key": "race-1"})
            )

    threads = [threading.Thread(target=send, args=(apis[n % 2],)) for n in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(a.status_code for a in answers) == [200] * (RACERS - 1) + [202]
    assert len({a.json()["id"] for a in answers}) == 1
    for api in apis:
        assert httpx2.get(f"{api}/tasks").json()["total"] == 1


def pichord(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([PICHORD, *args], env=env, capture_output=True, text=True, check=True)
    return done.stdout


def test_a_client_removed_is_refused_by_every_api_at_once(
    processes: Processes, tmp_path: Path
) -> None:
    processes.env = service_env(tmp_path / "state", None, submit_rate_limit="")
    apis = [processes.api(), processes.api()]
    token = pichord(processes.env, "clients", "add", "ci", "--scope", "submit").strip()
    pichord(processes.env, "clients", "add", "dash", "--scope", "read")
    headers = {"Authorization": f"Bearer {token}"}
    for api in apis:
        assert httpx2.post(f"{api}/tasks", json={"digits": 2}).status_code == 401
        assert httpx2.post(f"{api}/tasks", json={"digits": 2}, headers=headers).status_code == 202
    listed = pichord(processes.env, "clients", "list")
    assert "ci" in listed and "submit" in listed and token not in listed
    pichord(processes.env, "clients", "remove", "ci")
    for api in apis:
        refused = httpx2.post(f"{api}/tasks", json={"digits": 2}, headers=headers)
        assert refused.status_code == 403, refused.text
