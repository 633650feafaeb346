# The two quick-start commands: `make demo` and `make test`. Each sets itself up first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_DB ?= al-qaim.db

.PHONY: demo test lint setup clean

demo: $(VENV)/.installed  ## record the al-Qaim 2017 case and show its events
	$(BIN)/timeline --db $(DEMO_DB) import fixtures/al_qaim_2017.jsonl
	$(BIN)/timeline --db $(DEMO_DB) show al-qaim-2017

test: $(VENV)/.installed  ## ruff, mypy, then the whole test-suite
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/pytest

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

clean:
	rm -rf $(VENV) $(DEMO_DB) $(DEMO_DB:.db=.views.db) .pytest_cache .ruff_cache
