"""A worker cluster on pytest-celery's own framework: `celery_setup` over a RabbitMQ container
(`celery_broker_cluster`) and two worker containers of the project's image
(`celery_worker_cluster`), with no backend container: the chords are joined by the project's
file result backend, in a state dir this test and both containers share.

Every image is a local tag, never pulled: the project's image is built once a session
(tests/ops/conftest.py), RabbitMQ is the tag docker-compose.yml pins (CI makes a stand-in
under it). pytest-celery's built-in worker image and `fetch()` both pull, so neither is used.

Runs in CI beside the compose test; skips where no Docker engine answers, fails under CI=true.
"""

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import docker
import pytest
from celery import Celery
from celery import __version__ as celery_version
from pytest_celery import (
    RABBITMQ_CONTAINER_TIMEOUT,
    CeleryBrokerCluster,
    CeleryTestSetup,
    CeleryTestWorker,
    CeleryWorkerCluster,
    CeleryWorkerContainer,
    RabbitMQContainer,
    RabbitMQTestBroker,
)
from pytest_docker_tools import container, fxtr
from pytest_docker_tools.exceptions import ContainerFailed

from config import Settings
from pipeline.celery_app import create_celery_app
from pipeline.celery_config import FILE_BACKEND, PichordCelery, result_backend_url
from pipeline.fleet import live_workers
from pipeline.jobs import submit
from pipeline.verify import reference_digits
from storage import ChunkRecord, JobRecord, JobStatus, JobStore
from tests.conftest import MethodEnv
from tests.ops.conftest import (
    STANDINS,
    Timings,
    compose_image,
    local_image,
    require_engine,
    unavailable,
)

pytestmark = [pytest.mark.integration, pytest.mark.containers, pytest.mark.timeout(900)]

DIGITS = 10
# Chunks are sized in terms, so what the test sees does not depend on the CPU: n=10 is 98 G
# terms, cut into 4 chunks of ~25 G (a multiple of the 2 pool processes online). A chunk
# lasts 0.5 s at 48 G terms/s, the fastest kernel seen on this machine class, and checkpoints
# every CHECKPOINT_SECONDS; the kill test still waits for no duration, it freezes the worker.
CHUNK_TERMS = 25_000_000_000
KERNEL_HINT = 1.6e10  # the planning hint that turns CHUNK_TERMS into chunk_seconds
CHECKPOINT_SECONDS = 0.05
# One pool process per worker container: each container computes one chunk at a time.
CONCURRENCY = 1
JOB_SECONDS = 180


class PichordWorkerContainer(CeleryWorkerContainer):
    """A worker container of the project's image: the celery line of
    ops/supervisor/supervisord.conf, configured by PICHORD_ variables like compose's workers."""

    @classmethod
    def command(
        cls,
        *args: str,
        debugpy: bool = False,
        wait_for_client: bool = True,
        **kwargs: dict[str, Any],
    ) -> list[str]:
        return [
            *("python", "-m", "celery", "-A", "pipeline.worker", "worker"),
            *("--loglevel", cls.log_level(), "--concurrency", str(CONCURRENCY)),
            *("--hostname", f"{cls.worker_name()}@%h", *args),
        ]

    @classmethod
    def version(cls) -> str:
        return celery_version

    @classmethod
    def log_level(cls) -> str:
        return "INFO"

    @classmethod
    def worker_name(cls) -> str:
        return "worker"

    @classmethod
    def worker_queue(cls) -> str:
        return str(Settings.model_fields["queue"].default)

    @classmethod
    def initial_env(
        cls, celery_worker_cluster_config: dict[str, Any], initial: dict[str, str] | None = None
    ) -> dict[str, str]:
        """The broker pytest-celery started, as the containers reach it; never
        CELERY_RESULT_BACKEND: the workers use the project's file backend."""
        broker = celery_worker_cluster_config["celery_broker_cluster_config"]
        return {
            **(initial or {}),
            "PICHORD_ROLE": "worker",
            "PICHORD_BROKER_URL": ";".join(broker["urls"]),
            "PICHORD_WORKER_CONCURRENCY": str(CONCURRENCY),
        }

    def ready(self) -> bool:
        """Running and logged "ready."; an exited worker fails at once with its log (the
        inherited wait keeps polling the log of a dead container for 3 x 30 s)."""
        self.reload()
        if self.status == "exited":
            raise ContainerFailed(self, f"worker container exited:\n{self.logs()[-4000:]}")
        return self.status == "running" and self.ready_prompt in self.logs()

    def freeze(self) -> None:
        """Pause every process of the container (the cgroup freezer), mid-instruction."""
        self._container.pause()

    def thaw(self) -> None:
        self._container.unpause()


