"""Prometheus metrics of the host, the jobs, the fleet, the queue and the HTTP requests."""

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST

from api import errors
from api.auth import HostReaderDep
from api.deps import MetricsDep

router = APIRouter(tags=["health"])


@router.get(
    "/metrics",
    response_class=Response,
    dependencies=[HostReaderDep],
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}, **errors.READ},
)
def metrics(service_metrics: MetricsDep) -> Response:
    """Prometheus text format."""
    return Response(service_metrics.exposition(), media_type=CONTENT_TYPE_LATEST)
