"""`vidcore run CFG` (train, then validate and test as configured) and `vidcore test CFG CKPT`."""

from __future__ import annotations

import argparse

from .config import add_config_arguments


def add_run_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("run", help="train (and validate/test as configured) from a config")
    add_config_arguments(parser)
    parser.add_argument("--work-dir", help="where logs and checkpoints go (default: work_dirs/<config name>)")
    parser.add_argument("--resume", nargs="?", const=True, default=None, metavar="CKPT",
                        help="resume from CKPT, or from the latest checkpoint in the work dir")
    parser.add_argument("--load-from", metavar="CKPT", help="initialise the model weights from CKPT")
    parser.add_argument("--amp", action="store_true", help="automatic mixed precision")
    parser.add_argument("--seed", type=int, help="random seed")
    parser.add_argument("--deterministic", action="store_true", help="deterministic algorithms")
    parser.set_defaults(handler=run)


def add_test_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("test", help="evaluate a checkpoint on the test split")
    add_config_arguments(parser)
    parser.add_argument("checkpoint", metavar="CKPT", help="checkpoint file")
    parser.add_argument("--work-dir", help="where logs go")
    parser.add_argument("--dump", metavar="FILE", help="write predictions to FILE (.json or .pkl)")
    parser.set_defaults(handler=test)


def _load(args: argparse.Namespace):
    from ...config import load_config

    cfg = load_config(args.config, args.cfg_options).to_dict()
    if getattr(args, "work_dir", None):
        cfg["work_dir"] = args.work_dir
    return cfg


def run(args: argparse.Namespace) -> int:
    from ...runner import Runner

    cfg = _load(args)
    if args.resume is not None:
        cfg["resume"] = args.resume
    if args.load_from:
        cfg["load_from"] = args.load_from
    if args.amp:
        wrapper = cfg.setdefault("optim_wrapper", {})
        wrapper["type"] = "AmpOptimWrapper"
    if args.seed is not None or args.deterministic:
        randomness = cfg.setdefault("randomness", {})
        if args.seed is not None:
            randomness["seed"] = args.seed
        if args.deterministic:
            randomness["deterministic"] = True
    runner = Runner.from_cfg(cfg, filename=args.config)
    runner.train()
    if runner.test_loop_configured:
        runner.test()
    return 0


def test(args: argparse.Namespace) -> int:
    from ...runner import Runner

    cfg = _load(args)
    cfg["load_from"] = args.checkpoint
    cfg["resume"] = False
    runner = Runner.from_cfg(cfg, filename=args.config)
    runner.test(dump=args.dump)
    return 0
