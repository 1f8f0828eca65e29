# `make run`: install, migrate and serve on http://127.0.0.1:5000 (SQLite under instance/).
# `make serve`: production on this machine: migrate, then gunicorn (WORKERS processes, on BIND),
#   the delivery worker and the payments reconciliation as processes of their own, stopped
#   together by Ctrl-C; it needs OPENDVC_SECRET_KEY (docs/deployment.md).
# `make test`: install everything the tests need (Python and Debian packages) and run them all,
# on SQLite and on a throwaway PostgreSQL cluster.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
STAMPS := .stamps
RUN_DEBS := libmagic1 xmlsec1
TEST_DEBS := $(RUN_DEBS) postgresql redis-server poppler-utils softhsm2 chromium clamav-daemon
PO := $(wildcard translations/*/LC_MESSAGES/messages.po)
MO := $(PO:.po=.mo)
export FLASK_APP := wsgi

.PHONY: run serve test install install-test lint translations extract-messages requirements bench clean
.DEFAULT_GOAL := run

$(STAMPS):
	mkdir -p $@

$(BIN)/python:
	python3 -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(STAMPS)/install: requirements.txt pyproject.toml | $(STAMPS) $(BIN)/python
	scripts/system-deps $(RUN_DEBS)
	$(BIN)/pip install -q -r requirements.txt
	$(BIN)/pip install -q --no-deps -e .
	touch $@

$(STAMPS)/install-test: $(STAMPS)/install requirements-test.txt examples/opendvc-backoffice-maildir/pyproject.toml
	scripts/system-deps $(TEST_DEBS)
	$(BIN)/pip install -q -r requirements.txt -r requirements-test.txt
	$(BIN)/pip install -q --no-deps -e examples/opendvc-backoffice-maildir  # the plug-in path, tested
	touch $@

install: $(STAMPS)/install
install-test: $(STAMPS)/install-test

%.mo: %.po
	$(BIN)/pybabel compile -f -i $< -o $@ >/dev/null

translations: $(STAMPS)/install $(MO)

extract-messages: $(STAMPS)/install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k ngettext:1,2 --no-location --sort-output --width=100 -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching --width=100

run: translations
	$(BIN)/flask db upgrade
	$(BIN)/flask pki demo
	OPENDVC_DELIVERY_IN_PROCESS=true $(BIN)/flask run --host 127.0.0.1 --port 5000

WORKERS ?=
BIND ?= 127.0.0.1:5000
RECONCILE_EVERY ?= 300
serve: translations
	$(BIN)/flask db upgrade
	$(if $(WORKERS),WEB_CONCURRENCY=$(WORKERS)) GUNICORN_BIND=$(BIND) RECONCILE_EVERY=$(RECONCILE_EVERY) BIN=$(BIN) deploy/serve

# Recompile the pins: requirements.txt from pyproject.toml's dependencies, requirements-test.txt
# from requirements-test.in. Pins that still fit are kept; to move one on purpose:
#   make requirements COMPILE_ARGS="--upgrade-package flask"
PIP_COMPILE := $(BIN)/pip-compile --quiet --strip-extras --no-emit-index-url --no-emit-find-links $(COMPILE_ARGS)
requirements: $(STAMPS)/install-test
	$(PIP_COMPILE) --output-file=requirements.txt pyproject.toml
	$(PIP_COMPILE) --output-file=requirements-test.txt requirements-test.in

lint: $(STAMPS)/install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

test: install-test translations lint
	$(BIN)/flask catalog check
	$(BIN)/pytest -n 2 -p no:cacheprovider
	scripts/with-postgres $(BIN)/pytest -n 2 -p no:cacheprovider

bench: install-test translations
	$(BIN)/python -m bench.catalog_load
	$(BIN)/python -m bench.search
	$(BIN)/python -m bench.form_render
	$(BIN)/python -m bench.upload_memory
	$(BIN)/python -m bench.signing
	$(BIN)/python -m bench.declaration_check
	$(BIN)/python -m bench.delivery
	$(BIN)/python -m bench.load

# The load test alone (bench/README.md), e.g. the 3-minute runs: make bench-load LOAD_ARGS="--duration 180"
.PHONY: bench-load
bench-load: install-test translations
	$(BIN)/python -m bench.load $(LOAD_ARGS)

clean:
	rm -rf $(VENV) $(STAMPS)
