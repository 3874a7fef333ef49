"""pymc-dice: graph-based neural MMMs trained with DICE, and attribution diagnostics.

The heavy modules (torch, pymc-marketing) load on first use:

>>> import pymc_dice
>>> pymc_dice.__version__
'0.1.0'
>>> from pymc_dice.simulate import sparse_target  # the submodule stays importable
>>> callable(pymc_dice.simulate)
True
"""

from importlib import import_module

# ``simulate`` is both a submodule and a function: bind the function eagerly (the simulator
# needs only numpy, pandas and xarray) so ``pymc_dice.simulate`` is always the function,
# whatever was imported before.
from pymc_dice.simulate import rawlog, rdt, simulate, sparse_target

__version__ = "0.1.0"

_LAZY = {
    "DiceMMM": "pymc_dice.mmm",
    "ModelConfig": "pymc_dice.config",
    "TrainerConfig": "pymc_dice.config",
    "attribution_tests": "pymc_dice.attribution",
    "compare": "pymc_dice.attribution",
}

__all__ = [*_LAZY, "simulate", "sparse_target", "rdt", "rawlog", "__version__"]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'pymc_dice' has no attribute {name!r}")
