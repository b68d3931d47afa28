# interlock: the two commands a user needs, and what they set up.
#   make demo   run every scenario against the embedded demo shop, build the report
#   make test   interlock's own test suite, then the scenario suite (what CI runs)
# Both install what is missing first (.venv, the Allure CLI, MariaDB, Chromium for the
# web page steps) and reuse it after.

SHELL := /bin/bash
VENV := .venv
PYTHON ?= python3
INTERLOCK := $(VENV)/bin/interlock
PIP := $(VENV)/bin/pip --disable-pip-version-check --quiet
APT_PACKAGES := mariadb-server-core mariadb-client-core

.PHONY: demo test setup mariadb browser lint unit down clean

demo: setup browser
	$(INTERLOCK) run

test: setup browser lint
	$(VENV)/bin/python -m pytest --durations=15
	$(INTERLOCK) run --env ci

setup: $(VENV)/.installed node_modules/.installed mariadb

$(VENV)/.installed: requirements.txt pyproject.toml
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install -r requirements.txt
	$(PIP) install --no-deps -e .
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# The embedded database needs the MariaDB server binaries (no service is started).
mariadb:
	@if command -v mariadbd >/dev/null || test -x /usr/sbin/mariadbd; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then \
		echo "installing MariaDB: apt-get install -y $(APT_PACKAGES)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(APT_PACKAGES) >/dev/null; \
	else \
		echo "MariaDB is not installed. Run this, then make again:"; \
		echo "  sudo apt-get update && sudo apt-get install -y $(APT_PACKAGES)"; \
		exit 2; \
	fi

# Chromium: the web page steps drive it (through Playwright, which cannot download a
# browser here), the report's screenshot test renders with it and it prints the sign-off
# page as a PDF; pdftoppm (poppler-utils) renders that PDF's first page in its test.
browser:
	@if { test -x /usr/lib/chromium/chromium || command -v chromium >/dev/null; } && command -v pdftoppm >/dev/null; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then \
		echo "installing Chromium and poppler-utils: apt-get install -y chromium poppler-utils"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium poppler-utils >/dev/null; \
	else \
		echo "Chromium is not installed, and the web page steps need it. Run this, then make again:"; \
		echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends chromium poppler-utils"; \
		exit 2; \
	fi

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check interlock interlock_steps steps environment.py tests demo bench scripts
	$(VENV)/bin/mypy interlock

unit: $(VENV)/.installed
	$(VENV)/bin/python -m pytest tests/unit

down:
	$(INTERLOCK) down

clean: down
	rm -rf reports/* .interlock
