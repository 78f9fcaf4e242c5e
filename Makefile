# Outboard: `make demo` runs the main job, `make test` runs the checks, both from a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench system-packages clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	# Outboard's own bytecode, so it starts quickly even where Python does not write it itself.
	$(BIN)/python -m compileall -q controller devices recall tui > /dev/null
	touch $(STAMP)

system-packages:
	@bash .ci/system-packages

demo: system-packages $(STAMP)
	$(BIN)/outboard demo

lint: $(STAMP)
	$(BIN)/ruff check controller devices recall tui tests benchmarks

test: system-packages $(STAMP) lint
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python benchmarks/meter.py
	$(BIN)/python benchmarks/library.py
	$(BIN)/python benchmarks/commands.py
	$(BIN)/python benchmarks/devices.py
	$(BIN)/python benchmarks/recall.py
	$(BIN)/python benchmarks/app.py
	$(BIN)/python benchmarks/print.py
	$(BIN)/python benchmarks/compare.py
	$(BIN)/python benchmarks/long_print.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
