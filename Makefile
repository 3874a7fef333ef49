# Two entry points: `make demo` (the main job) and `make test` (the test suite).
# Both create or reuse .venv with a Python >= 3.12 found by scripts/find-python.sh.
VENV := .venv
PY := $(VENV)/bin/python
TORCH_VERSION := 2.13.0
STAMP := $(VENV)/.installed

.PHONY: demo test venv lint clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || "$$(scripts/find-python.sh)" -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==$(TORCH_VERSION)
	$(PY) -m pip install --quiet -e ".[dev,docs,ray]"
	@touch $(STAMP)

demo: venv
	$(VENV)/bin/pymc-dice demo

test: venv
	$(VENV)/bin/ruff check pymc_dice tests examples benchmarks
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --quiet --site-dir site
	$(PY) -m pytest

lint: venv
	$(VENV)/bin/ruff check --fix pymc_dice tests examples benchmarks
	$(VENV)/bin/ruff format pymc_dice tests examples benchmarks

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
