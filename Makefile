# The documented entry points. Each target sets itself up from nothing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PORT_API ?= 8000
PORT_AWS ?= 4566

.PHONY: help dev run reset test lint typecheck unit integration bench clean synth deploy

help:
	@echo "make run    - start Hadir locally (embedded AWS on 127.0.0.1:$(PORT_AWS), API on 127.0.0.1:$(PORT_API))"
	@echo "make test   - every check: ruff, mypy, pytest (unit + integration)"
	@echo "make reset  - forget the local state (next 'make run' seeds anew)"
	@echo "make bench  - benchmarks, figures in bench/results/"
	@echo "make synth  - synthesise the CDK app (infra/); make deploy STAGE=dev|prod deploys it"

# Two layers: what running the system needs (make run), then the test and deployment tools (make test, synth,
# deploy). A newcomer's first `make run` does not wait for the CDK toolchain.
RUN_STAMP := $(VENV)/.run-installed-stamp

$(RUN_STAMP): requirements.txt requirements-run.txt pyproject.toml
	@test -d $(VENV) || $(PYTHON) -m venv $(VENV) || (apt-get update -qq && apt-get install -y -qq python3-venv && $(PYTHON) -m venv $(VENV))
	$(BIN)/python -m pip install -q --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements-run.txt
	$(BIN)/python -m pip install -q --disable-pip-version-check --no-deps -e .
	@touch $@

$(STAMP): $(RUN_STAMP) requirements-dev.txt infra/requirements.txt
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	$(BIN)/python -m pip install -q --disable-pip-version-check -r infra/requirements.txt
	@touch $@

# The on-premise bridge is its own package; it is installed into the same venv for its tests.
BRIDGE_STAMP := $(VENV)/.bridge-installed-stamp

$(BRIDGE_STAMP): $(STAMP) bridge/requirements.txt bridge/pyproject.toml
	$(BIN)/python -m pip install -q --disable-pip-version-check -r bridge/requirements.txt
	$(BIN)/python -m pip install -q --disable-pip-version-check --no-deps -e bridge
	@touch $@

dev: $(STAMP) $(BRIDGE_STAMP)

run: $(RUN_STAMP)
	$(BIN)/hadir run --api-port $(PORT_API) --aws-port $(PORT_AWS)

reset: $(RUN_STAMP)
	$(BIN)/hadir reset

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP) $(BRIDGE_STAMP)
	$(BIN)/mypy
	$(BIN)/mypy bridge/hadir_bridge

unit: $(STAMP)
	$(BIN)/pytest tests/unit

integration: $(STAMP)
	$(BIN)/pytest tests/integration tests/contract

# The browser tests drive Debian's Chromium (tests/browser): installed once from the distribution, never at test time.
CHROMIUM_STAMP := $(VENV)/.chromium-stamp
SUDO := $(shell test "$$(id -u)" -eq 0 || echo sudo)

$(CHROMIUM_STAMP): $(STAMP)
	command -v chromium >/dev/null || ($(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium)
	@touch $@

# Both cores: one worker per core, each test file whole on one worker (module fixtures, one Chromium per worker).
test: lint typecheck $(CHROMIUM_STAMP)
	$(BIN)/pytest -n 2 --dist loadfile --durations=10

bench: $(STAMP)
	$(BIN)/python -m bench

# Deployment (infra/, CDK v2). Synthesis needs no AWS account; deploy needs credentials for the target account.
STAGE ?=
PEMDA ?= Kabupaten Contoh
ZONE ?= Asia/Jakarta
ALARM_EMAIL ?=
# BPKAD's address: told by e-mail when a month's finance files are ready (CSV and XLSX, console's Keuangan).
FINANCE_EMAIL ?=
ACCOUNT ?=
CDK := CDK_DISABLE_CLI_TELEMETRY=true npx --yes aws-cdk@2.1148.1
INFRA_ARGS = stage=$(STAGE) pemda="$(PEMDA)" zone=$(ZONE) alarm_email=$(ALARM_EMAIL) finance_email=$(FINANCE_EMAIL) account=$(ACCOUNT)

synth: $(STAMP)
	rm -rf infra/cdk.out
	cd infra && ../$(BIN)/python app.py $(INFRA_ARGS)

deploy: $(STAMP)
	@test -n "$(STAGE)" || { echo 'usage: make deploy STAGE=dev|prod PEMDA="..." ZONE=Asia/Jakarta ALARM_EMAIL=... FINANCE_EMAIL=...' >&2; exit 2; }
	rm -rf infra/cdk.out
	cd infra && ../$(BIN)/python app.py $(INFRA_ARGS)
	cd infra && $(CDK) deploy --app cdk.out hadir-$(STAGE) --require-approval broadening

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache
