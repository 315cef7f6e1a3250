"""Figures the tests measure (recovery times, the chaos soak, container timings), printed in one
section at the end of the run.

Tests run in several processes (pytest-xdist, `make test`), whose own output is not shown: a
worker's figures travel to the controlling process with its session's end.
"""

from collections.abc import Callable
from typing import Any

import pytest

FIGURES = pytest.StashKey[list[str]]()
_WORKER_OUTPUT_KEY = "pichord_figures"


def figures_of(config: pytest.Config) -> list[str]:
    return config.stash.setdefault(FIGURES, [])


@pytest.fixture(scope="session")
def figure(pytestconfig: pytest.Config) -> Callable[[str], None]:
    """Record one line for the "figures" section of the run's summary."""
    return figures_of(pytestconfig).append


def pytest_sessionfinish(session: pytest.Session) -> None:
    output: dict[str, Any] | None = getattr(session.config, "workeroutput", None)
    if output is not None:
        output[_WORKER_OUTPUT_KEY] = figures_of(session.config)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    figures_of(node.config).extend(getattr(node, "workeroutput", {}).get(_WORKER_OUTPUT_KEY, []))


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    lines = figures_of(config)
    if lines:
        terminalreporter.section("figures")
        for line in lines:
            terminalreporter.write_line(line)
