# Two commands on a fresh clone: `make run` and `make test`. Everything else is set up here.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PIP_VERSION := 26.3

.PHONY: install run sync test lint soak bench references clean postgres

# PIP_CONSTRAINT also pins the build backend pip fetches for the editable install.
$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	PIP_CONSTRAINT=constraints.txt $(BIN)/python -m pip install -q pip==$(PIP_VERSION)
	PIP_CONSTRAINT=constraints.txt $(BIN)/python -m pip install -q -e '.[test]'
	@touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/marketbot run

sync: install
	$(BIN)/marketbot sync

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check --quiet .
	$(BIN)/lint-imports --no-cache

# The server-store tests start a real PostgreSQL (tests/pg_server.py): as root, install
# Debian's package when its initdb is missing; otherwise say what to install and stop.
postgres: install
	@$(BIN)/python -m tests.pg_server --require

test: install lint postgres
	$(BIN)/python -m pytest -q

soak: install postgres
	$(BIN)/python -m pytest -q -m soak -p no:cacheprovider -o addopts=""

bench: install
	$(BIN)/python -m bench

references: install
	$(BIN)/python -m tests.analytics.charts.make_references

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
