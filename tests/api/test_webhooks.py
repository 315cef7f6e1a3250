"""Signed completion webhooks, to real receivers on loopback: delivered once a job ends,
retried after failures, redirects and hangs, kept across restarts, and refused for hosts the
service does not allow."""

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api.main import create_app
from config import Settings
from storage import JobStore
from tests.api.finishing import finish

SECRET = "webhook-test-secret"


class Receiver:
    """An HTTP server on loopback that records each POST and answers as ``answer`` says:
    a status, or "hang" (no answer for longer than the service waits)."""

    def __init__(self, answers: list[int | str], port: int = 0) -> None:
        self.answers = answers
        self.calls: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.calls.append((dict(self.headers.items()), body))
                answer = receiver.answers.pop(0) if receiver.answers else 204
                if answer == "hang":
                    time.sleep(2)
                    return
                self.send_response(int(answer))
                if answer == 302:
                    self.send_header("Location", "http://127.0.0.1:9/elsewhere")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hook"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def hooks(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "webhook_allow": ["127.0.0.1:*"],
            "webhook_secret": SecretStr(SECRET),
            "webhook_retry_seconds": [0.2, 0.2, 0.2, 0.2, 0.2],
            "webhook_timeout_seconds": 0.5,
        }
    )


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    answering = Receiver([])
    yield answering
    answering.close()


def wait_until(check: Callable[[], bool], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.02)


def submit(client: TestClient, url: str) -> str:
    created = client.post("/tasks", json={"digits": 3, "callback_url": url})
    assert created.status_code == 202, created.text
    return str(created.json()["id"])


def signed(headers: dict[str, str], body: bytes) -> bool:
    expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(headers["X-Pichord-Signature"], expected)


def test_an_ended_job_posts_its_signed_task_once(hooks: Settings, receiver: Receiver) -> None:
    store = JobStore(hooks.state_dir)
    with TestClient(create_app(hooks)) as client:
        job_id = submit(client, receiver.url)
        time.sleep(0.6)  # a poll of the deliverer: nothing goes before the job ends
        assert receiver.calls == []
        finish(store, store.get(job_id))
        wait_until(lambda: len(receiver.calls) == 1, "the webhook")
        wait_until(lambda: not store.webhooks.pending(), "the delivery to be done")
    headers, body = receiver.calls[0]
    task = json.loads(body)
    assert task["id"] == job_id and task["status"] == "SUCCESS" and "result" not in task
    assert signed(headers, body) and headers["Content-Type"] == "application/json"
    assert headers["X-Pichord-Delivery"]


@pytest.mark.parametrize(
    "answers", [[500, 500], ["hang"], [302]], ids=["fails-twice", "hangs", "redirects"]
)
def test_failed_deliveries_are_retried_with_the_same_delivery_id(
    hooks: Settings, answers: list[int | str]
) -> None:
    receiver = Receiver(list(answers))
    store = JobStore(hooks.state_dir)
    try:
        with TestClient(create_app(hooks)) as client:
            job_id = submit(client, receiver.url)
            finish(store, store.get(job_id))
            wait_until(lambda: not store.webhooks.pending(), "the delivery to be done", 60)
    finally:
        receiver.close()
    assert len(receiver.calls) == len(answers) + 1
    assert len({headers["X-Pichord-Delivery"] for headers, _ in receiver.calls}) == 1
    assert all(signed(headers, body) for headers, body in receiver.calls)
    assert store.webhooks.failed() == []


def test_a_delivery_waits_through_a_restart(hooks: Settings) -> None:
    store = JobStore(hooks.state_dir)
    # A port nobody listens on yet: the first attempts fail and the delivery stays queued.
    gone = Receiver([])
    gone.close()
    patient = hooks.model_copy(update={"webhook_retry_seconds": [0.3] * 50})
    with TestClient(create_app(patient)) as client:
        job_id = submit(client, gone.url)
        finish(store, store.get(job_id))

        def attempted() -> bool:
            delivery = store.webhooks.get(job_id)
            return delivery is not None and delivery.attempts >= 1

        wait_until(attempted, "a failed attempt")
    receiver = Receiver([], port=gone.port)
    try:
        with TestClient(create_app(patient)):
            wait_until(lambda: receiver.calls != [], "the webhook after the restart")
    finally:
        receiver.close()
    assert json.loads(receiver.calls[0][1])["id"] == job_id


def test_after_the_last_retry_a_delivery_is_given_up(hooks: Settings) -> None:
    receiver = Receiver([500] * 10)
    store = JobStore(hooks.state_dir)
    short = hooks.model_copy(update={"webhook_retry_seconds": [0.1, 0.1]})
    try:
        with TestClient(create_app(short)) as client:
            job_id = submit(client, receiver.url)
            finish(store, store.get(job_id))
            wait_until(lambda: store.webhooks.failed() != [], "the delivery to be given up")
    finally:
        receiver.close()
    (failed,) = store.webhooks.failed()
    assert failed.job_id == job_id and failed.attempts == 3 and "500" in (failed.last_error or "")
    assert len(receiver.calls) == 3 and store.webhooks.pending() == []


def test_callbacks_are_refused_unless_their_host_is_allowed(
    client: TestClient, hooks: Settings
) -> None:
    refused = client.post("/tasks", json={"digits": 3, "callback_url": "http://127.0.0.1/x"})
    assert refused.status_code == 422 and "PICHORD_WEBHOOK_ALLOW" in refused.text
    with TestClient(create_app(hooks)) as allowed:
        for url in ("http://169.254.169.254/latest", "ftp://127.0.0.1/x", "http://u:p@127.0.0.1/"):
            answer = allowed.post("/tasks", json={"digits": 3, "callback_url": url})
            assert answer.status_code == 422, url
        assert (
            "169.254.169.254:80"
            in allowed.post(
                "/tasks", json={"digits": 3, "callback_url": "http://169.254.169.254/latest"}
            ).text
        )


def test_an_allow_list_needs_a_secret(settings: Settings) -> None:
    with pytest.raises(ValueError, match="PICHORD_WEBHOOK_SECRET"):
        Settings(state_dir=settings.state_dir, webhook_allow=["127.0.0.1:*"])


def test_the_default_retries_span_at_least_ten_minutes(settings: Settings) -> None:
    waits = settings.webhook_retry_seconds
    assert len(waits) >= 5 and sum(waits) >= 600
