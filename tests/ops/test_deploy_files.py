"""The Dockerfile, compose file and supervisord config, validated offline (no Docker engine
here) and checked against the repository and the settings defaults."""

import importlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from config import Settings
from config.supervisord import CONFIG_FILE, supervisor_environment
from tests.ops.conftest import unavailable

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = (REPO / "Dockerfile").read_text()
COMPOSE: dict[str, Any] = yaml.safe_load((REPO / "docker-compose.yml").read_text())
# The main config and the file it includes for the API.
SUPERVISORD = CONFIG_FILE.read_text() + (CONFIG_FILE.parent / "api.conf").read_text()
DEFAULTS = Settings(_env_file=None)  # type: ignore[call-arg]


def instructions(name: str) -> list[str]:
    joined = DOCKERFILE.replace("\\\n", " ")
    return [line.split(None, 1)[1] for line in joined.splitlines() if line.startswith(name + " ")]


def test_hadolint_finds_nothing() -> None:
    hadolint = Path(sys.executable).parent / "hadolint"
    result = subprocess.run([hadolint, str(REPO / "Dockerfile")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def compose_config(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    tool = shutil.which("docker-compose")
    if tool is None:
        unavailable("docker-compose is not installed (apt-get install docker-compose)")
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in ("RABBITMQ_PASSWORD", "PICHORD_SUPERVISOR_PASSWORD")
        and not k.startswith("PICHORD_")
    }
    return subprocess.run(
        [tool, "-f", str(REPO / "docker-compose.yml"), "config"],
        env={**clean, **env},
        capture_output=True,
        text=True,
        cwd=REPO,
    )


CREDENTIALS = {"RABBITMQ_PASSWORD": "r", "PICHORD_SUPERVISOR_PASSWORD": "s"}


def test_compose_file_is_valid_and_demands_credentials() -> None:
    ok = compose_config(CREDENTIALS)
    assert ok.returncode == 0, ok.stderr
    missing = compose_config({"PICHORD_SUPERVISOR_PASSWORD": "s"})
    assert missing.returncode != 0 and "RABBITMQ_PASSWORD" in missing.stderr


def published_api(env: dict[str, str]) -> tuple[list[str], dict[str, Any]]:
    rendered = compose_config(env)
    assert rendered.returncode == 0, rendered.stderr
    app = yaml.safe_load(rendered.stdout)["services"]["app"]
    ports = [str(p) for p in app["ports"] if str(p).split(":")[-1].startswith("8000")]
    return ports, app["environment"]


def test_compose_publishes_the_api_on_loopback_unless_env_opens_it() -> None:
    ports, env = published_api(CREDENTIALS)
    assert ports == ["127.0.0.1:8000:8000/tcp"]
    # The app judges its exposure by the same address, and has no token to pass on.
    assert env["PICHORD_PUBLISH_ADDRESS"] == "127.0.0.1" and not env["PICHORD_API_TOKEN"]
    ports, env = published_api(
        {**CREDENTIALS, "PICHORD_PUBLISH_ADDRESS": "0.0.0.0", "PICHORD_API_TOKEN": "t"}
    )
    assert ports == ["0.0.0.0:8000:8000/tcp"]
    assert (env["PICHORD_PUBLISH_ADDRESS"], env["PICHORD_API_TOKEN"]) == ("0.0.0.0", "t")


def test_dockerfile_names_what_exists_and_matches_the_settings() -> None:
    # The base is pinned as the default of an argument (the containers test overrides it).
    assert instructions("FROM") == ["${PYTHON_IMAGE}"]
    assert re.match(r"PYTHON_IMAGE=python:\d+\.\d+\.\d+-slim", instructions("ARG")[0])
    for copy in instructions("COPY"):
        source = copy.split()[0]
        assert (REPO / source).exists(), source
    assert instructions("CMD") == ['["python", "-m", "config.supervisord"]']
    assert importlib.util.find_spec("config.supervisord") and importlib.util.find_spec(
        "config.healthcheck"
    )
    assert "config.healthcheck" in instructions("HEALTHCHECK")[0]
    exposed = {int(p) for p in instructions("EXPOSE")[0].split()}
    assert exposed == {DEFAULTS.api_port, DEFAULTS.supervisor_port}
    assert instructions("VOLUME") == ['["/var/lib/pichord"]']
    assert "PICHORD_STATE_DIR=/var/lib/pichord" in DOCKERFILE
    user = instructions("USER")[-1]
    assert user.split(":")[0] not in ("0", "root")


def test_compose_services_agree_with_the_image_and_settings() -> None:
    services = COMPOSE["services"]
    assert set(services) == {"rabbitmq", "app", "worker"}
    assert re.match(r"rabbitmq:\d+\.\d+\.\d+", services["rabbitmq"]["image"])
    assert "healthcheck" in services["rabbitmq"]
    app, worker = services["app"], services["worker"]
    assert (
        app["environment"]["PICHORD_ROLE"] == "all"
        and worker["environment"]["PICHORD_ROLE"] == "worker"
    )
    api = f"{DEFAULTS.api_port}:{DEFAULTS.api_port}"
    assert f"${{PICHORD_PUBLISH_ADDRESS:-127.0.0.1}}:{api}" in app["ports"]
    assert f"127.0.0.1:{DEFAULTS.supervisor_port}:{DEFAULTS.supervisor_port}" in app["ports"]
    assert "ports" not in worker  # scalable: no fixed host ports
    for service in (app, worker):
        assert service["volumes"] == ["state:/var/lib/pichord"]
        assert service["depends_on"]["rabbitmq"]["condition"] == "service_healthy"
        grace = int(service["stop_grace_period"].rstrip("s"))
        assert grace > int(supervisor_environment(DEFAULTS, "x")["PICHORD_STOP_WAIT_SECONDS"])
        assert "guest" not in service["environment"]["PICHORD_BROKER_URL"]


def test_supervisord_config_is_fully_supplied_by_the_launcher() -> None:
    needed = set(re.findall(r"%\(ENV_([A-Z_]+)\)s", SUPERVISORD))
    assert needed <= set(supervisor_environment(DEFAULTS, "x"))
    for module in ("api.main", "pipeline.worker", "uvicorn", "celery"):
        assert importlib.util.find_spec(module), module
    assert "api.main:create_app" in SUPERVISORD and "-A pipeline.worker" in SUPERVISORD
    worker = SUPERVISORD.split("[program:worker]")[1]
    assert "stopasgroup=false" in worker and "killasgroup=true" in worker
    assert "worker@%%h" in worker


def test_every_program_dies_with_supervisord() -> None:
    commands = re.findall(r"^command=(.*)$", SUPERVISORD, flags=re.MULTILINE)
    sections = ("[program:", "[fcgi-program:", "[eventlistener:")
    assert len(commands) == sum(SUPERVISORD.count(section) for section in sections)
    wrapper = "%(ENV_PICHORD_PYTHON)s %(ENV_PICHORD_ROOT)s/config/die_with_parent.py "
    for command in commands:
        assert command.startswith(wrapper + "%(ENV_PICHORD_PYTHON)s -m "), command
    assert (REPO / "config" / "die_with_parent.py").is_file()


@pytest.mark.parametrize(
    ("role", "api", "worker", "beat"),
    [
        ("all", "api.conf", "true", "true"),
        ("worker", "", "true", "false"),
        ("api", "api.conf", "false", "true"),
    ],
)
def test_role_picks_the_programs(
    role: str, api: str, worker: str, beat: str, tmp_path: Path
) -> None:
    env = supervisor_environment(Settings(state_dir=tmp_path, role=role), "x")  # type: ignore[arg-type]
    assert (env["PICHORD_API_PROGRAM"], env["PICHORD_RUN_WORKER"], env["PICHORD_RUN_BEAT"]) == (
        api,
        worker,
        beat,
    )
    kept = Settings(state_dir=tmp_path, role=role, retention_days=0)  # type: ignore[arg-type]
    assert supervisor_environment(kept, "x")["PICHORD_RUN_BEAT"] == "false"


def test_container_logs_go_to_stdout(tmp_path: Path) -> None:
    settings = Settings(state_dir=tmp_path, log_to_stdout=True, api_processes=3)
    env = supervisor_environment(settings, "x")
    logs = Path(env["PICHORD_LOG_DIR"])
    names = {"worker.log", "beat.log", "api-0.log", "api-1.log", "api-2.log"}
    assert {p.name for p in logs.iterdir()} == names and env["PICHORD_LOG_MAXBYTES"] == "0"
    assert all(os.readlink(logs / name) == "/dev/stdout" for name in names)
    supervisor_environment(settings, "x")  # a restart finds the links in place
    env = supervisor_environment(Settings(state_dir=tmp_path), "x")
    assert env["PICHORD_LOG_DIR"] == str(tmp_path / "logs")
