# The same targets for people and CI.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test test-containers lint docs docs-serve unit integration bench load clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## Start supervisord in the foreground: the API on 127.0.0.1:8000 and one worker,
## on the embedded broker unless PICHORD_BROKER_URL is set.
run: install
	$(BIN)/pichord serve

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

## The documentation site from docs/ into var/site/; --strict fails on a broken link or
## anchor, a page left out of the nav, or a warning of any kind.
docs: install
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

docs-serve: install
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs serve --dev-addr 127.0.0.1:8001

unit: install
	$(BIN)/pytest -m "not integration"

integration: install
	$(BIN)/pytest -m integration

## Two test processes (pytest-xdist), a test file each at a time: most tests wait on the
## processes they start. The slowest tests' times and the figures tests measure are printed
## at the end (docs/development.md).
test: lint docs
	$(BIN)/pytest -n 2 --dist loadfile --durations=25

## The compose stack on a Docker engine (tests/ops/test_containers.py; also part of `test`).
## Needs an engine and the base images: .ci/run starts and makes them.
test-containers: install
	$(BIN)/pytest -m containers

bench: install
	$(BIN)/python bench/kernel.py
	$(BIN)/python bench/jobs.py
	$(BIN)/python bench/euler.py
	$(BIN)/python bench/cf.py
	$(BIN)/python bench/backends.py
	$(BIN)/python bench/scaling.py
	$(BIN)/python bench/polling.py
	$(BIN)/python bench/listing.py
	$(BIN)/python bench/fairness.py

## 200 pollers and a stream of submissions for 60 s (loopback); run by hand.
load: install
	$(BIN)/python bench/load.py

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
