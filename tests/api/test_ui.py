"""The dashboard's page and the convergence endpoint it plots, in process."""

import math
from pathlib import Path

from fastapi.testclient import TestClient

from api.main import create_app
from api.routes.ui import STATIC
from config import Settings
from pipeline.methods.leibniz.models import LeibnizChunk
from storage import ChunkRecord, JobStatus, JobStore
from tests.conftest import MethodEnv


def test_page_ships_its_assets_and_methods_show_this_services_caps(
    state_dir: Path, method_env: MethodEnv
) -> None:
    settings = Settings(state_dir=state_dir)
    method_env(
        PICHORD_LEIBNIZ_MAX_DIGITS="7", PICHORD_EULER_MAX_DIGITS="900", PICHORD_CF_MAX_DIGITS="5000"
    )
    with TestClient(create_app(settings)) as client:
        page = client.get("/ui")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert '<script type="module" src="/ui/static/app.js">' in page.text
        for asset in STATIC.glob("*.js"):
            served = client.get(f"/ui/static/{asset.name}")
            # Browsers run a module only when it is served as JavaScript.
            assert served.headers["content-type"].startswith("text/javascript"), asset.name
        assert "/ui" not in client.get("/openapi.json").json()["paths"]
        caps = {m["name"]: m["max_digits"] for m in client.get("/methods").json()}
        assert caps == {"leibniz": 7, "leibniz-euler": 900, "leibniz-cf": 5000}


def test_convergence_brackets_pi_after_each_prefix(state_dir: Path) -> None:
    with TestClient(create_app(Settings(state_dir=state_dir))) as client:
        job_id = client.post("/tasks", json={"digits": 3}).json()["id"]
        store = JobStore(state_dir)
        spec = store.get(job_id).chunks[0]
        quarter = sum((-1) ** k / (2 * k + 1) for k in range(1000))
        store.save_chunk(
            job_id,
            ChunkRecord(
                index=0,
                start=spec.start,
                stop=spec.stop,
                terms_done=1000,
                details=LeibnizChunk(partial=quarter).dumped(),
            ),
        )
        [point] = client.get(f"/tasks/{job_id}/convergence").json()
        assert point["terms"] == 1000
        assert point["lower"] < math.pi < point["upper"]
        assert math.isclose(point["upper"] - point["lower"], 4 / 2001)
        store.save_chunk(
            job_id,
            ChunkRecord(
                index=0,
                start=spec.start,
                stop=spec.stop,
                terms_done=spec.terms,
                details=LeibnizChunk(partial=quarter).dumped(),
                status=JobStatus.SUCCESS,
            ),
        )
        assert len(client.get(f"/tasks/{job_id}/convergence").json()) == 1
        missing = client.get("/tasks/00000000-0000-4000-8000-000000000000/convergence")
        assert missing.status_code == 404
