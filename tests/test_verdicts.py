"""Every verdict rule of docs/concepts.md ("Verdicts"), one combination of check statuses each,
so dropping or reordering a rule fails a test."""

from __future__ import annotations

import itertools

import pytest

from pymc_dice.diagnostics.checks import CheckResult, Status, verdict

P, R, F = Status.PASS, Status.REVIEW, Status.FAIL


def _results(graph_use=None, bypass=None, support=None, forecast=None, skipped=()):
    out = []
    for name, status in (
        ("graph_use", graph_use),
        ("bypass", bypass),
        ("support_selection", support),
        ("forecast_attribution", forecast),
    ):
        if status is not None:
            out.append(CheckResult(name, status, skipped=name in skipped))
    return out


def _expected(graph_use, bypass, support) -> str:
    """The decision list of docs/concepts.md, written independently of the implementation."""
    if F in (bypass, graph_use):
        return "decoder bypass"
    if support in (F, R):
        return "graph-support selection"
    if bypass is R:
        return "decoder bypass"
    return "ok"


@pytest.mark.parametrize(
    "graph_use, bypass, support, expected",
    [
        (F, P, P, "decoder bypass"),  # rule 1: graph_use FAIL
        (P, F, P, "decoder bypass"),  # rule 1: bypass FAIL
        (F, F, F, "decoder bypass"),  # rule 1 wins over rule 2
        (P, P, F, "graph-support selection"),  # rule 2: support FAIL
        (P, P, R, "graph-support selection"),  # rule 2: support REVIEW
        (P, R, R, "graph-support selection"),  # rule 2 comes before rule 3
        (P, R, P, "decoder bypass"),  # rule 3: bypass REVIEW
        (R, R, None, "decoder bypass"),  # rule 3 without an oracle
        (P, P, P, "ok"),  # rule 4
        (R, P, P, "ok"),  # graph_use REVIEW decides nothing
        (P, P, None, "ok"),  # without an oracle, only rules 1, 3 and 4 can fire
    ],
)
def test_each_rule_gives_its_verdict(graph_use, bypass, support, expected):
    assert verdict(_results(graph_use, bypass, support)) == expected


def test_every_status_combination_follows_the_decision_list():
    for gu, by, su, fa in itertools.product((P, R, F), (P, R, F), (P, R, F, None), (P, F)):
        got = verdict(_results(gu, by, su, fa))
        assert got == _expected(gu, by, su), (gu, by, su, fa)


def test_forecast_attribution_never_decides():
    base = _results(P, P, P)
    assert verdict([*base, CheckResult("forecast_attribution", F)]) == "ok"


def test_skipped_checks_are_ignored():
    # a skipped support check (no oracle) is REVIEW but must not trigger rule 2
    assert verdict(_results(P, P, R, skipped=("support_selection",))) == "ok"


def test_nothing_to_localise_is_an_error():
    with pytest.raises(ValueError, match="neither the bypass nor the support_selection"):
        verdict(_results(graph_use=P))
