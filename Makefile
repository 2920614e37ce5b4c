# VENV defaults to .venv in the clone; CI points it at a cached environment (see .ci/run).
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.graphmem-installed

.PHONY: install demo fmt lint typecheck test bench

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	HF_HUB_OFFLINE=1 $(VENV)/bin/graphmem demo

fmt: install
	$(VENV)/bin/ruff format graphmem tests benchmarks
	$(VENV)/bin/ruff check --fix graphmem tests benchmarks

lint: install
	$(VENV)/bin/ruff check graphmem tests benchmarks
	$(VENV)/bin/ruff format --check graphmem tests benchmarks

typecheck: install
	$(VENV)/bin/mypy

test: install
	$(PY) -m graphmem.neo4j_local classpath
	HF_HUB_OFFLINE=1 $(VENV)/bin/pytest $(PYTEST_ARGS)

# mem0 runs in its own venv (benchmarks/setup_mem0.sh) so its dependencies never touch graphmem's.
bench: install
	bash benchmarks/setup_mem0.sh
	HF_HUB_OFFLINE=1 $(PY) benchmarks/locomo.py
	HF_HUB_OFFLINE=1 $(PY) benchmarks/speed.py --threads 1
