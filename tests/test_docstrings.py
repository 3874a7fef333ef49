"""Every public function and class of the documented API carries a runnable example.

The rule
--------
The public API is everything exported by ``pymc_dice`` (``pymc_dice.__all__``) and by
``pymc_dice.diagnostics``, plus every public (no leading underscore) function and class defined
in the modules listed in ``MODULES``.

1. A public function or class (exception classes included) has a docstring with a numpy-style
   ``Examples`` section that holds at least one ``>>>`` line not marked ``# doctest: +SKIP``
   (an example that runs).
2. A public method or property defined in the body of a public class has a docstring, and is
   shown in use: either its own docstring has an ``Examples`` section with ``>>>``, or one of the
   ``>>>`` / ``...`` lines of the class docstring's runnable examples uses it (``.name``).
3. Otherwise it is listed in ``ALLOWLIST`` together with the test that exercises it.

The examples themselves run: pytest collects the package with ``--doctest-modules``. An example
too slow for the default run (a pymc-marketing MCMC fit) is marked ``# doctest: +SKIP``, so its
object must be in ``ALLOWLIST`` with the test that exercises it.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest

import pymc_dice

ROOT = Path(__file__).resolve().parents[1]
# every module of the package, found by walking it (a new module is covered without a list)
MODULES = tuple(
    sorted(
        {"pymc_dice"}
        | {
            m.name
            for m in pkgutil.walk_packages(pymc_dice.__path__, "pymc_dice.")
            if m.name.rsplit(".", 1)[-1] not in ("__main__",)
        }
    )
)

# "qualified name" -> the test that exercises it instead of a runnable docstring example.
# The pymc-marketing adapter needs a fitted Bayesian MMM (an MCMC run): its examples are skipped.
_PM = "pymc_dice.attribution.adapters.PymcMarketingAdapter"
_PM_TESTS = "tests/test_attribution.py::"
ALLOWLIST: dict[str, str] = {
    _PM: _PM_TESTS + "test_pymc_marketing_suite_has_every_variable",
    f"{_PM}.fitted_spend": _PM_TESTS + "test_pymc_data_must_match_the_fit",
    f"{_PM}.contributions_by_chain": _PM_TESTS
    + "test_counterfactual_contributions_equal_pymc_marketing",
    f"{_PM}.contribution_draws": _PM_TESTS + "test_pymc_marketing_suite_has_every_variable",
    f"{_PM}.counterfactual_predict": _PM_TESTS
    + "test_pymc_forecast_matches_posterior_predictive_mean",
    # the study fits a pymc-marketing MMM (MCMC): the CLI's quick demo runs it end to end
    "pymc_dice.workflow.run_study": "tests/test_cli.py::test_quick_demo_writes_the_full_report",
    # its example needs a fitted model (the facade stays within its line cap): the test has one
    "pymc_dice.mmm.DiceMMM.edge_evidence": "tests/test_evidence.py::test_facade_dataset",
    "pymc_dice.workflow.fit_bayesian": "tests/test_cli.py::test_quick_demo_writes_the_full_report",
    "pymc_dice.workflow.diagnose_saved": "tests/test_cli.py::test_fit_then_diagnose_round_trip",
}

_EXAMPLES = re.compile(r"^\s*Examples\s*\n\s*-{3,}\s*$", re.MULTILINE)


def _examples(doc: str | None) -> str:
    """The ``Examples`` section ('' when there is none or none of its ``>>>`` lines runs)."""
    if not doc:
        return ""
    match = _EXAMPLES.search(doc)
    if match is None:
        return ""
    text = doc[match.end() :]
    runs = [
        line
        for line in text.splitlines()
        if line.lstrip().startswith(">>>") and "doctest: +SKIP" not in line
    ]
    return text if runs else ""


def _code_lines(examples: str) -> str:
    return "\n".join(
        line
        for line in examples.splitlines()
        if line.lstrip().startswith((">>>", "...")) and "doctest: +SKIP" not in line
    )


def _public_objects() -> dict[str, object]:
    found: dict[str, object] = {}
    for name in pymc_dice.__all__:
        if name != "__version__":
            obj = getattr(pymc_dice, name)
            found[f"{obj.__module__}.{obj.__qualname__}"] = obj
    for modname in MODULES:
        module = importlib.import_module(modname)
        exported = set(getattr(module, "__all__", ()))
        for name, obj in vars(module).items():
            if name.startswith("_") or not (inspect.isfunction(obj) or inspect.isclass(obj)):
                continue
            if obj.__module__ == modname or name in exported:
                found[f"{obj.__module__}.{obj.__qualname__}"] = obj
    return dict(sorted(found.items()))


def _members(cls: type) -> dict[str, object]:
    """Public methods and properties defined in the class body (not inherited, not fields)."""
    out = {}
    for name, attr in vars(cls).items():
        if name.startswith("_"):
            continue
        if isinstance(attr, property):
            out[name] = attr.fget
        elif isinstance(attr, classmethod | staticmethod):
            out[name] = attr.__func__
        elif inspect.isfunction(attr):
            out[name] = attr
    return out


PUBLIC = _public_objects()
MEMBERS = {
    f"{qualname}.{name}": (PUBLIC[qualname], name, func)
    for qualname, obj in PUBLIC.items()
    if inspect.isclass(obj)
    for name, func in _members(obj).items()
}


def test_the_walk_finds_the_api():
    assert "pymc_dice.mmm.DiceMMM" in PUBLIC
    assert "pymc_dice.mmm.DiceMMM.fit" in MEMBERS
    assert "pymc_dice.attribution.suite.compare" in PUBLIC
    assert "pymc_dice.diagnostics.checks.run_checks" in PUBLIC
    assert len(PUBLIC) > 50


def test_allowlist_names_real_objects_and_tests():
    for qualname, test in ALLOWLIST.items():
        assert qualname in PUBLIC or qualname in MEMBERS, f"{qualname} is not public API any more"
        assert re.fullmatch(r"tests/test_\w+\.py::\w+", test), f"{qualname}: name a test, {test!r}"
        path, func = test.split("::")
        source = (ROOT / path).read_text()
        assert f"def {func}(" in source, f"{qualname}: {test} does not exist"


@pytest.mark.parametrize("qualname", list(PUBLIC))
def test_public_object_has_an_example(qualname):
    if qualname in ALLOWLIST:
        pytest.skip(f"covered by {ALLOWLIST[qualname]}")
    doc = inspect.getdoc(PUBLIC[qualname])
    assert doc, f"{qualname} has no docstring"
    assert _examples(doc), f"{qualname}: add an 'Examples' section with a >>> example"


@pytest.mark.parametrize("qualname", list(MEMBERS))
def test_public_member_is_documented_and_shown(qualname):
    if qualname in ALLOWLIST:
        pytest.skip(f"covered by {ALLOWLIST[qualname]}")
    cls, name, func = MEMBERS[qualname]
    assert inspect.getdoc(func), f"{qualname} has no docstring"
    if _examples(inspect.getdoc(func)):
        return
    class_code = _code_lines(_examples(inspect.getdoc(cls)))
    used = re.search(rf"\.{name}\b", class_code)
    assert used, f"{qualname}: give it an example, or use it in the {cls.__name__} examples"
