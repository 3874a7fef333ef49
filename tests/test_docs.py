"""The documentation site builds with ``mkdocs build --strict`` (no warning: broken links, pages
missing from the nav and docstrings mkdocstrings cannot render all fail), every page of the nav
exists, and the API reference documents the model's methods."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
MKDOCS = ROOT / "mkdocs.yml"

pytest.importorskip("mkdocs")
pytest.importorskip("mkdocstrings_handlers.python")
pytest.importorskip("material")


class _Loader(yaml.SafeLoader):
    """Safe loader that tolerates the ``!!python/name:`` tags mkdocs configs may use."""


_Loader.add_multi_constructor("tag:yaml.org,2002:python/", lambda loader, suffix, node: None)


def _config() -> dict:
    return yaml.load(MKDOCS.read_text(), Loader=_Loader)


def _nav_pages(nav) -> list[str]:
    pages: list[str] = []
    for item in nav:
        value = next(iter(item.values())) if isinstance(item, dict) else item
        if isinstance(value, list):
            pages += _nav_pages(value)
        elif isinstance(value, str) and not value.startswith(("http://", "https://")):
            pages.append(value)
    return pages


def test_every_nav_page_exists_and_every_page_is_in_the_nav():
    cfg = _config()
    docs = ROOT / cfg.get("docs_dir", "docs")
    pages = _nav_pages(cfg["nav"])
    assert pages, "mkdocs.yml has no nav"
    for page in pages:
        assert (docs / page).is_file(), f"nav names {page}, which does not exist in {docs}"
    on_disk = {p.relative_to(docs).as_posix() for p in docs.rglob("*.md")}
    assert on_disk <= set(pages), f"pages missing from the nav: {sorted(on_disk - set(pages))}"
    for required in ("index.md", "getting-started.md", "concepts.md", "pymc-marketing.md",
                     "cli.md", "api.md", "benchmarks.md", "decisions.md"):
        assert required in pages, required


def test_the_theme_fetches_no_fonts():
    assert _config()["theme"].get("font") is False


def test_strict_build(tmp_path):
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site"),
         "--config-file", str(MKDOCS)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "WARNING" not in proc.stderr, proc.stderr
    site = tmp_path / "site"
    for page in _nav_pages(_config()["nav"]):
        name = Path(page).with_suffix("")
        html = site / ("index.html" if str(name) == "index" else name / "index.html")
        assert html.is_file(), f"{page} was not rendered"
    api = (site / "api" / "index.html").read_text()
    for anchor in ("pymc_dice.mmm.DiceMMM", "pymc_dice.mmm.DiceMMM.fit",
                   "pymc_dice.mmm.DiceMMM.diagnose", "pymc_dice.attribution.compare",
                   "pymc_dice.diagnostics.checks.run_checks"):
        assert f'id="{anchor}"' in api, f"the API page does not document {anchor}"
    assert "Train the seed ensemble" in api  # DiceMMM.fit's docstring is rendered
    for role in (":func:", ":class:", ":meth:"):  # Sphinx roles become cross-references
        assert role not in api, f"a raw {role} role is left in the API page"
    assert 'href="#pymc_dice.data.infer_roles"' in api
    assert "fonts.googleapis" not in (site / "index.html").read_text()
