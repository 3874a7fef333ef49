# Two entry points: `make demo` (the main job) and `make test` (the test suite).
# Both create or reuse .venv with a Python >= 3.12 found by scripts/find-python.sh.
VENV := .venv
PY := $(VENV)/bin/python
TORCH_VERSION := 2.13.0
STAMP := $(VENV)/.installed

.PHONY: demo test venv lint clean browser

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || "$$(scripts/find-python.sh)" -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==$(TORCH_VERSION)
	$(PY) -m pip install --quiet -e ".[dev,docs,ray,mlflow]"
	@touch $(STAMP)

demo: venv
	$(VENV)/bin/pymc-dice demo

# The report's browser test needs Chromium: install Debian's package when it is missing and we
# may (root with apt-get); otherwise the test fails and says how to get it.
browser:
	@command -v chromium >/dev/null 2>&1 || test -x /usr/bin/chromium || \
	  { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } ; } || \
	  echo "note: chromium is not installed; the browser test will fail (apt-get install chromium)"

test: venv browser
	$(VENV)/bin/ruff check pymc_dice tests examples benchmarks
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --quiet --site-dir site
	$(PY) -m pytest

lint: venv
	$(VENV)/bin/ruff check --fix pymc_dice tests examples benchmarks
	$(VENV)/bin/ruff format pymc_dice tests examples benchmarks

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