class RabbitMQBrokerContainer(RabbitMQContainer):
    """pytest-celery's RabbitMQ container, reached from this process where the port really
    is: pytest-docker-tools' address (the container's IP when the tests run inside a
    container, as here: /.dockerenv) instead of "localhost" with a port that is then the
    container's own 5672, which on a CI machine is the host's RabbitMQ."""

    @property
    def host_url(self) -> str:
        host, port = self.get_addr("5672/tcp")
        return f"{self.prefix()}{host}:{port}/{self.vhost}"


# The images declare VOLUMEs, and pytest-docker-tools removes containers without their
# anonymous volumes (`remove(force=True)`): a tmpfs there leaves nothing behind.
default_rabbitmq_broker = container(
    image="{default_rabbitmq_broker_image}",
    ports=fxtr("default_rabbitmq_broker_ports"),
    environment=fxtr("default_rabbitmq_broker_env"),
    network="{default_pytest_celery_network.name}",
    tmpfs={"/var/lib/rabbitmq": ""},
    wrapper_class=RabbitMQBrokerContainer,
    timeout=RABBITMQ_CONTAINER_TIMEOUT,
)


@pytest.fixture(scope="session")
def docker_client() -> docker.DockerClient:
    """pytest-docker-tools' client, after the check that skips (or fails under CI) without
    an engine: its own fixture would error instead."""
    require_engine()
    return docker.from_env()


@pytest.fixture
def default_rabbitmq_broker_image(docker_client: docker.DockerClient) -> str:
    image = compose_image("rabbitmq")
    if not local_image(image):
        unavailable(f"no local {image} image (nothing is pulled); make it: {STANDINS}")
    return image


@pytest.fixture
def celery_broker_cluster(
    celery_rabbitmq_broker: RabbitMQTestBroker,
) -> Iterator[CeleryBrokerCluster]:
    # RabbitMQ only (pytest-celery would also run every test on Redis, which has no stand-in).
    cluster = CeleryBrokerCluster(celery_rabbitmq_broker)
    yield cluster
    cluster.teardown()


@pytest.fixture
def celery_backend_cluster() -> None:
    """No backend container, so pytest-celery sets no CELERY_RESULT_BACKEND on the workers
    (Celery's t/smoke/tests/test_rpc_backend.py does the same for rpc://)."""


@pytest.fixture
def shared_state(tmp_path: Path) -> Path:
    """The state dir of the job store and the file result backend, for this test and both
    workers. Mounted at the same path in the containers: the backend's URL names the folder,
    and it must be the same URL everywhere or chords never fire."""
    path = tmp_path / "state"
    path.mkdir()
    return path


@pytest.fixture
def state_mount(shared_state: Path) -> dict[str, dict[str, str]]:
    return {str(shared_state): {"bind": str(shared_state), "mode": "rw"}}


@pytest.fixture(scope="session")
def host_user() -> str:
    """The containers run as this process's user, so either side can write what the other
    created in the shared state dir (the image's own user is 10001)."""
    return f"{os.getuid()}:{os.getgid()}"


@pytest.fixture
def cluster_settings(
    celery_setup_config: dict[str, Any], shared_state: Path, method_env: MethodEnv
) -> Settings:
    """This process's settings: the broker as the host reaches it, the shared state dir."""
    method_env(PICHORD_KERNEL_TERMS_PER_SECOND=str(KERNEL_HINT))
    return Settings(
        state_dir=shared_state,
        broker_url=celery_setup_config["broker_url"],
        worker_concurrency=CONCURRENCY,
        chunk_seconds=CHUNK_TERMS / KERNEL_HINT,
    )


