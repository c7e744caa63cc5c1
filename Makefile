# The two commands a newcomer needs (see README): `make health` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
LAB    := $(PY) -m devops_envs.local
STAMP  := $(VENV)/.installed

.PHONY: health test unit lab-up lab-down lab-status lab-reset lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -U pip
	$(PY) -m pip install -q --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

# Install everything, start the local lab, run every applicable health check, print the summary.
health: $(STAMP) lab-up
	$(VENV)/bin/fuel-health run

# The project's own tests, then the whole suite against the local lab (what CI runs).
test: $(STAMP) lab-up
	$(VENV)/bin/pytest -p no:cacheprovider tests fuel_health/tests

unit: $(STAMP)
	$(VENV)/bin/pytest tests/unit

lab-up: $(STAMP)
	$(LAB) up

lab-down: $(STAMP)
	$(LAB) down

lab-status: $(STAMP)
	$(LAB) status

lab-reset: $(STAMP)
	$(LAB) reset

lint: $(STAMP)
	$(VENV)/bin/ruff check .

bench: $(STAMP) lab-up
	$(PY) -m benchmarks

clean:
	rm -rf $(VENV) reports .pytest_cache
