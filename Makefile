# smsportal: `make run` starts everything on a fresh machine; `make test` runs the whole suite.
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
SMSC_PORT ?= 2775

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

# Everything in one terminal: web, Celery worker, Celery beat, SMSC simulator, SMPP connector.
# No database or broker server needed: SQLite and a filesystem broker under var/.
run: install
	DEBUG=true $(BIN)/python manage.py migrate --noinput -v 0
	DEBUG=true $(BIN)/python manage.py seed_demo --smsc-port $(SMSC_PORT)
	@echo ""
	@echo "  smsportal is starting:"
	@echo "    website    http://127.0.0.1:$(PORT)/          demo@example.com / demo-pass-2026"
	@echo "    staff      http://127.0.0.1:$(PORT)/admin/    admin@example.com / admin-pass-2026"
	@echo "    API        http://127.0.0.1:$(PORT)/api/v1/   key: $(BIN)/python manage.py issue_api_key demo@example.com"
	@echo "    SMSC sim   127.0.0.1:$(SMSC_PORT) (SMPP 3.4)"
	@echo "    database   $${DATABASE_URL:-SQLite file var/smsportal.sqlite3}" | sed -E 's#//[^@/]*@#//***@#'
	@echo "    broker     $${CELERY_BROKER_URL:-filesystem, under var/broker/}" | sed -E 's#//[^@/]*@#//***@#'
	@echo "  Staff: the first admin login asks you to set up an authenticator app (TOTP)."
	@echo "  Ctrl-C stops everything."
	@echo ""
	DEBUG=true WEB_PORT=$(PORT) SMSC_PORT=$(SMSC_PORT) $(BIN)/honcho start -f Procfile

# The whole suite against real PostgreSQL and Redis (DATABASE_URL / CELERY_BROKER_URL override).
test: install-dev
	$(BIN)/pytest -n 2 -p no:cacheprovider

test-fast: install-dev
	$(BIN)/pytest -x -q -m "not e2e"

# Benchmarks (bench/README.md); e.g. make bench BENCH_ARGS="--only dispatch --n dispatch=5000"
bench: install-dev
	$(BIN)/python bench/run.py $(BENCH_ARGS)

check: install-dev
	DEBUG=false SECRET_KEY=$$(head -c 48 /dev/urandom | base64) ALLOWED_HOSTS=sms.example.com \
	  $(BIN)/python manage.py check --deploy --fail-level WARNING

clean:
	rm -rf var
