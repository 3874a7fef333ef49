"""pymc-dice: graph-based neural MMMs trained with DICE, and attribution diagnostics.

The heavy modules (torch, pymc-marketing) load on first use:

>>> import pymc_dice
>>> pymc_dice.__version__
'0.1.0'
"""

from importlib import import_module

__version__ = "0.1.0"

_LAZY = {
    "DiceMMM": "pymc_dice.mmm",
    "ModelConfig": "pymc_dice.config",
    "TrainerConfig": "pymc_dice.config",
    "simulate": "pymc_dice.simulate",
    "sparse_target": "pymc_dice.simulate",
    "rdt": "pymc_dice.simulate",
    "rawlog": "pymc_dice.simulate",
    "attribution_tests": "pymc_dice.attribution",
    "compare": "pymc_dice.attribution",
}

__all__ = [*_LAZY, "__version__"]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'pymc_dice' has no attribute {name!r}")