@pytest.fixture
def celery_setup_app(cluster_settings: Settings) -> PichordCelery:
    """The project's own app (its tasks, its file backend), not the bare Celery app
    pytest-celery would make from the broker URL."""
    return create_celery_app(cluster_settings)


# pytest-celery asks these for the worker's command and name (and, in session scope, for the
# build arguments of its own worker image, which is never built here).
@pytest.fixture
def default_worker_container_cls() -> type[CeleryWorkerContainer]:
    return PichordWorkerContainer


@pytest.fixture(scope="session")
def default_worker_container_session_cls() -> type[CeleryWorkerContainer]:
    return PichordWorkerContainer


@pytest.fixture
def default_worker_env(
    celery_worker_cluster_config: dict[str, Any], shared_state: Path
) -> dict[str, str]:
    return PichordWorkerContainer.initial_env(
        celery_worker_cluster_config,
        {
            "PICHORD_STATE_DIR": str(shared_state),
            "PICHORD_CHECKPOINT_SECONDS": str(CHECKPOINT_SECONDS),
        },
    )


def worker_container() -> Any:
    """A container of the project's image (not pytest-celery's worker image, which pulls
    python:3.10 to build), on pytest-celery's network, with the shared state dir mounted."""
    return container(
        image="{project_image}",
        environment=fxtr("default_worker_env"),
        network="{default_pytest_celery_network.name}",
        volumes=fxtr("state_mount"),
        tmpfs={"/var/lib/pichord": ""},  # the image's VOLUME, unused: the state dir is mounted
        user="{host_user}",
        wrapper_class=PichordWorkerContainer,
        timeout=120,
        command=fxtr("default_worker_command"),
    )


# pytest-celery's first worker (`celery_setup_worker`) runs in this one.
default_worker_container = worker_container()
second_worker_container = worker_container()


@pytest.fixture
def second_worker(
    second_worker_container: PichordWorkerContainer, celery_setup_app: Celery
) -> Iterator[CeleryTestWorker]:
    worker = CeleryTestWorker(second_worker_container, app=celery_setup_app)
    yield worker
    worker.teardown()


@pytest.fixture
def celery_worker_cluster(
    celery_setup_worker: CeleryTestWorker, second_worker: CeleryTestWorker
) -> Iterator[CeleryWorkerCluster]:
    cluster = CeleryWorkerCluster(celery_setup_worker, second_worker)
    yield cluster
    cluster.teardown()


# -- helpers ---------------------------------------------------------------------------------


