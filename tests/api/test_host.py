"""Host statistics, checked against psutil read in the same test."""

import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from fastapi.testclient import TestClient

from api.host.sampler import CpuSampler
from api.main import create_app
from config import Settings


def test_host_summary_agrees_with_psutil(client: TestClient) -> None:
    body = client.get("/").json()
    assert body["cpu_count"]["logical"] == psutil.cpu_count()
    assert body["memory"]["total"] == psutil.virtual_memory().total
    assert body["root_disk"]["total"] == psutil.disk_usage("/").total
    assert set(body["addresses"]) == set(psutil.net_if_addrs())
    assert "127.0.0.1" in body["addresses"]["lo"]
    assert len(body["load_average"]) == 3
    assert 0 <= body["cpu_percent"] <= 100
    assert body["uptime_seconds"] > 0 and body["process_count"] > 1
    assert body["version"] == "0.1.0"


def test_cpu_percent_answers_at_once_with_its_window(client: TestClient) -> None:
    start = time.perf_counter()
    body = client.get("/cpu/percent").json()
    assert time.perf_counter() - start < 0.5  # from the sample, not a blocking measurement
    assert len(body["per_cpu"]) == psutil.cpu_count()
    assert all(0 <= v <= 100 for v in body["per_cpu"]) and 0 <= body["total"] <= 100
    assert body["window_seconds"] > 0 and body["taken_at"].endswith("Z")


def test_cpu_times_percent_has_every_psutil_field(client: TestClient) -> None:
    body = client.get("/cpu/times_percent").json()
    fields = set(psutil.cpu_times()._fields)
    assert set(body["total"]) == fields
    assert len(body["per_cpu"]) == psutil.cpu_count()
    for split in body["per_cpu"]:
        assert set(split) == fields
        counted = sum(v for k, v in split.items() if k not in ("guest", "guest_nice"))
        assert counted == pytest.approx(100, abs=0.5) or counted == 0


def test_sampler_sees_a_busy_core() -> None:
    sampler = CpuSampler(period=0.2)
    sampler.start()
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        deadline = time.monotonic() + 10
        peak = 0.0
        while time.monotonic() < deadline and peak < 40:
            peak = max(sampler.latest().per_cpu)
            time.sleep(0.1)
        assert peak >= 40
    finally:
        busy.kill()
        busy.wait()
        sampler.stop()


def test_partitions_are_real_mounts_and_all_adds_pseudo(client: TestClient) -> None:
    real = client.get("/partitions/usage").json()["partitions"]
    everything = client.get("/partitions/usage", params={"all": "true"}).json()["partitions"]
    assert "/" in {p["mountpoint"] for p in real}
    assert len(everything) > len(real)
    assert "proc" in {p["fstype"] for p in everything}
    root = next(p for p in real if p["mountpoint"] == "/")
    assert root["total"] == psutil.disk_usage("/").total


def test_unreadable_partition_is_reported_not_fatal(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_usage = psutil.disk_usage

    def stale(path: str) -> object:
        if path == "/":
            raise OSError(116, "Stale file handle")
        return real_usage(path)

    # Fault injection: a stale NFS mount cannot be made on this machine.
    monkeypatch.setattr(psutil, "disk_usage", stale)
    parts = client.get("/partitions/usage", params={"all": "true"}).json()["partitions"]
    root = next(p for p in parts if p["mountpoint"] == "/")
    assert root["total"] is None and "Stale file handle" in root["error"]
    assert any(p["total"] is not None for p in parts)


def test_health_is_always_ok(client: TestClient) -> None:
    assert client.get("/health").json() == {"status": "ok"}


def test_ready_is_503_naming_the_broker_when_it_is_unreachable(state_dir: Path) -> None:
    settings = Settings(state_dir=state_dir, broker_url="amqp://guest:guest@127.0.0.1:1//")
    with TestClient(create_app(settings)) as client:
        start = time.perf_counter()
        response = client.get("/ready")
        assert time.perf_counter() - start < 10
    assert response.status_code == 503
    body = response.json()
    assert "broker" in body["failing"] and body["checks"]["state_dir"]["ok"]


def test_workers_is_an_empty_list_when_the_broker_is_unreachable(state_dir: Path) -> None:
    settings = Settings(state_dir=state_dir, broker_url="amqp://guest:guest@127.0.0.1:1//")
    with TestClient(create_app(settings)) as client:
        response = client.get("/workers")
    assert response.status_code == 200
    assert (response.json()["workers"], response.json()["queue_depth"]) == ([], None)
