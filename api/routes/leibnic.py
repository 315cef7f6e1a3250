"""The seed's submission endpoint, kept with its original spelling."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response, status

from api import errors
from api.admission import admit_submission
from api.auth import WriterDep
from api.deps import StoreDep, SubmitterDep
from api.routes.tasks import start_job
from api.schemas import TaskCreated
from pipeline.methods.leibniz.method import LEIBNIZ

router = APIRouter(tags=["tasks"])


@router.get(
    "/leibnic/{digits}",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=TaskCreated,
    dependencies=[WriterDep, Depends(admit_submission)],
    responses=errors.SUBMIT,
)
def leibnic(
    digits: Annotated[int, Path(ge=0, description="Decimals of pi wanted")],
    submitter: SubmitterDep,
    store: StoreDep,
    response: Response,
) -> TaskCreated:
    """Start a `leibniz` task (the seed's API); poll `/tasks/{id}` for it."""
    return start_job(submitter, store, LEIBNIZ.name, digits, response)
