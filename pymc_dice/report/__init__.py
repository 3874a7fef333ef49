"""Report folder for fitted models: ``index.html``, ``report.md``, figures and netCDF results.

:func:`build_report` is the one call: it reads what it needs from fitted models
(:func:`collect` -> :class:`ReportData`, plain numpy / pandas / xarray) and writes it
(:func:`write_report`). A report has these sections, in order (:data:`SECTIONS`):

1. **Model comparison** -- one row per model: MSE@h of the target on held-out dates, AR-CIG
   nAUPRC of the channel -> target influence against the true direct graph, the graph-swap
   verdict (DiceMMM only: a pymc-marketing MMM has no graph input), mean |ROAS error| against
   the truth and the placebo share (:func:`pymc_dice.attribution.compare`,
   :meth:`pymc_dice.mmm.DiceMMM.diagnose`); then ROAS per channel (models and truth).
2. **Learned vs true graph** -- edge probabilities, selected support, true graph (the heading
   is "Learned graph" without a truth).
3. **Influence (CIG / AR-CIG)** -- channel -> target influence of every model (finite
   differences, same units), and the DiceMMM's node x node CIG / AR-CIG.
4. **Graph swap** -- the frozen decoder under each graph input, with the review checks.
5. **Contributions over time** -- per model (and the noise-free truth), summed over series.
6. **Forecast vs observed** -- fitted window and held-out forecast of every model.
7. **Files** -- what the folder holds.

Without a truth (a user's data), the truth-based columns (nAUPRC, ROAS error) and figures
(true graph, true contributions) are left out; the diagnostics remain. Nothing here imports
torch: a DiceMMM is reached through its public methods only.

Modules: :mod:`~pymc_dice.report.contents` (what a report shows, read from fitted models),
:mod:`~pymc_dice.report.tables` (summary and ROAS tables), :mod:`~pymc_dice.report.writer`
(one function per section; every figure comes from :mod:`pymc_dice.plot`) and
:mod:`~pymc_dice.report.screenshot` (headless Chromium).

Examples
--------
>>> from pymc_dice.report import SECTIONS
>>> list(SECTIONS)[:2]
['comparison', 'graph']
"""

from pymc_dice.report.contents import ReportData, collect
from pymc_dice.report.screenshot import find_chromium, screenshot
from pymc_dice.report.tables import format_value, html_table, md_table, roas_table, summary_table
from pymc_dice.report.writer import SECTIONS, build_report, write_report

__all__ = [
    "SECTIONS",
    "ReportData",
    "build_report",
    "collect",
    "find_chromium",
    "format_value",
    "html_table",
    "md_table",
    "roas_table",
    "screenshot",
    "summary_table",
    "write_report",
]
