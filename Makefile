# One task runner for people and CI: `make run`, `make test`, `make lint`, `make bench`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint format unit integration docs bench soak clean test-es test-wordpress

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

## run: ingest the sample articles into the embedded store and search them (no servers)
run: $(STAMP)
	$(BIN)/monitor ingest samples/
	$(BIN)/monitor search "Kuril Islands"
	$(BIN)/monitor status

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
	$(BIN)/pytest -m "not wordpress" --cov --cov-report=term:skip-covered

unit: $(STAMP)
	$(BIN)/pytest tests/unit

integration: $(STAMP)
	$(BIN)/pytest -m "not wordpress" tests/integration

## test-wordpress: our sources against a real WordPress (Debian's packages; each run
## starts its own mariadbd and `php -S` on free ports; README "Tests against a real WordPress")
test-wordpress: $(STAMP)
	$(BIN)/pytest -m wordpress tests/integration

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

## bench: throughput, stage costs, NER floor, reprocess, search latency, fetching
bench: $(STAMP)
	$(BIN)/python -m bench

## soak: 1,000 articles through workers that keep getting killed, one Redis restart
soak: $(STAMP)
	$(BIN)/python -m bench.soak

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .coverage
