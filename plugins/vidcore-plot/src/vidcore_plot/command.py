"""`vidcore plot WORK_DIR [WORK_DIR ...] [--keys K ...] [--out F.png]`: training curves from the scalar logs."""

from __future__ import annotations

import argparse

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "plot", help="plot training curves from the JSON-lines scalar log(s) as a PNG",
        description="Plot training curves (x: train iteration) of each WORK_DIR: the scalar logs "
                    "(<timestamp>/vis_data/scalars.json) of its training runs as one history across resumes, "
                    "leaving out test-only runs; or of a run folder or log file as given. Needs matplotlib: "
                    "pip install matplotlib.")
    parser.add_argument("paths", nargs="+", metavar="WORK_DIR", help="work dir, run folder or scalars.json file")
    parser.add_argument("--keys", nargs="+", metavar="KEY",
                        help="keys to plot, one subplot each (default: every logged metric but timings)")
    parser.add_argument("--out", "-o", metavar="F.png",
                        help="output PNG (default: curves.png in the work dir when one is given, else here)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from .plotting import plot_curves

    out = plot_curves(args.paths, args.out, keys=args.keys)
    print(f"wrote {out}")
    return 0
