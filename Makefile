# smo — the two commands: `make run` and `make test`. Everything they need is installed here.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
TOOLS_BIN := $(CURDIR)/.tools/node_modules/.bin
export PATH := $(TOOLS_BIN):$(CURDIR)/$(VENV)/bin:$(PATH)
export REFLEX_USE_SYSTEM_BUN := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run run-prod-local test bench deps dev-deps js-tools browser migrate seed lint clean

## run: install, migrate, seed the demo shop, start the web app (:3000) and the bot sidecar
run: deps js-tools
	@bash scripts/run.sh

## run-prod-local: the production topology on this machine (PostgreSQL, Redis, WORKERS=2 web workers, two sidecars)
run-prod-local: deps js-tools
	@bash scripts/run_prod_local.sh

## test: install everything plus test tools, then run the whole suite
test: dev-deps js-tools browser
	@bash scripts/test.sh

## bench: the benchmarks under bench/ (figures as ratios against a floor measured in the same run)
bench: dev-deps js-tools browser
	@$(PY) scripts/bench.py

deps: $(VENV)/.deps
dev-deps: $(VENV)/.dev-deps
js-tools: .tools/.installed

# Packages are installed by uv (pinned here; it takes the same pinned versions as pip, in seconds
# rather than a minute and a half); where uv cannot reach the index, pip does the same install.
UV_VERSION := 0.13.8
UV := $(VENV)/bin/uv
PIP_INSTALL = { UV_NATIVE_TLS=1 $(UV) pip install --python $(PY) -q -r $(1) || $(PY) -m pip install -q -r $(1); }

$(VENV)/.deps: requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@test -x $(UV) || $(PY) -m pip install -q uv==$(UV_VERSION) || true
	@$(call PIP_INSTALL,requirements.txt)
	@touch $@

$(VENV)/.dev-deps: requirements-dev.txt $(VENV)/.deps
	@$(call PIP_INSTALL,requirements-dev.txt)
	@touch $@

# Reflex needs Node >= 22.22 and bun >= 1.4.4; both come from the npm registry (TOOLCHAIN.md).
.tools/.installed:
	@mkdir -p .tools
	npm install --prefix .tools --no-audit --no-fund --loglevel=error bun@1.4.4 node@22
	@touch $@

# Debian's Chromium for the end-to-end tests (never `playwright install`).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; }

migrate: deps
	$(PY) -m smo_app.cli migrate

seed: deps
	SMO_DEMO=1 $(PY) -m smo_app.cli seed-demo

clean:
	rm -rf .web .states var/*.db test-artifacts
