# Two commands for a newcomer: `make run` and `make test`. Both set up .venv first when needed.
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
	2>/dev/null && echo $$p && break; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install run test bench lint typecheck clean

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "eudesk needs Python 3.11 or newer on PATH"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

# First use: migrate and seed the default SQLite database (reference + demo data), then start.
run: install
	$(BIN)/eudesk run --init-demo

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: install
	$(BIN)/python -m bench

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy eudesk tests bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
