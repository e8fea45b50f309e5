# Two set-up commands: `make run` and `make test`. Each (re)creates .venv from the lock files
# whenever the venv is missing or a lock file is newer than the last install.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run test demo lint bench lock clean

run: $(VENV)/.installed-run
	$(PY) main.py

test: lint
	$(PY) -m pytest -n auto $(PYTEST_ARGS)

# The bot at work in a minute, offline and without a token: the real `python main.py` against the fakes of the
# tests, one scripted user (ARGS=--interactive: type links yourself); the files it sent land in demo-output/.
demo: $(VENV)/.installed-dev
	$(PY) -m tests.demo $(ARGS)

# The gates `make test` runs first: ruff (pyproject.toml's rule set) and mypy (strict) on the product code.
lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

# The benchmark harness (benchmarks/README.md): the real bot against the offline world, shaped; a few minutes.
bench: $(VENV)/.installed-dev
	$(PY) -m benchmarks $(BENCH_ARGS)

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed-run: requirements.lock | $(VENV)/bin/python
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements.lock
	touch $@

$(VENV)/.installed-dev: requirements-dev.lock | $(VENV)/bin/python
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements-dev.lock
	touch $@ $(VENV)/.installed-run

# Re-pin the whole tree after editing pyproject.toml (needs the dev install for uv).
lock: $(VENV)/.installed-dev
	$(VENV)/bin/uv pip compile pyproject.toml --python-version 3.11 --generate-hashes --quiet -o requirements.lock
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev --python-version 3.11 --generate-hashes --quiet -o requirements-dev.lock

clean:
	rm -rf $(VENV) .pytest_cache demo-output
