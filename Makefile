# One task runner for people and CI: `make run`, `make test`, `make lint`, `make bench`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# Every install takes its versions from the lock (pip constraints): a new release
# upstream cannot break a fresh machine. `make lock` re-pins it from pyproject.toml.
LOCK := requirements.lock

.PHONY: run test lint format unit integration docs bench soak clean test-es test-wordpress \
	test-browser screenshots lock check-latest coverage

$(STAMP): pyproject.toml $(LOCK)
	@echo "make: setting up $(VENV) (first run only): about 100 packages pinned by $(LOCK)" \
		"(spaCy and its English model the largest): 3 to 6 minutes on a 2-core machine."
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --progress-bar on -c $(LOCK) -e '.[dev,browser]'
	touch $(STAMP)

## lock: re-pin requirements.lock from pyproject.toml (dev extras included); pins that
## still fit are kept, `make lock LOCK_FLAGS=--upgrade` moves everything to the newest
LOCK_TOOLS := .venv-lock
LOCK_FLAGS ?=
lock:
	test -x $(LOCK_TOOLS)/bin/uv || ($(PYTHON) -m venv $(LOCK_TOOLS) \
		&& $(LOCK_TOOLS)/bin/pip install --quiet 'uv>=0.5,<1')
	$(LOCK_TOOLS)/bin/uv pip compile pyproject.toml --extra dev --extra browser --universal \
		--python-version 3.11 --no-header $(LOCK_FLAGS) -o $(LOCK)

## check-latest: the newest releases pyproject.toml allows (no lock) in a scratch venv,
## then the unit tests. Allowed to fail: it warns of an upstream break before a re-lock.
LATEST := .venv-latest
check-latest:
	rm -rf $(LATEST)
	$(PYTHON) -m venv $(LATEST)
	$(LATEST)/bin/pip install --quiet --upgrade pip
	$(LATEST)/bin/pip install --quiet --upgrade --upgrade-strategy eager -e '.[dev,browser]'
	$(LATEST)/bin/pip list --format freeze > $(LATEST)/versions.txt
	$(LATEST)/bin/pytest -q -p no:cacheprovider tests/unit

## run: ingest the sample articles into the embedded store and search them (no servers)
run: $(STAMP)
	$(BIN)/monitor ingest samples/
	$(BIN)/monitor search "Kuril Islands"
	$(BIN)/monitor status
	@echo
	@echo '"$(BIN)/monitor serve" opens the search page in a browser at http://127.0.0.1:8700'

## lint: formatting, lint rules and strict typing
lint: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## test: lint, then the whole suite (unit + integration with real Redis and Celery);
## the real-WordPress tests have their own target (test-wordpress)
# One test process per core (pytest-xdist); a file's tests stay in one process, so a
# module fixture runs once. Each process starts its own redis-server on a free port.
# `make test PARALLEL=` runs everything in one process.
PARALLEL ?= -n auto --dist loadfile
test: lint
	$(BIN)/pytest $(PARALLEL)

## coverage: the same suite under coverage (slower: it traces every line run in-process)
coverage: $(STAMP)
	$(BIN)/pytest --cov --cov-report=term:skip-covered

unit: $(STAMP)
	$(BIN)/pytest $(PARALLEL) tests/unit

integration: $(STAMP)
	$(BIN)/pytest $(PARALLEL) tests/integration

## test-wordpress: our sources against a real WordPress (Debian's packages; each run
## starts its own mariadbd and `php -S` on free ports; README "Tests against a real WordPress")
test-wordpress: $(STAMP)
	$(BIN)/pytest -m wordpress tests/integration

## test-browser: the search page in a real headless Chromium (Debian's chromium package)
test-browser: $(STAMP)
	$(BIN)/pytest -m browser tests/browser

## screenshots: regenerate docs/img/search.png and article.png from the browser tests' flow
screenshots: $(STAMP)
	MONITOR_TEST_SCREENSHOTS=docs/img $(BIN)/pytest -q -m browser tests/browser -k "embedded and analyst"

## test-es: the Elasticsearch store suite against real 8.x and 9.x clusters (needs Docker)
ES_COMPOSE := docker compose -f infra/elasticsearch/test-clusters.yml
ES_TESTS := tests/integration/test_elasticsearch_store.py tests/integration/test_es_cluster_behaviour.py \
	tests/integration/test_reprocess.py tests/integration/test_es_cli.py
test-es: $(STAMP)
	$(ES_COMPOSE) up -d --wait
	status=0; for port in 9208 9209; do \
		MONITOR_TEST_ELASTICSEARCH_URL=http://elastic:monitor-test-only@127.0.0.1:$$port \
			$(BIN)/pytest -q $(ES_TESTS) || status=1; \
	done; $(ES_COMPOSE) down -v; exit $$status

## docs: regenerate README's configuration table from workers/settings.py
docs: $(STAMP)
	$(BIN)/python scripts/update_readme_settings.py

## bench: throughput, stage costs, NER floor, reprocess, search latency, fetching, start-up
bench: $(STAMP)
	$(BIN)/python -m bench

## soak: 1,000 articles through workers that keep getting killed, one Redis restart
soak: $(STAMP)
	$(BIN)/python -m bench.soak

clean:
	rm -rf $(VENV) $(LATEST) $(LOCK_TOOLS) var .pytest_cache .mypy_cache .ruff_cache .coverage
