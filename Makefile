# From Perceptrons to Circuits: `make lab` to learn, `make test` to test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
JOBS ?= 2
NBVAL_SANITIZE := --nbval-sanitize-with tests/nbval_sanitize.cfg

.PHONY: install lab test test-unit test-solutions test-notebooks build solutions bench clean

install: $(STAMP)

# The venv is (re)installed whenever pyproject.toml changes. torch is pinned to 2.13.0 there.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[dev,cluster,hub]"
	touch $(STAMP)

lab: $(STAMP)
	$(BIN)/course lab

test: test-unit test-solutions test-notebooks

test-unit: $(STAMP)
	$(BIN)/python -m pytest -q -n $(JOBS) --dist loadgroup tests

# Full output comparison on the executed solutions; the student versions must run top to bottom.
test-solutions: $(STAMP)
	$(BIN)/python -m pytest -q -n $(JOBS) --dist loadfile --nbval $(NBVAL_SANITIZE) solutions

test-notebooks: $(STAMP)
	$(BIN)/python -m pytest -q -n $(JOBS) --dist loadfile --nbval-lax notebooks

build: $(STAMP)
	$(BIN)/course build

# Re-execute every solution notebook in place (COURSE_STRICT=1), then rebuild the student notebooks.
solutions: $(STAMP)
	$(BIN)/course execute
	$(BIN)/course build

bench: $(STAMP)
	$(BIN)/python benchmarks/notebooks.py
	$(BIN)/python benchmarks/checks.py
	$(BIN)/python benchmarks/grading.py

clean:
	rm -rf $(VENV) *.egg-info benchmarks/results benchmarks/.nbgrader-venv
