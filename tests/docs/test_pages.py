"""The documentation site names every setting and every benchmark script."""

import re
from pathlib import Path

from config import Settings
from pipeline.methods import METHODS

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"
# Helpers of the benchmarks, not benchmarks of their own.
BENCH_HELPERS = {"service.py"}


SETTINGS_PAGE = DOCS / "operations" / "settings.md"


def documented_settings() -> set[str]:
    """The variables the settings page's tables name (without their PICHORD_ prefix)."""
    rows = [line for line in SETTINGS_PAGE.read_text().splitlines() if line.startswith("| `")]
    return {name for row in rows for name in re.findall(r"`([A-Z0-9_]+)`", row.split("|")[1])}


def test_every_setting_has_a_row_on_the_settings_page() -> None:
    named = documented_settings()
    missing = sorted(name.upper() for name in Settings.model_fields if name.upper() not in named)
    assert missing == [], f"PICHORD_{missing[0]} is not documented in {SETTINGS_PAGE.name}"


def test_every_method_setting_has_a_row_on_the_settings_page() -> None:
    named = documented_settings()
    variables = [v for m in METHODS.values() for v in m.settings_model.variables()]
    assert all(v.startswith("PICHORD_") for v in variables)
    missing = [v for v in variables if v.removeprefix("PICHORD_") not in named]
    assert missing == [], f"{missing[0]} is not documented in {SETTINGS_PAGE.name}"


def test_every_benchmark_script_is_on_the_benchmarks_page() -> None:
    text = (DOCS / "benchmarks.md").read_text()
    scripts = sorted(p.name for p in (REPO / "bench").glob("*.py") if p.name not in BENCH_HELPERS)
    missing = [
        name for name in scripts if f"`bench/{name}`" not in text and f"`{name}`" not in text
    ]
    assert missing == [], f"bench/{missing[0]} is not described in docs/benchmarks.md"


def test_every_method_folder_has_the_files_the_adding_page_lists() -> None:
    rows = (DOCS / "methods" / "adding.md").read_text().splitlines()
    listed = [m.group(1) for row in rows if (m := re.match(r"\| `(\w+\.py)` \|", row))]
    assert "method.py" in listed and "view.py" in listed
    folders = [REPO / "pipeline" / "methods" / m.replace("-", "_") for m in METHODS]
    folders.append(REPO / "tests" / "pipeline" / "methods" / "toy")
    missing = [f"{f.name}/{name}" for f in folders for name in listed if not (f / name).is_file()]
    assert missing == []
