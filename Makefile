# Two commands do everything on a fresh machine:
#   make run   — set up, load the 1988 dataset, serve it at http://127.0.0.1:5000
#   make test  — set up and pass the tests
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
STORE  ?= var/store
PORT   ?= 5000

.PHONY: setup run load serve test lint system-deps bench bench-small clean diagram

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

bench: setup
	$(BIN)/python bench/run.py

bench-small: setup
	$(BIN)/python bench/run.py --small

# The ontology diagram in docs/ontology.md (needs Graphviz's `dot`: make system-deps).
diagram: setup system-deps
	$(BIN)/python scripts/ontology_diagram.py docs/ontology.svg

clean:
	rm -rf $(VENV) var build *.egg-info
