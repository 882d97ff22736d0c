# Everything a fresh machine needs: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TESTSTAMP := $(VENV)/.installed-test

.PHONY: demo test test-fast bench sweep lint clean install

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(TESTSTAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/director-tui demo

# the whole suite, on every core (pytest-xdist); tiers by directory: tests/unit, tests/app, tests/e2e;
# then the tests that burn every core on purpose (-m serial: a review under fire), alone
test: $(TESTSTAMP)
	$(BIN)/ruff check director_tui tests
	$(BIN)/lint-imports
	$(BIN)/python -m mypy
	$(BIN)/python -m pytest -q -p no:cacheprovider -n auto -m "not serial"
	$(BIN)/python -m pytest -q -p no:cacheprovider -m serial

# the first tier only: core logic, no app, no generator process (seconds)
test-fast: $(TESTSTAMP)
	$(BIN)/ruff check director_tui tests
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q -p no:cacheprovider -n auto tests/unit

bench: $(TESTSTAMP)
	$(BIN)/python tests/perf/run_all.py

# issue 25's two measures of hostile input: bad command-line values (~2 min) and fault
# kinds made for real (~4 min); each prints its figure and every case that did not end cleanly
sweep: $(TESTSTAMP)
	$(BIN)/python tests/hostile/sweep_inputs.py
	$(BIN)/python tests/hostile/sweep_faults.py

lint: $(TESTSTAMP)
	$(BIN)/ruff check director_tui tests
	$(BIN)/lint-imports
	$(BIN)/python -m mypy

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .bench
