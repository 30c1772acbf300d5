"""`vidcore plot WORK_DIR [WORK_DIR ...] [--keys K ...] [--out F.png]`: training curves from the scalar logs."""

from __future__ import annotations

import argparse

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "plot", help="plot training curves from the JSON-lines scalar log(s) as a PNG",
        description="Plot training curves (x: train iteration) from each WORK_DIR's newest "
                    "<timestamp>/vis_data/scalars.json, or from the given log files. Needs matplotlib: "
                    "pip install matplotlib.")
    parser.add_argument("paths", nargs="+", metavar="WORK_DIR", help="work dir, run folder or scalars.json file")
    parser.add_argument("--keys", nargs="+", metavar="KEY",
                        help="keys to plot, one subplot each (default: every logged metric but timings)")
    parser.add_argument("--out", "-o", default="curves.png", metavar="F.png", help="output PNG (default: curves.png)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from ...plotting import plot_curves

    out = plot_curves(args.paths, args.out, keys=args.keys)
    print(f"wrote {out}")
    return 0
