"""The methods this service computes by, with their caps under its settings."""

from fastapi import APIRouter

from api import errors
from api.auth import ReaderDep
from api.schemas.tasks import MethodPublic
from pipeline.methods import METHODS

router = APIRouter(tags=["tasks"])


@router.get(
    "/methods",
    response_model=list[MethodPublic],
    dependencies=[ReaderDep],
    responses=errors.READ,
)
def list_methods() -> list[MethodPublic]:
    """Every method a task can ask for (`"method"` in POST /tasks), with its digit cap."""
    return [
        MethodPublic(
            name=method.name,
            label=method.label,
            description=method.description,
            max_digits=method.max_digits(),
            cap_setting=method.cap_setting,
            convergence_axis=method.convergence_axis,
        )
        for method in METHODS.values()
    ]
