"""The HTTP calls behind the `pichord` command, with errors a person can act on."""

import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx2

# Answers that mean "not now" rather than "no": a proxy or an API between restarts.
RETRIED_STATUSES = frozenset({502, 503, 504})
# Waits before the retries of a submission: an API restart takes a few seconds.
SUBMIT_BACKOFF = (0.5, 1.0, 2.0, 4.0, 4.0)
# The longest silence of an event stream before it counts as broken: the API sends a
# keepalive after 15 s without an event.
STREAM_SILENCE_SECONDS = 45.0


class ApiError(Exception):
    """The API refused a request or could not be reached; the message says which and why."""


class _RetryableError(ApiError):
    """Sending again may work: the request may or may not have arrived."""


class StreamBrokenError(Exception):
    """An event stream could not be opened or was cut; polling can take over."""


class ApiClient:
    def __init__(self, url: str, token: str | None, timeout: float = 10.0) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._url = url.rstrip("/")
        self._http = httpx2.Client(base_url=self._url, headers=headers, timeout=timeout)

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        return self._request(method, path, **kwargs).json()

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx2.Response:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx2.TransportError as exc:
            raise _RetryableError(
                f"cannot reach {self._url} ({exc}); is the service running? (pichord serve)"
            ) from exc
        if response.status_code >= 400:
            try:
                detail = response.json().get("detail")
            except ValueError:
                detail = response.text
            error = _RetryableError if response.status_code in RETRIED_STATUSES else ApiError
            raise error(f"{method} {path}: {response.status_code} {detail}")
        return response

    def submit(self, method: str, digits: int, key: str | None = None) -> str:
        """Submit a job, sending it again after a connection error, a timeout or a 503 with
        the same Idempotency-Key (a new one unless given), so that it is created once."""
        headers = {"Idempotency-Key": key or str(uuid.uuid4())}
        body = {"method": method, "digits": digits}
        for wait in (*SUBMIT_BACKOFF, None):
            try:
                created = self._call("POST", "/tasks", json=body, headers=headers)
            except _RetryableError:
                if wait is None:
                    raise
                self.sleep(wait)
            else:
                return str(created["id"])
        raise AssertionError("unreachable: the last attempt returns or raises")

    def methods(self) -> list[dict[str, Any]]:
        return list(self._call("GET", "/methods"))

    def task(self, job_id: str) -> dict[str, Any]:
        task: dict[str, Any] = self._call("GET", f"/tasks/{job_id}")
        return task

    def events(self, job_id: str) -> Iterator[str]:
        """The names of the job's server-sent events as they come (``status``, ``progress``,
        ``end``); StreamBrokenError when the stream cannot be had or breaks off."""
        timeout = httpx2.Timeout(self._http.timeout.connect, read=STREAM_SILENCE_SECONDS)
        try:
            with self._http.stream("GET", f"/tasks/{job_id}/events", timeout=timeout) as answer:
                if answer.status_code != 200:
                    raise StreamBrokenError(f"events of {job_id}: {answer.status_code}")
                for line in answer.iter_lines():
                    if line.startswith("event:"):
                        yield line.partition(":")[2].strip()
        except httpx2.TransportError as exc:
            raise StreamBrokenError(f"events of {job_id}: {exc}") from exc

    def digits(self, job_id: str) -> str:
        """A finished job's digits from the download (the task's JSON omits a long result)."""
        return self._request("GET", f"/tasks/{job_id}/digits").text.strip()

    def chunks(self, job_id: str) -> list[dict[str, Any]]:
        listing: dict[str, Any] = self._call("GET", f"/tasks/{job_id}/chunks")
        return list(listing["chunks"])

    def tasks(self, status: str | None, limit: int, owner: str | None = None) -> dict[str, Any]:
        params: dict[str, Any] = {"limit": limit}
        if status:
            params["status"] = status
        if owner:
            params["owner"] = owner
        page: dict[str, Any] = self._call("GET", "/tasks", params=params)
        return page

    def cancel(self, job_id: str) -> dict[str, Any]:
        task: dict[str, Any] = self._call("DELETE", f"/tasks/{job_id}")
        return task

    def host(self) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        return (
            self._call("GET", "/"),
            self._call("GET", "/cpu/percent"),
            self._call("GET", "/partitions/usage"),
        )

    @staticmethod
    def sleep(seconds: float) -> None:
        time.sleep(seconds)
