# spillover: two commands on a fresh machine.
#   make run   creates .venv, installs spillover, builds its daily step for this machine
#              (`spillover warmup`, once) and runs the built-in scenario
#   make test  creates .venv, installs spillover with its test tools, lints and tests, then
#              builds the wheel and tests it without extras in a fresh venv (test-core)
# Both install the versions pinned in constraints.txt (the ones the tests pass with).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
CONSTRAINTS := constraints.txt
CORE := build/core-venv
RUNS ?= 2000
SEED ?= 20230801

.PHONY: run test test-core lint bench bench-peers bench-cli constraints clean

$(VENV)/.installed: pyproject.toml $(CONSTRAINTS)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip -c $(CONSTRAINTS)
	$(PY) -m pip install --quiet -c $(CONSTRAINTS) -e '.[all,dev]'
	touch $@

run: $(VENV)/.installed
	$(VENV)/bin/spillover warmup
	$(VENV)/bin/spillover run nk-russia-2023 --runs $(RUNS) --seed $(SEED)

lint: $(VENV)/.installed
	$(PY) -m ruff check src tests benchmarks scripts
	$(VENV)/bin/lint-imports
	$(PY) -m mypy

test: lint
	$(VENV)/bin/spillover warmup
	$(PY) -m pytest -q -m "not slow" -n 2 --doctest-modules src/spillover tests
	$(MAKE) test-core

# The core install (`pip install spillover`, no extras: no SALib, FastAPI, Dask, nor click):
# build the wheel, install it with only pytest beside it in a fresh venv, and run the command
# line's error paths and a small run there. pip's cache makes the install quick after the first.
test-core: $(VENV)/.installed
	rm -rf build
	$(PY) -m pip wheel --quiet --no-deps -w build/wheel .
	$(PYTHON) -m venv $(CORE)
	$(CORE)/bin/python -m pip install --quiet --upgrade pip -c $(CONSTRAINTS)
	$(CORE)/bin/python -m pip install --quiet -c $(CONSTRAINTS) build/wheel/spillover-*.whl pytest pytest-timeout
	SPILLOVER_CORE_ONLY=1 $(CORE)/bin/python -m pytest -q -p no:cacheprovider tests/test_core_only.py

# Rewrite constraints.txt from what .venv holds (after changing pyproject.toml's ranges).
constraints: $(VENV)/.installed
	{ sed -n '1,2p' $(CONSTRAINTS); echo "pip==$$($(PY) -m pip --version | cut -d' ' -f2)"; \
	  $(PY) -m pip freeze --exclude-editable | grep '==' ; } > $(CONSTRAINTS).new
	mv $(CONSTRAINTS).new $(CONSTRAINTS)

bench: $(VENV)/.installed
	$(VENV)/bin/spillover warmup
	PYTHONPATH=. $(PY) benchmarks/run.py

bench-cli: $(VENV)/.installed
	PYTHONPATH=. $(PY) benchmarks/bench_cli.py

$(VENV)/.bench: $(VENV)/.installed
	$(PY) -m pip install --quiet -c $(CONSTRAINTS) -e '.[all,dev,bench]'
	touch $@

bench-peers: $(VENV)/.bench
	$(VENV)/bin/spillover warmup
	PYTHONPATH=. $(PY) benchmarks/peers/run.py

clean:
	rm -rf $(VENV) build runs .pytest_cache src/spillover/engine/_prebuilt
