"""pymc-dice: graph-based neural MMMs trained with DICE, and attribution diagnostics."""

__version__ = "0.1.0"
