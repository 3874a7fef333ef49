"""pymc-dice: graph-based neural MMMs trained with DICE, and attribution diagnostics.

The heavy modules (torch, pymc-marketing) load on first use. ``pymc_dice.simulate`` is the
simulator module; its presets are also exported here:

>>> import pymc_dice
>>> pymc_dice.__version__
'0.1.0'
>>> import pymc_dice.simulate as sim
>>> sim.simulate is pymc_dice.simulate.simulate and sim.national is pymc_dice.national
True
"""

from importlib import import_module

from pymc_dice import simulate  # noqa: F401  (the module, whatever was imported before)
from pymc_dice.simulate import geo_panel, national, rawlog, rdt, sparse_target

__version__ = "0.1.0"

_LAZY = {
    "DiceMMM": "pymc_dice.mmm",
    "ModelConfig": "pymc_dice.config",
    "TrainerConfig": "pymc_dice.config",
    "attribution_tests": "pymc_dice.attribution",
    "compare": "pymc_dice.attribution",
}

__all__ = [
    *_LAZY,
    "geo_panel",
    "national",
    "rawlog",
    "rdt",
    "sparse_target",
    "__version__",
]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'pymc_dice' has no attribute {name!r}")
