# Thin wrappers over the obscode CLI and pytest. Every target works on a fresh clone.
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
STACKS ?=

.PHONY: setup generate check test diff demo bench system-deps docs

setup: $(STAMP)

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test,docs]'
	touch $(STAMP)

## generate: compile every stack under stacks/ into generated/
generate: $(STAMP)
	$(VENV)/bin/obscode generate $(STACKS)

## check: static checks + promtool/amtool on the output + stale-output guard
check: $(STAMP)
	$(VENV)/bin/obscode check --stale $(STACKS)

system-deps:
	scripts/system-deps.sh

## test: the whole suite, with the real promtool, amtool, prometheus, alertmanager
test: $(STAMP) system-deps
	$(PY) -m pytest -q $(PYTEST_ARGS)

## docs: the API reference (docs/reference/, from the models) and the static site in site/
docs: $(STAMP)
	$(PY) scripts/api_reference.py
	$(VENV)/bin/mkdocs build --strict

## diff: semantic diff of generated/ against the merge-base with main, as Markdown
diff: $(STAMP)
	$(VENV)/bin/obscode diff $(STACKS)

## demo: the Quantis stack running for real on 127.0.0.1 (SCENARIO=drift|errors|latency|down)
demo: $(STAMP) system-deps
	$(PY) -m stacks.quantis.demo $(if $(SCENARIO),--scenario $(SCENARIO))

## bench: every benchmark script; results go to docs/benchmarks.md
bench: $(STAMP) system-deps
	$(PY) benchmarks/run_all.py
