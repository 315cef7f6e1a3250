"""`make run`'s process tree: supervisord with the API and a worker, on the embedded broker."""

import signal
import subprocess
import sys
import xmlrpc.client
from pathlib import Path

import httpx2
import psutil
import pytest

from tests.integration.conftest import REPO, free_port, poll_until_finished, service_env, wait_for

pytestmark = pytest.mark.integration


def test_supervisord_serves_jobs_requires_credentials_and_stops_everything(tmp_path: Path) -> None:
    state = tmp_path / "state"
    api_port, ui_port = free_port(), free_port()
    env = service_env(
        state, None, api_port=str(api_port), supervisor_port=str(ui_port), worker_concurrency="1"
    )
    log = (tmp_path / "supervisord.out").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "config.supervisord"],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        api = f"http://127.0.0.1:{api_port}"

        def api_up() -> bool:
            assert proc.poll() is None, (tmp_path / "supervisord.out").read_text()
            try:
                return httpx2.get(api + "/openapi.json", timeout=1).status_code == 200
            except httpx2.TransportError:
                return False

        wait_for(api_up, 60, "the API under supervisord")
        password = (state / "supervisor" / "password").read_text().strip()
        assert password in (tmp_path / "supervisord.out").read_text()  # printed once, at creation

        with httpx2.Client(base_url=api, timeout=10) as client:
            job_id = client.get("/leibnic/5").json()["id"]
            assert poll_until_finished(client, job_id, timeout=120)[-1]["result"] == "3.14159"
            # The host endpoints and readiness work under supervisord on the embedded broker.
            assert client.get("/ready").status_code == 200
            assert len(client.get("/cpu/percent").json()["per_cpu"]) == psutil.cpu_count()
            assert client.get("/workers").json()["workers"][0]["concurrency"] == 1

        ui = f"http://127.0.0.1:{ui_port}/"
        assert httpx2.get(ui).status_code == 401
        assert httpx2.get(ui, auth=("pichord", "wrong")).status_code == 401
        assert httpx2.get(ui, auth=("pichord", password)).status_code == 200
        url = f"http://pichord:{password}@127.0.0.1:{ui_port}/RPC2"
        with xmlrpc.client.ServerProxy(url) as rpc:
            infos = {i["name"]: i for i in rpc.supervisor.getAllProcessInfo()}
        assert {n: i["statename"] for n, i in infos.items()} == {
            "api": "RUNNING",
            "worker": "RUNNING",
        }
        ctl = subprocess.run(
            [sys.executable, "-m", "config.supervisord", "ctl", "status"],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert "worker" in ctl.stdout and "RUNNING" in ctl.stdout

        tree = [psutil.Process(proc.pid)]
        for info in infos.values():
            main = psutil.Process(info["pid"])
            tree += [main, *main.children(recursive=True)]
        assert len(tree) >= 4  # supervisord, uvicorn, celery main, one pool process

        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=90) == 0
        _, alive = psutil.wait_procs(tree, timeout=10)
        assert alive == []
    finally:
        if proc.poll() is None:
            proc.kill()
        log.close()
