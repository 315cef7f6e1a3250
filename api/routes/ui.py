"""The dashboard page: static HTML, CSS and JavaScript modules shipped in the package, no
build step; the form asks GET /methods for this service's methods and caps."""

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

STATIC = Path(__file__).resolve().parents[1] / "static"

router = APIRouter(include_in_schema=False)


@router.get("/ui")
def dashboard() -> FileResponse:
    return FileResponse(STATIC / "index.html", media_type="text/html")
