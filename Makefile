# spillover: two commands on a fresh machine.
#   make run   creates .venv, installs spillover and runs the built-in scenario
#   make test  creates .venv, installs spillover with its test tools, lints and tests
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
RUNS ?= 2000
SEED ?= 20230801

.PHONY: run test lint bench bench-peers clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[all,dev]'
	touch $@

run: $(VENV)/.installed
	$(VENV)/bin/spillover run nk-russia-2023 --runs $(RUNS) --seed $(SEED)

lint: $(VENV)/.installed
	$(PY) -m ruff check src tests benchmarks
	$(VENV)/bin/lint-imports
	$(PY) -m mypy

test: lint
	$(PY) -m pytest -q -m "not slow" -n 2 --doctest-modules src/spillover tests

bench: $(VENV)/.installed
	PYTHONPATH=. $(PY) benchmarks/run.py

$(VENV)/.bench: $(VENV)/.installed
	$(PY) -m pip install --quiet -e '.[all,dev,bench]'
	touch $@

bench-peers: $(VENV)/.bench
	PYTHONPATH=. $(PY) benchmarks/peers/run.py

clean:
	rm -rf $(VENV) runs .pytest_cache
