"""MkDocs hook: the API reference is rendered from the app's own OpenAPI schema, written
before each build, so it can never drift from the routes."""

import json
from pathlib import Path
from typing import Any

from api.main import create_app

SCHEMA = Path("var/docs/openapi.json")


def on_pre_build(config: Any) -> None:
    SCHEMA.parent.mkdir(parents=True, exist_ok=True)
    SCHEMA.write_text(json.dumps(create_app().openapi(), indent=1))
