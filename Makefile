# Two entry points for a newcomer: `make demo` and `make test` (see README).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SHARED ?= ../shared
DB ?= litingest.duckdb
export PREFECT_HOME ?= $(CURDIR)/.prefect
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export DO_NOT_TRACK := 1
export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS := 90

.PHONY: install install-test demo test lint clean serve

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

demo: install
	$(BIN)/litingest ingest $(SHARED)/seeds --db $(DB)
	$(BIN)/litingest sql --db $(DB) "SELECT site, pub_year, journal_abbrev, left(title, 60) AS title FROM articles ORDER BY pub_year"
	$(BIN)/litingest search --db $(DB) "intralesional interleukin-2 melanoma" --limit 3

lint: install-test
	$(BIN)/ruff check .

test: install-test
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) .prefect .pytest_cache .ruff_cache *.egg-info $(DB) $(DB).search.duckdb $(DB).lock

# `make serve`: a real Prefect server (schedules need its scheduler) plus `litingest serve`, stopped together.
# The server runs in its own session so Ctrl-C reaches only `litingest serve`, which pauses the schedules
# through the still-running server; the trap then stops the server.
PREFECT_PORT ?= 4200
SERVE_API := http://127.0.0.1:$(PREFECT_PORT)/api
SETSID_EXEC := import os, sys; os.setsid(); os.execv(sys.argv[1], sys.argv[1:])
HEALTH_CHECK := import urllib.request; urllib.request.urlopen('$(SERVE_API)/health', timeout=2)

serve: install
	@mkdir -p "$(PREFECT_HOME)"; \
	$(BIN)/python -c '$(SETSID_EXEC)' $(BIN)/prefect server start --host 127.0.0.1 --port $(PREFECT_PORT) \
		>"$(PREFECT_HOME)/server.log" 2>&1 & server=$$!; \
	trap 'kill $$server 2>/dev/null; wait $$server 2>/dev/null; echo "Prefect server stopped."' EXIT; \
	trap 'exit 130' INT TERM; \
	echo "Starting the Prefect server on $(SERVE_API) (log: $(PREFECT_HOME)/server.log)..."; \
	tries=0; until $(BIN)/python -c "$(HEALTH_CHECK)" 2>/dev/null; do \
		kill -0 $$server 2>/dev/null || { echo "The Prefect server exited; see $(PREFECT_HOME)/server.log" >&2; exit 1; }; \
		tries=$$((tries + 1)); [ $$tries -le 240 ] || { echo "No answer from the Prefect server in 120 s" >&2; exit 1; }; \
		sleep 0.5; \
	done; \
	echo "Prefect UI: http://127.0.0.1:$(PREFECT_PORT) (Ctrl-C stops both)"; \
	PREFECT_API_URL=$(SERVE_API) $(BIN)/litingest serve --db $(DB)
