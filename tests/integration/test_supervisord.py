"""`make run`'s process tree: supervisord with the API and a worker, on the embedded broker."""

import os
import socket
import subprocess
import sys
import time
import xmlrpc.client
from collections.abc import Callable

import httpx2
import psutil
import pytest

from config.supervisord import EXIT_CANNOT_START
from tests.integration.conftest import REPO, Supervisord, poll_until_finished, wait_for


def test_supervisord_serves_jobs_requires_credentials_and_stops_everything(
    supervisord: Supervisord,
) -> None:
    supervisord.start()
    password = supervisord.password
    assert password in supervisord.log.read_text()  # printed once, at creation

    with httpx2.Client(base_url=supervisord.api, timeout=10) as client:
        job_id = client.get("/leibnic/5").json()["id"]
        assert poll_until_finished(client, job_id, timeout=120)[-1]["result"] == "3.14159"
        # The host endpoints and readiness work under supervisord on the embedded broker.
        assert client.get("/ready").status_code == 200
        assert len(client.get("/cpu/percent").json()["per_cpu"]) == psutil.cpu_count()
        assert client.get("/workers").json()["workers"][0]["concurrency"] == 1

    ui = f"http://127.0.0.1:{supervisord.ui_port}/"
    assert httpx2.get(ui).status_code == 401
    assert httpx2.get(ui, auth=("pichord", "wrong")).status_code == 401
    assert httpx2.get(ui, auth=("pichord", password)).status_code == 200
    # RUNNING once each has stayed up startsecs (5 s); a fast job may finish before that.
    wait_for(
        lambda: set(program_states(supervisord).values()) == {"RUNNING"},
        30,
        "api, worker and beat to be RUNNING",
    )
    with xmlrpc.client.ServerProxy(supervisord.rpc_url()) as rpc:
        infos = {i["name"]: i for i in rpc.supervisor.getAllProcessInfo()}
    ctl = supervisord.ctl("status")
    assert "worker" in ctl.stdout and "RUNNING" in ctl.stdout
    attack_the_ui(supervisord, password)

    for role in ("all", "worker"):
        check = subprocess.run(
            [sys.executable, "-m", "config.healthcheck"],
            cwd=REPO,
            env={**supervisord.env, "PICHORD_ROLE": role},
            capture_output=True,
            timeout=30,
        )
        assert check.returncode == 0, check.stderr

    tree = supervisord.tree()
    assert {p.pid for p in tree} >= {i["pid"] for i in infos.values()}
    assert len(tree) >= 7  # supervisord, listener, 2 uvicorn, beat, celery main, one pool process

    assert supervisord.stop() == 0
    _, alive = psutil.wait_procs(tree, timeout=10)
    assert alive == []


def test_a_fatal_program_stops_supervisord(
    supervisord: Supervisord, figure: Callable[[str], None]
) -> None:
    # uvicorn reads this (its click options take UVICORN_*): a TLS certificate that does not
    # exist, so the API exits at once, is retried, and goes FATAL.
    supervisord.env["UVICORN_SSL_CERTFILE"] = str(supervisord.state / "missing-cert.pem")
    proc = supervisord.launch()
    started = time.monotonic()
    wait_for(lambda: proc.poll() is not None, 90, "supervisord to stop")
    figure(f"[recovery] FATAL api -> supervisord stopped in {time.monotonic() - started:.1f} s")
    assert "entered FATAL state" in supervisord.log.read_text()
    # Each API process fails alike; the first to go FATAL stops supervisord.
    fatal = (supervisord.state / "logs" / "fatal_listener.log").read_text().count("is FATAL")
    assert 1 <= fatal <= 2


def test_a_second_serve_on_the_same_state_dir_is_refused(supervisord: Supervisord) -> None:
    supervisord.start()
    assert supervisord.proc is not None
    refused = supervisord.serve_once()
    assert refused.returncode == EXIT_CANNOT_START, refused
    message = refused.stderr
    assert f"already running on state dir {supervisord.state}" in message
    assert f"supervisord pid {supervisord.proc.pid}, API {supervisord.api}" in message
    assert "ctl status" in message

    # supervisord closes most inherited descriptors when it reloads; not the lock's.
    assert "Restarted supervisord" in supervisord.ctl("reload").stdout
    assert supervisord.serve_once().returncode == EXIT_CANNOT_START
    supervisord.wait_until_serving()  # the first instance is unharmed


def test_a_taken_port_is_named_on_the_terminal(supervisord: Supervisord) -> None:
    for port, setting in (
        (supervisord.api_port, "PICHORD_API_PORT"),
        (supervisord.ui_port, "PICHORD_SUPERVISOR_PORT"),
    ):
        with socket.socket() as blocker:
            blocker.bind(("127.0.0.1", port))
            blocker.listen()
            refused = supervisord.serve_once()
        assert refused.returncode == EXIT_CANNOT_START, refused
        message = refused.stderr
        assert f"port {port} is in use by pid {os.getpid()} (" in message
        assert f"set {setting} to a free port" in message
    assert not (supervisord.state / "logs" / "supervisord.log").exists()  # nothing started


def program_states(run: Supervisord) -> dict[str, str]:
    with xmlrpc.client.ServerProxy(run.rpc_url()) as rpc:
        infos = rpc.supervisor.getAllProcessInfo()
    return {i["name"]: i["statename"] for i in infos if i["name"] != "fatal"}


def attack_the_ui(run: Supervisord, password: str) -> None:
    """What an attacker on the network would try: every door answers 401, nothing stops."""
    base = f"http://127.0.0.1:{run.ui_port}"
    shutdown = (
        "<?xml version='1.0'?><methodCall><methodName>supervisor.shutdown</methodName>"
        "<params></params></methodCall>"
    )
    for auth in (None, ("pichord", ""), ("admin", password), ("pichord", password + "x")):
        assert httpx2.post(f"{base}/RPC2", content=shutdown, auth=auth).status_code == 401
        for path in ("/index.html?action=stopall", "/../../etc/passwd", "/logtail/worker"):
            assert httpx2.get(base + path, auth=auth).status_code == 401
    wrong = f"http://pichord:wrong@127.0.0.1:{run.ui_port}/RPC2"
    with (
        xmlrpc.client.ServerProxy(wrong) as rpc,
        pytest.raises(xmlrpc.client.ProtocolError, match="401"),
    ):
        rpc.supervisor.stopProcess("worker")
    assert set(program_states(run).values()) == {"RUNNING"}
