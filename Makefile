# Two commands on a fresh machine: `make demo` and `make test`. Everything else is derived.
PYTHON ?= python3.11
VENV   ?= .venv
PY      = $(VENV)/bin/python
PIP     = $(PY) -m pip install -q --disable-pip-version-check
STAMP   = $(VENV)/.installed

.PHONY: venv demo test test-app test-infra test-external-pg lint bench clean sandbox-tools

$(STAMP): requirements.txt requirements-dev.txt infra/pulumi/requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PIP) -r requirements-dev.txt
	$(PIP) --no-compile -r infra/pulumi/requirements.txt
	@touch $@

venv: $(STAMP)

# Azurite (npm) for the blob tests; the tests start and stop it themselves.
AZURITE = tools/azurite/node_modules/.package-lock.json
$(AZURITE): tools/azurite/package-lock.json
	npm ci --prefix tools/azurite --no-audit --no-fund

# bubblewrap runs repository checks in the local sandbox (else unshare; else checks are
# reported unchecked). Installed when missing and apt-get is there to install it.
sandbox-tools:
	@command -v bwrap >/dev/null || ! command -v apt-get >/dev/null || \
	  { apt-get update -qq && apt-get install -y -qq bubblewrap; } || \
	  echo "bubblewrap not installed: the sandbox falls back to unshare"

demo: venv sandbox-tools
	$(PY) -m tools.demo

test: test-app test-infra

test-app: venv $(AZURITE) sandbox-tools
	$(PY) -m pytest tests

# Microsoft's KQL language service (npm), with which the infra tests check every deployed query.
KQLCHECK = infra/pulumi/kqlcheck/node_modules/.package-lock.json
$(KQLCHECK): infra/pulumi/kqlcheck/package-lock.json
	npm ci --prefix infra/pulumi/kqlcheck --no-audit --no-fund

test-infra: venv $(KQLCHECK)
	cd infra/pulumi && ../../$(PY) -m pytest tests

# The store, tenancy and intake tests again, on a separate PostgreSQL server (Debian's
# `postgresql` package, installed when missing) through DATABASE_URL.
test-external-pg: venv
	.ci/with-external-pg $(PY) -m pytest tests/integration/store tests/integration/intake

lint: venv
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

bench: venv
	$(PY) -m benchmarks

clean:
	rm -rf $(VENV) .devhost
