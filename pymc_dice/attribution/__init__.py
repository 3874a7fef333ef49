"""One attribution test suite for Bayesian and neural MMMs (docs/concepts.md, "Measuring where
the attribution runs" and "Contributions and ROAS").

:func:`attribution_tests` runs the SAME tests on any fitted model through a small adapter
(:class:`AttributionAdapter`): :class:`PymcMarketingAdapter` for a fitted
``pymc_marketing.mmm.MMM``, :class:`DiceAdapter` for a fitted :class:`pymc_dice.mmm.DiceMMM`,
or a subclass of your own. :func:`compare` stacks the results of several models on a ``model``
dim and :func:`to_table` flattens them to a tidy ``DataFrame``.

Conventions (the operational definitions; they are what the tests check):

- **Data and windows.** ``data`` is one pymc-marketing-shaped frame holding every date: the
  dates the model was fitted on (the *fitted window*) and, optionally, later dates the model
  has not seen (the *held-out window*: every date of ``data`` after the model's last fitted
  date). Fit the models on ``data`` without its last dates to get one. Each adapter reads only
  its own columns (date, dims, channels, controls; the target for scoring), so one frame
  serves a channels-only pymc-marketing MMM and a DiceMMM with mediators alike. The spend of
  ``data`` on the fitted dates must equal the spend the model was fitted on (checked).
- **Contribution** of channel ``j`` (docs/concepts.md): the model's mean prediction of the target
  with the actual inputs minus its prediction with channel ``j``'s spend set to zero on every
  fitted date, rolled out, in original target units, per (date, *dims) over the fitted
  window. pymc-marketing: two posterior-predictive evaluations of ``mu`` per channel (the
  difference is taken per draw, then averaged); DiceMMM: its own closed-loop rollouts
  (``idata.posterior.channel_contribution`` x ``target_scale``, which is this definition).
  ``contribution`` is the total over the fitted window and series.
- **ROAS** = total contribution / total spend over the fitted window and series (NaN for zero
  spend). ``roas_sd_across_chains``: the standard deviation (ddof 1) over ``chain`` of the
  per-chain ROAS: MCMC chains for pymc-marketing, seeds for DiceMMM.
- **Against the truth** (:func:`pymc_dice.simulate.simulate`'s ``truth``): the true
  contributions restricted to the fitted dates (summed over truth dims the model lacks);
  ``true_roas`` over the same dates and spend; ``roas_error = roas - true_roas``;
  ``roas_abs_error_mean`` its mean absolute value over channels; ``contribution_corr`` the
  Pearson correlation of model and true contributions over the fitted (date, *dims) cells
  (NaN where either is constant, e.g. a channel with no true effect). A channel absent from
  the truth has no true effect only if it is the ``placebo``; otherwise its truth is NaN.
- **CIG / AR-CIG** of channels -> target, for any model, by forward finite differences
  (:func:`pymc_dice.diagnostics.finite_difference.cig_finite_difference`) of a black box built from
  the adapter's counterfactual forecasts of the held-out window: spend of channel ``j`` at
  origin ``t`` is raised by ``delta`` x (the channel's max-abs spend on the fitted window),
  and the change of the predicted target at ``t+1 .. t+H`` (``H = 1`` for CIG, ``horizon``
  for AR-CIG) is divided by the target's max-abs, so both are in scaled units (max-abs
  scaling, docs/decisions.md). The same-date effect at ``t`` is not read (no instantaneous
  edges, docs/concepts.md "The graph"). Origins are every held-out index ``t`` with
  ``t + horizon`` inside the window (both CIG and AR-CIG use them). The black box is the model's mean forecast, which starts at the end of the fitted
  data and rolls closed loop (DiceMMM) or reads only spend (pymc-marketing). Pulses in
  different series are evaluated in one scenario (both model classes predict each series from
  its own inputs); pulses within a series never share a scenario. Forward differences keep
  spend non-negative.
- **Graph scores**: CIG and AR-CIG of the channel -> target candidate edges scored against
  the true *direct* graph (``truth["graph"]``, or per series from ``truth["graphs"]`` and
  ``truth["series_graph"]`` pooled over series when series differ) with
  :func:`~pymc_dice.diagnostics.metrics.nauprc` and
  :func:`~pymc_dice.diagnostics.metrics.auroc`. A channel reaching the target only through
  mediators is a negative. With no true edge, or only true edges, among the candidates the
  scores are NaN and a note says why.
- **placebo_share**: ``|contribution[placebo]| / sum_j |contribution[j]|``, the share of the
  total absolute attributed contribution that goes to a column the caller knows has no effect
  (e.g. a shuffled copy of a channel, added to the data before fitting every model).
- **mse_target**: MSE@h of the target, ``h = horizon``: mean over series of the squared error
  of the mean forecast on the first ``h`` held-out dates (an ``h``-step rollout from the end
  of the fitted data), both scaled by the target's max-abs on the fitted window.

Every variable is always present (NaN when it does not apply; ``attrs["notes"]`` says why),
so results of different models stack. The package uses numpy, pandas and xarray only; the
finite-difference engine is imported when needed, and a model is reached only through its
public methods.

Modules: :mod:`~pymc_dice.attribution.adapters` (the model protocol and one adapter per model
class), :mod:`~pymc_dice.attribution.blackbox` (forecasts as the finite-difference black box),
:mod:`~pymc_dice.attribution.truth` (the truth on a model's grid, edge scores) and
:mod:`~pymc_dice.attribution.suite` (the tests, :func:`compare`, :func:`to_table`).

Examples
--------
>>> from pymc_dice.attribution import attribution_tests
>>> model, data = toy_demo()  # y(t) = 2 tv(t - 1), fitted on 8 of 12 dates
>>> attribution_tests(model, data, horizon=2)["roas"].dims
('channel',)
"""

from pymc_dice.attribution.adapters import (
    AttributionAdapter,
    DiceAdapter,
    PymcMarketingAdapter,
    as_adapter,
)
from pymc_dice.attribution.suite import VARIABLES, attribution_tests, compare, to_table

__all__ = [
    "VARIABLES",
    "AttributionAdapter",
    "DiceAdapter",
    "PymcMarketingAdapter",
    "as_adapter",
    "attribution_tests",
    "compare",
    "to_table",
]
