# Two commands do everything on a fresh machine:
#   make run   — set up, load the 1988 dataset, serve it at http://127.0.0.1:5000
#   make test  — set up and pass the tests
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
STORE  ?= var/store
PORT   ?= 5000

.PHONY: setup run load serve test test-remote test-remote-stores lint system-deps bench bench-small clean diagram

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

# Operating-system packages the tests use (Java for HermiT, Chromium for the browser test,
# Graphviz for the ontology diagram). Installed only when missing and when we are root.
system-deps:
	@bash scripts/system-deps.sh

load: setup
	$(BIN)/justicegraph --store $(STORE) load --packaged 1988

run: load
	$(BIN)/justicegraph --store $(STORE) serve --port $(PORT)

test: setup system-deps
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

# The whole suite again with every store on a running `oxigraph serve`, then on a running
# Virtuoso (started by the tests on 127.0.0.1; tests about the embedded store itself are
# skipped with their reason — tests/stores.py, marker embedded_only).
test-remote: setup system-deps
	JUSTICEGRAPH_TEST_STORE=oxigraph $(BIN)/python -m pytest -q; a=$$?; \
	JUSTICEGRAPH_TEST_STORE=virtuoso $(BIN)/python -m pytest -q; b=$$?; exit $$((a | b))

# What CI runs on both engines (tests that read or write a store; measured ~3 min per engine
# on a busy 2-core machine): loaders, CLI, access rule, security, pages, search, Graph Store
# and SPARQL protocols (incl. the endpoint's time limits on queries and updates), clients,
# the remote sort fallback. test_backends and the engine-parametrised test_remote*.py run both
# engines in `make test`.
REMOTE_STORE_TESTS ?= tests/test_loaders.py tests/test_loaders_errors.py tests/test_loaders_rdf.py \
	tests/test_dataset.py tests/test_savedqueries.py tests/test_foundation.py tests/test_cli_data.py \
	tests/test_access_engine.py tests/test_access_loaded.py tests/test_access_http.py \
	tests/test_security_pages.py tests/test_security_audit.py tests/test_pages.py tests/test_search.py \
	tests/test_graphstore.py tests/test_protocol_w3c.py tests/test_clients.py tests/test_endpoint.py \
	tests/test_remote_order.py
test-remote-stores: setup system-deps
	JUSTICEGRAPH_TEST_STORE=oxigraph $(BIN)/python -m pytest -q $(REMOTE_STORE_TESTS); a=$$?; \
	JUSTICEGRAPH_TEST_STORE=virtuoso $(BIN)/python -m pytest -q $(REMOTE_STORE_TESTS); b=$$?; exit $$((a | b))

bench: setup
	$(BIN)/python bench/run.py

bench-small: setup
	$(BIN)/python bench/run.py --small

# The ontology diagram in docs/ontology.md (needs Graphviz's `dot`: make system-deps).
diagram: setup system-deps
	$(BIN)/python scripts/ontology_diagram.py docs/ontology.svg

clean:
	rm -rf $(VENV) var build *.egg-info
