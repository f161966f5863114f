# Two commands on a fresh machine: `make run` serves, `make test` runs lint and the whole suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
TEST_POSTGRES_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
PYTEST_ARGS ?=
# One pytest worker per core; each has its own databases (tests/databases.py).
PYTEST_WORKERS ?= 2

RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev
PIP_INSTALL := $(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt

.PHONY: run install install-dev test test-sqlite test-postgres fuzz bench load lint format lock clean

run: $(RUN_STAMP)
	$(BIN)/caucus db upgrade
	$(BIN)/caucus load-reference
	$(BIN)/caucus create-admin --bootstrap
	$(BIN)/caucus serve --host $(HOST) --port $(PORT)

install: $(RUN_STAMP)

install-dev: $(DEV_STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(RUN_STAMP): pyproject.toml constraints.txt | $(BIN)/python
	$(PIP_INSTALL) -e .
	touch $@

$(DEV_STAMP): pyproject.toml constraints.txt | $(BIN)/python
	$(PIP_INSTALL) -e '.[dev]'
	touch $@ $(RUN_STAMP)

test: $(DEV_STAMP)
	$(MAKE) lint
	$(MAKE) test-sqlite
	$(MAKE) test-postgres

test-sqlite: $(DEV_STAMP)
	CAUCUS_TEST_DATABASE_URL=sqlite:// $(BIN)/pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

test-postgres: $(DEV_STAMP)
	CAUCUS_TEST_DATABASE_URL=$(TEST_POSTGRES_URL) $(BIN)/pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

# A longer fuzzing run than `make test`'s, with new cases each time and every boundary case, on
# both engines.
FUZZ_EXAMPLES ?= 200
fuzz: $(DEV_STAMP)
	CAUCUS_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) CAUCUS_FUZZ_RANDOM=1 CAUCUS_FUZZ_CASES_PER_PROBE=0 $(MAKE) test-sqlite test-postgres PYTEST_ARGS="tests/test_fuzz.py $(PYTEST_ARGS)"

# Write load with faults (bench/WRITE_LOAD.md): each engine without a fault and with the server
# killed mid-load, then PostgreSQL restarted mid-load; every run checks what it acknowledged.
# Each builds its own database (bench/.data/, PostgreSQL `caucus_load`); results in bench/results/.
LOAD_WRITERS ?= 32
LOAD_SECONDS ?= 60
LOAD := $(BIN)/python bench/write_load.py --writers $(LOAD_WRITERS) --seconds $(LOAD_SECONDS)
LOAD_RUNS := sqlite:none postgresql:none sqlite:sigkill postgresql:sigkill postgresql:pg-restart
# Every run is made even if one fails; the target fails if any did.
load: $(DEV_STAMP)
	@failed=0; for run in $(LOAD_RUNS); do \
		$(LOAD) --engine $${run%%:*} --fault $${run#*:} || failed=1; \
	done; exit $$failed

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy app

format: $(DEV_STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Throughput and latency per endpoint against a bare FastAPI endpoint (bench/README.md).
# `make bench` runs 10k and 100k on both engines; `make bench N=1000000 ENGINE=postgresql`.
N ?= 10000 100000
ENGINE ?= sqlite postgresql
BENCH_DURATION ?= 10
BENCH_ARGS ?=
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
bench: $(RUN_STAMP)
	@command -v wrk >/dev/null || $(SUDO) sh -c \
		'apt-get install -y wrk || { apt-get update && apt-get install -y wrk; }'
	for engine in $(ENGINE); do for n in $(N); do \
		$(BIN)/python bench/run.py --engine $$engine --n $$n --duration $(BENCH_DURATION) \
			$(BENCH_ARGS) || exit 1; \
	done; done

# Re-resolve every dependency to its newest allowed version and pin the result.
lock:
	rm -rf .lock-venv
	$(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	.lock-venv/bin/python -m pip freeze --exclude-editable > constraints.txt
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
