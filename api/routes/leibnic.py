"""The seed's submission endpoint, kept with its original spelling."""

from typing import Annotated

from fastapi import APIRouter, Path, status

from api import errors
from api.schemas.tasks import TaskCreated
from api.submission import REPLAYED, SubmissionDep, submit_job
from pipeline.methods.leibniz.method import LEIBNIZ

router = APIRouter(tags=["tasks"])


@router.get(
    "/leibnic/{digits}",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=TaskCreated,
    responses={**errors.SUBMIT, **REPLAYED},
)
async def leibnic(
    digits: Annotated[int, Path(ge=0, description="Decimals of pi wanted")],
    submission: SubmissionDep,
) -> TaskCreated:
    """Start a `leibniz` task (the seed's API); poll `/tasks/{id}` for it."""
    return await submit_job(submission, LEIBNIZ.name, digits)
