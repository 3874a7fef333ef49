"""Attribution diagnostics: graph scores, CIG / AR-CIG, graph swap and verdict checks.

Scores and checks are plain numpy / xarray (they also serve pymc-marketing models); the
influence and swap modules load torch when first used.
"""

from pymc_dice.diagnostics.checks import (
    BypassCheck,
    CheckResult,
    ForecastAttributionCheck,
    GraphUseCheck,
    Status,
    SupportSelectionCheck,
    report,
    run_checks,
    to_markdown,
    verdict,
)
from pymc_dice.diagnostics.metrics import (
    auprc,
    auroc,
    f1,
    graph_scores,
    mse_at_h,
    nauprc,
    shd,
)

__all__ = [
    "BypassCheck",
    "CheckResult",
    "ForecastAttributionCheck",
    "GraphUseCheck",
    "Status",
    "SupportSelectionCheck",
    "auprc",
    "auroc",
    "f1",
    "graph_scores",
    "mse_at_h",
    "nauprc",
    "report",
    "run_checks",
    "shd",
    "to_markdown",
    "verdict",
]
