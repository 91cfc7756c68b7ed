# Targets are the interface for people and CI alike.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench clean

# Create the virtual environment once; reinstall only when pyproject.toml changes.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,fleet]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/tmdb-collector demo

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests bench examples
	$(BIN)/ruff format --check src tests bench examples
	$(BIN)/mypy

# Each is bounded in time; see its docstring for what it measures and its options.
bench: $(STAMP)
	$(BIN)/python bench/simulator_throughput.py
	$(BIN)/python bench/crawl_throughput.py
	$(BIN)/python bench/driver_capacity.py
	$(BIN)/python bench/crawl_rate_limited.py
	$(BIN)/python bench/crawl_memory.py
	$(BIN)/python bench/sync_cost.py
	$(BIN)/python bench/fleet_scaling.py
	$(BIN)/python bench/outputs_scale.py
	$(BIN)/python bench/serve_throughput.py
	$(BIN)/python bench/report_scale.py
	$(BIN)/python bench/network_stats.py

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info
