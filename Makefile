# Pinned Events: `make run` brings the stack up, `make test` runs lint and the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: install run test lint format unit clean bench chaos tools

install: $(STAMP)

$(STAMP): pyproject.toml
	@echo "==> creating the virtualenv and installing dependencies"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --upgrade pip
	@$(BIN)/python -m pip install -q -e '.[dev]'
	@rm -f $(VENV)/.installed-* && touch $@

run: install
	@exec $(BIN)/python -m devstack run

lint: install
	@echo "==> ruff, mypy (strict), import contracts"
	@$(BIN)/ruff check .
	@$(BIN)/ruff format --check .
	@$(BIN)/mypy
	@$(BIN)/lint-imports --no-cache

# Tools the suite drives besides Python: promtool validates deploy/prometheus (Debian's
# prometheus package); Debian's chromium is the browser Playwright drives (a test tool's own
# browser download cannot work here); node_modules holds playwright-core, openapi-typescript
# and tsc at the versions package-lock.json pins.
APT_TOOLS := $(if $(shell command -v promtool),,prometheus) $(if $(wildcard /usr/bin/chromium),,chromium)
NODE_STAMP := node_modules/.installed-$(shell cksum package-lock.json | cut -d' ' -f1)

tools: $(NODE_STAMP)
	@if [ -n "$(strip $(APT_TOOLS))" ]; then \
	  echo "==> installing $(strip $(APT_TOOLS)) (Debian packages)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -qq --no-install-recommends $(APT_TOOLS) >/dev/null; fi

$(NODE_STAMP): package.json package-lock.json
	@echo "==> installing the Node test tools (npm ci)"
	@npm ci --no-audit --no-fund --loglevel=error
	@rm -f node_modules/.installed-* && touch $@

test: lint tools
	@echo "==> pytest: unit tests, then integration tests against real Kafka and PostgreSQL"
	@$(BIN)/pytest

unit: install
	@$(BIN)/pytest tests/unit

format: install
	@$(BIN)/ruff format .
	@$(BIN)/ruff check --fix .

clean:
	rm -rf .stack/run .stack/test .mypy_cache .pytest_cache .ruff_cache

# BENCH_ARGS, e.g. "--backlog 1000000 --soak-seconds 600" for the full issue-6 run.
bench: install
	@$(BIN)/python -m bench $(BENCH_ARGS)

# Faults under load against a stack of its own; CHAOS_ARGS, e.g. "--only kafka".
chaos: install
	@$(BIN)/python -m chaos $(CHAOS_ARGS)
