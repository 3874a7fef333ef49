"""``python -m pymc_dice.bench SUITE [options]`` (see :mod:`pymc_dice.bench.cli`)."""

from pymc_dice.bench.cli import main

if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
