"""Error responses: what each route documents in OpenAPI (every body is {"detail": …}), the
one place where the job store's errors become answers, and the handler that makes 405 list
every method of the resource."""

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request, Response, status
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Route

from api.schemas.errors import ErrorDetail
from pipeline.jobs import JobFinishedError
from pipeline.methods import UnknownMethodError
from storage import CorruptRecordError, JobNotFoundError
from storage.room import is_disk_full

Responses = dict[int | str, dict[str, Any]]
# Told to clients whose request met a full state dir: room comes back as jobs end and
# retention removes old ones, not within seconds.
STORAGE_RETRY_SECONDS = 30


def _documented(*codes: int) -> Responses:
    return {code: {"model": ErrorDetail, "description": _MEANING[code]} for code in codes}


_MEANING = {
    400: "The body could not be read as UTF-8 JSON",
    401: "No bearer token, and the service sets PICHORD_API_TOKEN",
    403: "The bearer token is not accepted",
    404: "No task with this id",
    409: "The task's state does not allow this, or its record is unreadable",
    413: "Request body over PICHORD_MAX_BODY_BYTES",
    422: "Invalid input; the message names the value and the limit",
    429: "Over the submission rate, or too many unfinished jobs; see Retry-After",
    503: (
        "The broker is unreachable or did not take the job; the message says whether a job "
        "was recorded (as FAILURE). See Retry-After"
    ),
    507: (
        "The service's storage is full, or below the room it keeps for running jobs; "
        "nothing was stored. See Retry-After"
    ),
}

READ = _documented(401, 403, 422)
READ_TASK = _documented(401, 403, 404, 409, 422)
SUBMIT = _documented(400, 401, 403, 413, 422, 429, 503, 507)
CANCEL = _documented(401, 403, 404, 409, 422, 507)


async def _http_error(request: Request, exc: Exception) -> Response:
    """Starlette answers 405 with the methods of the first route on the path only; a
    resource served by several routes (GET and DELETE /tasks/{id}) must list them all."""
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code != status.HTTP_405_METHOD_NOT_ALLOWED:
        return await http_exception_handler(request, exc)
    methods: set[str] = set()
    for route in request.app.routes:
        if isinstance(route, Route) and route.matches(request.scope)[0] is not Match.NONE:
            methods |= route.methods or set()
    return JSONResponse(
        {"detail": f"{request.method} is not served here; use {', '.join(sorted(methods))}"},
        status.HTTP_405_METHOD_NOT_ALLOWED,
        headers={"Allow": ", ".join(sorted(methods))},
    )


# The job store's errors, each with the status it is answered with and its message: an
# unknown id, an unreadable record or one of a method this version does not know, a cancel
# of an ended job. Routes let them rise; one handler answers them all.
_STORE_ERRORS: dict[type[Exception], tuple[int, Callable[[Any], str]]] = {
    JobNotFoundError: (status.HTTP_404_NOT_FOUND, lambda exc: f"no task with id {exc.job_id}"),
    CorruptRecordError: (status.HTTP_409_CONFLICT, str),
    UnknownMethodError: (status.HTTP_409_CONFLICT, str),
    JobFinishedError: (
        status.HTTP_409_CONFLICT,
        lambda exc: f"{exc}; only WAITING or PROGRESS tasks can be cancelled",
    ),
}


def _store_answer(exc: Exception) -> tuple[int, Callable[[Any], str]] | None:
    for kind, answer in _STORE_ERRORS.items():
        if isinstance(exc, kind):
            return answer
    return None


async def _store_error(request: Request, exc: Exception) -> Response:
    answer = _store_answer(exc)
    assert answer is not None  # registered only for the kinds in _STORE_ERRORS
    status_code, message = answer
    return JSONResponse({"detail": message(exc)}, status_code)


async def _os_error(request: Request, exc: Exception) -> Response:
    """A write any route makes that meets a full disk is the service's storage running out,
    not a fault of the request: 507, which says so. Every other OSError is a 500."""
    if not is_disk_full(exc):
        raise exc
    return JSONResponse(
        {
            "detail": f"the service's storage is full ({exc.strerror}); the request could not "
            "be completed, retry once space is freed"
        },
        status.HTTP_507_INSUFFICIENT_STORAGE,
        headers={"Retry-After": str(STORAGE_RETRY_SECONDS)},
    )


def status_of(exc: Exception) -> int | None:
    """The status an exception is answered with, when it is one of the handled ones."""
    if isinstance(exc, StarletteHTTPException):
        return exc.status_code
    if is_disk_full(exc):
        return status.HTTP_507_INSUFFICIENT_STORAGE
    answer = _store_answer(exc)
    return None if answer is None else answer[0]


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(StarletteHTTPException, _http_error)
    for kind in _STORE_ERRORS:
        app.add_exception_handler(kind, _store_error)
    app.add_exception_handler(OSError, _os_error)
