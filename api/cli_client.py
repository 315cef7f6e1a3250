"""The HTTP calls behind the `pichord` command, with errors a person can act on."""

import time
from typing import Any

import httpx2


class ApiError(Exception):
    """The API refused a request or could not be reached; the message says which and why."""


class ApiClient:
    def __init__(self, url: str, token: str | None, timeout: float = 10.0) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._url = url.rstrip("/")
        self._http = httpx2.Client(base_url=self._url, headers=headers, timeout=timeout)

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx2.TransportError as exc:
            raise ApiError(
                f"cannot reach {self._url} ({exc}); is the service running? (pichord serve)"
            ) from exc
        if response.status_code >= 400:
            try:
                detail = response.json().get("detail")
            except ValueError:
                detail = response.text
            raise ApiError(f"{method} {path}: {response.status_code} {detail}")
        return response.json()

    def submit(self, method: str, digits: int) -> str:
        created = self._call("POST", "/tasks", json={"method": method, "digits": digits})
        return str(created["id"])

    def methods(self) -> list[dict[str, Any]]:
        return list(self._call("GET", "/methods"))

    def task(self, job_id: str) -> dict[str, Any]:
        task: dict[str, Any] = self._call("GET", f"/tasks/{job_id}")
        return task

    def chunks(self, job_id: str) -> list[dict[str, Any]]:
        listing: dict[str, Any] = self._call("GET", f"/tasks/{job_id}/chunks")
        return list(listing["chunks"])

    def tasks(self, status: str | None, limit: int) -> dict[str, Any]:
        params: dict[str, Any] = {"limit": limit}
        if status:
            params["status"] = status
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
