# Two commands on a fresh machine: `make demo` and `make test`. Everything else is derived.
PYTHON ?= python3.11
VENV   ?= .venv
PY      = $(VENV)/bin/python
PIP     = $(PY) -m pip install -q --disable-pip-version-check
STAMP   = $(VENV)/.installed

.PHONY: venv lock sbom check-deps demo test test-app test-infra test-external-pg lint bench clean sandbox-tools console browser-tools

# Installs only what the hash-pinned lock files name (one resolution for app, dev and infra), then
# checks the environment is consistent. Runs again only when a lock file changes.
$(STAMP): requirements.lock requirements-dev.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PIP) --require-hashes --no-deps -r requirements.lock
	$(PIP) --require-hashes --no-deps --no-compile -r requirements-dev.lock
	$(PY) -m pip check
	@touch $@

venv: $(STAMP)

# After changing requirements*.txt or infra/pulumi/requirements.txt: `make lock && make venv`.
# The dev lock is resolved first (app + dev + infra together); the deploy and infra locks take
# its versions, so what is tested is what is deployed. Existing pins are kept unless an input
# asks otherwise (CI regenerates and fails on any difference).
LOCK = $(VENV)/bin/uv pip compile --quiet --generate-hashes --python-version 3.11 \
	--python-platform x86_64-manylinux_2_28 --custom-compile-command "make lock"
# A lock file whose content did not change keeps its time, so the venv is not reinstalled.
LOCKS = requirements-dev.lock requirements.lock infra/pulumi/requirements.lock
lock: venv
	@set -e; trap 'for f in $(LOCKS); do rm -f "$$f.prev"; done' EXIT; \
	for f in $(LOCKS); do cp -p "$$f" "$$f.prev"; done; \
	$(LOCK) requirements-dev.txt infra/pulumi/requirements.txt -o requirements-dev.lock; \
	$(LOCK) requirements.txt -c requirements-dev.lock -o requirements.lock; \
	$(LOCK) infra/pulumi/requirements.txt -c requirements-dev.lock -o infra/pulumi/requirements.lock; \
	for f in $(LOCKS); do if cmp -s "$$f" "$$f.prev"; then touch -r "$$f.prev" "$$f"; fi; done

# CycloneDX SBOM of the deploy set: requirements.lock installed alone into a scratch environment
# (licences and the dependency graph come from the installed metadata). Reproducible output (no
# serial number or timestamp), so CI can check the committed file is current.
sbom: venv
	@env=$$(mktemp -d) && trap 'rm -rf "$$env"' EXIT && \
	$(VENV)/bin/uv venv --quiet --python $(PY) "$$env" && \
	VIRTUAL_ENV="$$env" $(VENV)/bin/uv pip install --quiet --require-hashes --no-deps \
		-r requirements.lock && \
	PYTHONWARNINGS=ignore::UserWarning $(VENV)/bin/cyclonedx-py environment \
		--pyproject pyproject.toml --output-reproducible --of JSON -o sbom.cdx.json "$$env/bin/python"

# CI: lock files and SBOM current, the environment consistent, the Functions layout sound.
check-deps: lock sbom
	@git diff --exit-code -- $(LOCKS) sbom.cdx.json \
		|| { echo "lock files or SBOM out of date: run 'make lock sbom' and commit" >&2; exit 1; }
	$(PY) -m pip check
	$(VENV)/bin/azure-functions-doctor doctor --profile deploy --hosting-plan flex-consumption

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

# The browser console (console/): npm packages from its lock; its API types generated from the
# admin API's OpenAPI document (so the type check fails when they drift apart); type-checked and
# bundled by esbuild into console/dist/, rebuilt when a source, the API or the lock changes.
# Served by the app at /api/console/.
CONSOLE_DEPS = console/node_modules/.package-lock.json
CONSOLE_SCHEMA = console/src/schema.gen.d.ts
CONSOLE = console/dist/index.html
$(CONSOLE_DEPS): console/package-lock.json
	npm ci --prefix console --no-audit --no-fund
$(CONSOLE_SCHEMA): $(STAMP) $(CONSOLE_DEPS) $(wildcard shared/api/*.py)
	$(PY) -c "import json; from shared.api.openapi import document; print(json.dumps(document()))" \
		> console/openapi.json
	console/node_modules/.bin/openapi-typescript console/openapi.json -o $@
$(CONSOLE): $(CONSOLE_DEPS) $(CONSOLE_SCHEMA) console/build.mjs console/tsconfig.json \
		$(shell find console/src -type f)
	cd console && node_modules/.bin/tsc -p . && node build.mjs
console: $(CONSOLE)

# Debian's chromium for the console's browser tests (Playwright drives it; it downloads no
# browser of its own). Installed when missing and apt-get is there to install it.
browser-tools:
	@command -v chromium >/dev/null || ! command -v apt-get >/dev/null || \
	  { apt-get update -qq && apt-get install -y -qq chromium; } || \
	  echo "chromium not installed: the console's browser tests are skipped"

demo: venv sandbox-tools $(CONSOLE)
	$(PY) -m tools.demo

test: test-app test-infra

test-app: venv $(AZURITE) sandbox-tools $(CONSOLE) browser-tools
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
	rm -rf $(VENV) .devhost console/dist test-artifacts
