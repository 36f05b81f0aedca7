# The two commands of a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: setup demo run test lint clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

## slokit's main job on the embedded default: a live dashboard of the example platforms
demo: setup
	$(BIN)/slokit demo

## check and list the example SLOs, without a server
run: setup
	$(BIN)/slokit validate examples/
	$(BIN)/slokit list examples/

## the whole test suite, then the linters CI runs
test: setup
	$(BIN)/python -m pytest -q
	$(MAKE) --no-print-directory lint

lint: setup
	$(BIN)/ruff check slokit tests
	$(BIN)/ruff format --check slokit tests
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
