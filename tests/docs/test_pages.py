"""The documentation site names every setting and every benchmark script."""

import re
from pathlib import Path

from config import Settings

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"
# Helpers of the benchmarks, not benchmarks of their own.
BENCH_HELPERS = {"service.py"}


def test_every_setting_has_a_row_on_the_settings_page() -> None:
    page = DOCS / "operations" / "settings.md"
    # The table's first column names the variables without their PICHORD_ prefix.
    rows = [line for line in page.read_text().splitlines() if line.startswith("| `")]
    named = {name for row in rows for name in re.findall(r"`([A-Z0-9_]+)`", row.split("|")[1])}
    missing = sorted(name.upper() for name in Settings.model_fields if name.upper() not in named)
    assert missing == [], f"PICHORD_{missing[0]} is not documented in {page.name}"


def test_every_benchmark_script_is_on_the_benchmarks_page() -> None:
    text = (DOCS / "benchmarks.md").read_text()
    scripts = sorted(p.name for p in (REPO / "bench").glob("*.py") if p.name not in BENCH_HELPERS)
    missing = [
        name for name in scripts if f"`bench/{name}`" not in text and f"`{name}`" not in text
    ]
    assert missing == [], f"bench/{missing[0]} is not described in docs/benchmarks.md"