def wait_for(what: str, check: Callable[[], Any], timeout: float, interval: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def pichord_app(setup: CeleryTestSetup) -> PichordCelery:
    app = setup.app
    assert isinstance(app, PichordCelery)
    return app


def workers(setup: CeleryTestSetup) -> list[CeleryTestWorker]:
    cluster = setup.worker_cluster
    assert cluster is not None
    return [worker for worker in cluster if isinstance(worker, CeleryTestWorker)]


def fleet_hosts(settings: Settings) -> dict[str, int]:
    """Pool processes by container hostname, from the heartbeats the workers write to the
    shared state dir."""
    return {member.host: member.processes for member in live_workers(settings)}


def start_job(setup: CeleryTestSetup) -> str:
    """Submit a leibniz job as the API does, once both containers beat in the fleet with their
    pool. pytest-celery started each only after its "ready." line (logged once it consumes),
    and a worker takes part in a running job as soon as it consumes: the wait makes sure both
    are up for the whole job, which lasts seconds, so both compute chunks of it."""
    app = pichord_app(setup)
    # CeleryTestWorker.hostname() is the node name, worker@<the container's hostname>.
    expected = {worker.hostname().partition("@")[2]: CONCURRENCY for worker in workers(setup)}
    wait_for(
        "both worker containers in the fleet",
        lambda: fleet_hosts(app.settings) == expected,
        60,
        0.2,
    )
    return submit(app, JobStore(app.settings.state_dir), "leibniz", DIGITS).id


def finished(store: JobStore, job_id: str) -> JobRecord:
    job = wait_for(
        f"job {job_id} to finish",
        lambda: (record := store.get(job_id)).status.finished and record,
        JOB_SECONDS,
        interval=0.1,
    )
    assert isinstance(job, JobRecord)
    return job


def assert_pi(store: JobStore, job: JobRecord) -> None:
    assert job.status is JobStatus.SUCCESS, job.error
    digits = store.digits(job)
    assert digits == reference_digits(DIGITS)
    assert job.verified is True


def freeze_mid_chunk(worker: CeleryTestWorker, store: JobStore, job_id: str) -> ChunkRecord:
    """Freeze ``worker`` at a moment it is computing a chunk of the job that has checkpointed
    and not finished, and return that chunk's record. Found by reading the progress files,
    confirmed after the freeze (the worker still holds the chunk's lock), so the moment does
    not depend on how fast the kernel is; if the chunk finished in between, thaw and retry."""
    name = worker.hostname()
    container = worker.container
    assert isinstance(container, PichordWorkerContainer)
    deadline = time.monotonic() + JOB_SECONDS
    while time.monotonic() < deadline:
        candidates = [
            chunk.index
            for chunk in store.chunks(job_id).values()
            if chunk.status is JobStatus.PROGRESS and chunk.worker == name and chunk.terms_done
        ]
        if candidates:
            container.freeze()
            for index in candidates:
                chunk = store.get_chunk(job_id, index)
                if (
                    chunk is not None
                    and chunk.status is JobStatus.PROGRESS
                    and chunk.worker == name
                    and store.chunk_running(job_id, index)
                ):
                    return chunk
            container.thaw()
        job = store.get(job_id)
        assert not job.status.finished, f"job ended {job.status} before {name} held a chunk"
        time.sleep(0.01)
    raise AssertionError(f"{name} never held a checkpointed chunk of job {job_id}")


# -- tests -----------------------------------------------------------------------------------


def test_a_job_is_one_chord_over_both_worker_containers(
    celery_setup: CeleryTestSetup, timings: Timings
) -> None:
    app = pichord_app(celery_setup)
    store = JobStore(app.settings.state_dir)
    # The project's backend on both sides: this app's, and none from pytest-celery.
    assert app.conf.result_backend == result_backend_url(app.settings)
    assert app.conf.result_backend.startswith(f"{FILE_BACKEND}+file://{app.settings.state_dir}")
    for worker in workers(celery_setup):
        assert "CELERY_RESULT_BACKEND" not in worker.container.env

    started = time.monotonic()
    job_id = start_job(celery_setup)
    job = finished(store, job_id)
    timings.record(f"cluster: n={DIGITS} job over 2 worker containers", started)

    assert_pi(store, job)
    # A job ends when its chord fires: the chord joined through the shared backend over
    # tickets that returned in both containers, whichever returned last.
    computed_by = {chunk.worker for chunk in store.chunks(job_id).values()}
    assert computed_by == {worker.hostname() for worker in workers(celery_setup)}


def test_a_worker_container_killed_mid_chunk_leaves_the_job_to_the_other(
    celery_setup: CeleryTestSetup, timings: Timings
) -> None:
    app = pichord_app(celery_setup)
    store = JobStore(app.settings.state_dir)
    victim, survivor = workers(celery_setup)

    job_id = start_job(celery_setup)
    held = freeze_mid_chunk(victim, store, job_id)
    assert not store.get(job_id).status.finished
    killed = time.monotonic()
    victim.kill()  # SIGKILL of the frozen container: no warm shutdown, no ack
    assert victim.container.status == "exited"

    job = finished(store, job_id)
    timings.record("cluster: job done after a worker container was killed mid-chunk", killed)
    assert_pi(store, job)
    # RabbitMQ gave the unacknowledged chunk to the other container, which resumed it.
    redone = store.get_chunk(job_id, held.index)
    assert redone is not None and redone.status is JobStatus.SUCCESS
    assert redone.worker == survivor.hostname()
    assert redone.attempts == held.attempts + 1
