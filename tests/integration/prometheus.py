"""A Prometheus server of a test's own: Debian's `prometheus` (package `prometheus`, which
also ships `promtool`) scraping the API under test, stopped by its own pid at the end.

Under CI=true a missing binary fails the test; elsewhere it skips, saying what to install.
"""

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import pytest

from tests.integration.conftest import free_port, wait_for


def prometheus_tool(name: str) -> str:
    """The path of ``prometheus`` or ``promtool``."""
    found = shutil.which(name)
    if found is None:
        message = f"{name} is not installed (apt-get install --no-install-recommends prometheus)"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " (CI=true: a missing tool is a failure)")
        pytest.skip(message)
    return found


@dataclass
class Prometheus:
    url: str
    proc: subprocess.Popen[bytes]
    log: Path

    def query(self, expr: str) -> list[dict[str, Any]]:
        """The instant vector ``expr`` evaluates to now (``/api/v1/query``)."""
        answer = httpx2.get(self.url + "/api/v1/query", params={"query": expr}, timeout=5)
        body = answer.json()
        assert body["status"] == "success", body
        result: list[dict[str, Any]] = body["data"]["result"]
        return result

    def value(self, expr: str) -> float | None:
        """The one value of ``expr``, None when it has no series (not scraped yet)."""
        result = self.query(expr)
        assert len(result) <= 1, result
        return float(result[0]["value"][1]) if result else None

    def wait_for_value(self, expr: str, wanted: float, timeout: float) -> None:
        seen: list[float | None] = []

        def reached() -> bool:
            seen.append(self.value(expr))
            return seen[-1] == wanted

        try:
            wait_for(reached, timeout, f"{expr} to read {wanted}", interval=0.2)
        except AssertionError as exc:
            raise AssertionError(f"{exc}; last read {seen[-5:]}") from None


@contextmanager
def prometheus_scraping(
    binary: str, api_url: str, folder: Path, interval: str = "1s"
) -> Iterator[Prometheus]:
    """Prometheus (``binary``, from ``prometheus_tool``) scraping ``api_url``/metrics every
    ``interval``, its data under ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    target = api_url.removeprefix("http://")
    config = {
        "global": {"scrape_interval": interval, "scrape_timeout": interval},
        "scrape_configs": [
            {"job_name": "pichord", "static_configs": [{"targets": [target]}]},
        ],
    }
    # YAML is a superset of JSON.
    (folder / "prometheus.yml").write_text(json.dumps(config, indent=1))
    port = free_port()
    log = folder / "prometheus.log"
    with log.open("ab") as handle:
        proc = subprocess.Popen(
            [
                binary,
                f"--config.file={folder / 'prometheus.yml'}",
                f"--storage.tsdb.path={folder / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            cwd=folder,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
    server = Prometheus(url=f"http://127.0.0.1:{port}", proc=proc, log=log)

    def ready() -> bool:
        assert proc.poll() is None, log.read_text()[-3000:]
        try:
            return httpx2.get(server.url + "/-/ready", timeout=1).status_code == 200
        except httpx2.TransportError:
            return False

    try:
        wait_for(ready, 60, "Prometheus to be ready")
        yield server
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
