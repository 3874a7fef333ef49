"""Command line: ``pymc-dice demo``, ``pymc-dice simulate``.

Examples
--------
>>> main(["simulate", "--help"])  # doctest: +SKIP
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

PRESETS = ("sparse_target", "rawlog")


def _simulate(preset: str, n_series: int, n_periods: int, seed: int):
    from pymc_dice import simulate

    return getattr(simulate, preset)(n_series=n_series, n_periods=n_periods, seed=seed)


MARKER = ".pymc-dice-output"


def _prepare_out(path: Path, overwrite: bool) -> Path:
    """Create ``path``; refuse a non-empty folder unless pymc-dice wrote it or ``overwrite``."""
    if path.exists() and not path.is_dir():
        raise SystemExit(f"error: {path} exists and is not a folder; choose another --out")
    ours = (path / MARKER).exists()
    if path.exists() and any(path.iterdir()) and not (ours or overwrite):
        raise SystemExit(
            f"error: {path} exists, is not empty and was not written by pymc-dice; "
            "pass --overwrite or choose another --out"
        )
    path.mkdir(parents=True, exist_ok=True)
    (path / MARKER).touch()
    return path


def cmd_simulate(args: argparse.Namespace) -> int:
    """Write a simulator preset to ``<out>/data.csv`` and its truth to ``<out>/truth.nc``."""
    out = _prepare_out(Path(args.out), args.overwrite)
    sim = _simulate(args.preset, args.n_series, args.n_periods, args.seed)
    sim.df.to_csv(out / "data.csv", index=False)
    sim.truth.to_netcdf(out / "truth.nc")
    print(f"wrote {out / 'data.csv'} ({len(sim.df)} rows) and {out / 'truth.nc'}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Simulate the default panel, summarise it and plot it with its true graph."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from pymc_dice.data import Panel, Roles

    out = _prepare_out(Path(args.out), args.overwrite)
    sim = _simulate("sparse_target", args.n_series, args.n_periods, args.seed)
    roles = Roles(**sim.roles)
    panel = Panel.from_frame(sim.df, roles)
    graph = sim.truth["graph"]
    edges = [
        f"{s} -> {t}"
        for s in graph.source.values
        for t in graph.target.values
        if graph.sel(source=s, target=t) > 0
    ]
    print(f"pymc-dice demo: sparse_target panel, {len(panel.series)} series x {len(panel.dates)} weeks")
    print(f"  channels:  {', '.join(roles.channel_columns)}")
    print(f"  mediators: {', '.join(roles.mediator_columns)}   target: {roles.target_column}")
    print(f"  true edges: {', '.join(edges)}")
    print("  true ROAS: " + ", ".join(f"{c}={v:.2f}" for c, v in sim.truth["roas"].to_series().items()))
    fig, axes = plt.subplots(1, 2, figsize=(12, 4))
    mean = sim.df.groupby("date")[list(roles.nodes)].mean()
    (mean / mean.max()).plot(ax=axes[0], lw=1)
    axes[0].set_title("node means over geos (max-scaled)")
    axes[0].legend(fontsize=7, ncol=2)
    axes[1].imshow(graph.values, cmap="Greys", vmin=0, vmax=1)
    axes[1].set_xticks(range(len(roles.nodes)), roles.nodes, rotation=60, fontsize=8)
    axes[1].set_yticks(range(len(roles.nodes)), roles.nodes, fontsize=8)
    axes[1].set_xlabel("target")
    axes[1].set_ylabel("source")
    axes[1].set_title("true graph")
    fig.tight_layout()
    fig.savefig(out / "panel.png", dpi=110)
    sim.df.to_csv(out / "data.csv", index=False)
    sim.truth.to_netcdf(out / "truth.nc")
    print(f"report written to {out.resolve()}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The ``pymc-dice`` argument parser."""
    parser = argparse.ArgumentParser(
        prog="pymc-dice",
        description="Graph-based neural MMMs (DICE) and attribution diagnostics for pymc-marketing.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="simulate the default panel and write a report")
    demo.add_argument("--out", default="dice-report", help="report folder (default: dice-report)")
    demo.add_argument("--n-series", type=int, default=96)
    demo.add_argument("--n-periods", type=int, default=104)
    demo.add_argument("--seed", type=int, default=0)
    demo.add_argument(
        "--overwrite", action="store_true", help="write into a non-empty folder not made by pymc-dice"
    )
    demo.set_defaults(func=cmd_demo)
    sim = sub.add_parser("simulate", help="write a simulator preset to CSV plus its truth")
    sim.add_argument("preset", choices=PRESETS)
    sim.add_argument("--out", required=True, help="output folder")
    sim.add_argument("--n-series", type=int, default=96)
    sim.add_argument("--n-periods", type=int, default=104)
    sim.add_argument("--seed", type=int, default=0)
    sim.add_argument("--overwrite", action="store_true", help="allow writing into a non-empty folder")
    sim.set_defaults(func=cmd_simulate)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``pymc-dice`` console script; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ValueError as err:  # bad data or arguments: one clear line, non-zero exit
        print(f"error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
