# One task runner for people and CI: `make run`, `make test`, `make lint`, `make bench`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint format unit integration docs bench soak clean test-es test-wordpress test-browser screenshots

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,browser]'
	touch $(STAMP)

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
test: lint
	$(BIN)/pytest --cov --cov-report=term:skip-covered

unit: $(STAMP)
	$(BIN)/pytest tests/unit

integration: $(STAMP)
	$(BIN)/pytest tests/integration

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
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .coverage
