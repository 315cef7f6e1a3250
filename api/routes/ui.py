"""The dashboard page: static HTML, CSS and JavaScript shipped in the package, no build step."""

from pathlib import Path
from string import Template

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from api.deps import SettingsDep

STATIC = Path(__file__).resolve().parents[1] / "static"

router = APIRouter(include_in_schema=False)


@router.get("/ui", response_class=HTMLResponse)
def dashboard(settings: SettingsDep) -> HTMLResponse:
    # The form shows this service's own digit caps.
    page = Template((STATIC / "index.html").read_text(encoding="utf-8")).substitute(
        leibniz_max=settings.leibniz_max_digits, euler_max=settings.euler_max_digits
    )
    return HTMLResponse(page)
