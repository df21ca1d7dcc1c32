# Two commands matter: `make run` and `make test`. Both start with `make setup`,
# which is idempotent: it only redoes a step whose inputs changed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000
FLASK  := $(BIN)/flask --app wsgi

.PHONY: setup run test demo translations extract-messages db-upgrade lint format clean audit

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.requirements: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.requirements-dev: requirements-dev.txt requirements.txt | $(VENV)/.requirements
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

translations: $(VENV)/.requirements
	$(BIN)/pybabel compile -d translations

db-upgrade: $(VENV)/.requirements
	$(FLASK) db upgrade

setup: $(VENV)/.requirements translations db-upgrade

demo: setup
	$(FLASK) lms demo

# The web server and a job worker together (the worker sends email, reminders, exports).
run: demo
	$(FLASK) lms serve --host $(HOST) --port $(PORT)

# axe-core for the accessibility tests: fetched once with npm, sha512 checked.
AXE_VERSION := $(shell sed -n 's/^VERSION = "\(.*\)"/\1/p' scripts/fetch_axe.py)
AXE := $(VENV)/axe-core/$(AXE_VERSION)/axe.min.js

$(AXE): scripts/fetch_axe.py | $(BIN)/python
	$(BIN)/python scripts/fetch_axe.py $(VENV)/axe-core

test: setup $(VENV)/.requirements-dev $(AXE)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/bandit -c pyproject.toml -r lms -q
	$(BIN)/pytest

# Static analysis of our code (bandit, offline) and the pinned dependencies against
# known vulnerabilities (pip-audit, needs the network). AUDIT_STRICT=1 also fails when
# a pin could not be looked up.
audit: $(VENV)/.requirements-dev
	$(BIN)/bandit -c pyproject.toml -r lms -q
	$(BIN)/python scripts/audit_dependencies.py requirements.txt requirements-dev.txt

extract-messages: $(VENV)/.requirements
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k ngettext:1,2 -o translations/messages.pot --no-location --sort-output --project "EIP training platform" -w 100 .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching --ignore-obsolete -w 100
	$(BIN)/python scripts/fill_source_catalog.py translations/en/LC_MESSAGES/messages.po

lint: $(VENV)/.requirements-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.requirements-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
