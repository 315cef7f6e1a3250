"""A finished task's digits, or its certificate's bounds, as a text file."""

from collections.abc import Iterator
from enum import StrEnum
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, HTTPException, Query, status
from fastapi.responses import FileResponse, Response, StreamingResponse

from api import errors
from api.auth import ReaderDep
from api.deps import ChunkCacheDep, StoreDep
from api.progress import job_status
from storage import JobRecord, JobStatus, JobStore

router = APIRouter(prefix="/tasks", tags=["tasks"])

# Bytes per piece of a streamed digits file.
DIGITS_PIECE = 64 * 1024


class DigitsPart(StrEnum):
    """What GET /tasks/{id}/digits serves: the certified digits, or an end of their bracket."""

    RESULT = "result"
    LOWER = "lower"
    UPPER = "upper"


def _pieces(text: str) -> Iterator[str]:
    for start in range(0, len(text), DIGITS_PIECE):
        yield text[start : start + DIGITS_PIECE]


@router.get(
    "/{task_id}/digits",
    response_class=StreamingResponse,
    dependencies=[ReaderDep],
    responses={
        200: {"content": {"text/plain": {}}, "description": "The digits, one line"},
        206: {"content": {"text/plain": {}}, "description": "A byte range of the digits"},
        **errors.READ_TASK,
    },
)
def get_digits(
    task_id: UUID,
    store: StoreDep,
    cache: ChunkCacheDep,
    of: Annotated[
        DigitsPart, Query(description="The digits, or the lower or upper end of the certificate")
    ] = DigitsPart.RESULT,
) -> Response:
    """The certified digits of a finished task (or its certificate's bounds, in full) as a
    text file to download."""
    job_id = str(task_id)
    job = store.get(job_id)
    if job.status is JobStatus.SUCCESS and of is DigitsPart.RESULT and job.result_length:
        # The file as it is: sent without reading it into memory, and with Range requests
        # answered (the dashboard shows a long result's ends from two small ones).
        path = store.result_path(job_id)
        if path.is_file():
            return FileResponse(
                path,
                media_type="text/plain; charset=utf-8",
                filename=f"pi-{job.digits}-{job_id}.txt",
            )
    if job.status is not JobStatus.SUCCESS:
        current = job_status(job, cache.job_chunks(store, job))
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"task {job_id} is {current}; its digits are served once it is SUCCESS "
            f"(poll /tasks/{job_id})",
        )
    text = _stored_text(store, job, of)
    if text is None:
        # Only damage from outside does this: the files are written before the SUCCESS.
        what = "digits are" if of is DigitsPart.RESULT else f"certificate's {of} bound is"
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"task {job_id} is SUCCESS but its stored {what} missing from the state "
            "dir (removed or damaged from outside the service); submit the task again",
        )
    name = f"pi-{job.digits}-{job_id}.txt" if of is DigitsPart.RESULT else f"pi-{of}-{job_id}.txt"
    return StreamingResponse(
        _pieces(text + "\n"),
        media_type="text/plain; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _stored_text(store: JobStore, job: JobRecord, part: DigitsPart) -> str | None:
    if part is DigitsPart.RESULT:
        return store.digits(job)
    certificate = job.certificate
    if certificate is None:
        return None
    if certificate.bounds_cut is None:
        return certificate.lower if part is DigitsPart.LOWER else certificate.upper
    bounds = store.bounds(job.id)
    if bounds is None:
        return None
    return bounds[0] if part is DigitsPart.LOWER else bounds[1]
