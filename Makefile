# Thin verbs: each recipe is one command; the logic lives in Python (asyncgap/, service/).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
ARGS   ?=

.DEFAULT_GOAL := help
.PHONY: help install lock test lint loadtest ui bench report system-deps

help: ## list the verbs
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

install: $(STAMP) ## create .venv from the pinned lock (idempotent)

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	$(PYTHON) -m venv $(VENV) && $(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt \
	  && $(PY) -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e . && touch $@

lock: ## re-resolve asyncgap[demo]'s dependencies into requirements.txt
	scripts/lock.sh

system-deps: ## Debian packages the tests use (headless Chromium, PostgreSQL)
	scripts/ensure-debian-packages.sh chromium postgresql

test: install system-deps ## every test (unit, service, end-to-end, browser)
	$(PY) -m pytest $(ARGS)

lint: install ## ruff: the formatter's check, then the linter's
	$(VENV)/bin/ruff format --check . && $(VENV)/bin/ruff check .

loadtest: install ## the default matrix (QUICK=1 for the short profile, ENGINE=compose in containers); ARGS passes more flags
	scripts/ensure-debian-packages.sh postgresql && $(PY) -m asyncgap run $(if $(QUICK),--quick) $(if $(ENGINE),--engine $(ENGINE)) $(ARGS)

report: install ## rebuild the dashboard of a run: make report RUN=results/latest
	$(PY) -m asyncgap report $(or $(RUN),results/latest)

ui: install ## the setups and Locust's web UI on 127.0.0.1 (ARGS=--side-by-side); Ctrl-C stops all
	$(PY) -m asyncgap ui $(ARGS)

bench: install ## the pack measures itself: fidelity to theory, generator headroom, overhead, time
	scripts/ensure-debian-packages.sh wrk && $(PY) -m asyncgap bench $(ARGS)

# Docker Compose: the same setups, the upstream and Locust (a master per setup, workers) in containers.
COMPOSE  := $(shell docker compose version >/dev/null 2>&1 && echo "docker compose" || echo docker-compose)
SETUP    ?= uvicorn-1w
WORKERS  ?= 2
DURATION ?= 30s
COMPOSE_ENV = SETUP=$(SETUP) WORKERS=$(WORKERS) HOST_UID=$$(id -u) HOST_GID=$$(id -g)
DATABASE ?= sqlite
# DATABASE=postgres lays docker-compose.postgres.yml over docker-compose.yml: a postgres service, the setups on it.
COMPOSE_ENV += $(if $(filter-out sqlite postgres,$(DATABASE)),$(error DATABASE is sqlite or postgres, not '$(DATABASE)'))$(if $(filter postgres,$(DATABASE)),COMPOSE_FILE=docker-compose.yml:docker-compose.postgres.yml)
.PHONY: compose-up compose-loadtest compose-down

compose-up: | results/compose ## setups + upstream + Locust in containers; UIs on 127.0.0.1:8191-8194; workers join SETUP
	$(COMPOSE_ENV) $(COMPOSE) up --build

compose-loadtest: | results/compose ## headless Locust in containers on SETUP for DURATION; CSV/HTML in results/compose/SETUP
	$(COMPOSE_ENV) LOCUST_HEADLESS=true LOCUST_RUN_TIME=$(DURATION) $(COMPOSE) up --build --abort-on-container-exit --exit-code-from locust-$(SETUP) locust-$(SETUP)

compose-down: ## stop and remove the Compose containers, network and volume
	$(COMPOSE_ENV) $(COMPOSE) down -v --remove-orphans

results/compose:
	mkdir -p $@

# The published figures: tables between markers in README.md and docs/*.md, from docs/runs/.
LOAD_LOCK ?= /tmp/asyncgap-load.lock
.PHONY: docs docs-runs

docs: install ## re-render every marked table from docs/runs/ and write docs/summary.schema.json (no load)
	$(PY) -m asyncgap.pages

docs-runs: install ## re-measure every run in docs/runs/ from its recorded command (RUNS="quick sweep" for some), then make docs
	scripts/ensure-debian-packages.sh postgresql wrk && flock $(LOAD_LOCK) $(PY) -m asyncgap.remeasure $(RUNS) && $(MAKE) docs
