"""`vidcore run CFG` (train, then validate and test as configured) and `vidcore test CFG CKPT`."""

from __future__ import annotations

import argparse
import os
import time

from ._config import add_config_arguments

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing: the CLI starts faster
if TYPE_CHECKING:
    from typing import Any


def add_run_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("run", help="train (and validate/test as configured) from a config")
    add_config_arguments(parser)
    parser.add_argument("--work-dir", help="where logs and checkpoints go (default: work_dirs/<config name>)")
    earlier_run = parser.add_mutually_exclusive_group()
    earlier_run.add_argument("--resume", nargs="?", const=True, default=None, metavar="CKPT",
                             help="resume from CKPT, or from the latest checkpoint in the work dir")
    earlier_run.add_argument("--overwrite", action="store_true",
                             help="start afresh in a work dir that holds an earlier run's checkpoints, replacing "
                                  "them as this run writes its own (without it such a run is refused)")
    parser.add_argument("--load-from", metavar="CKPT",
                        help="initialise the model weights from CKPT (a file or an http(s) URL, downloaded once)")
    parser.add_argument("--amp", action="store_true",
                        help="automatic mixed precision (float16 on CUDA, bfloat16 on CPU unless "
                             "optim_wrapper.dtype is set)")
    parser.add_argument("--seed", type=int, help="random seed")
    parser.add_argument("--deterministic", action="store_true", help="deterministic algorithms")
    parser.set_defaults(handler=run)


def add_test_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("test", help="evaluate a checkpoint on the test split")
    add_config_arguments(parser)
    parser.add_argument("checkpoint", metavar="CKPT", help="checkpoint file or http(s) URL (downloaded once)")
    parser.add_argument("--work-dir", help="where logs go")
    parser.add_argument("--dump", metavar="FILE", help="write predictions to FILE (.json or .pkl)")
    parser.add_argument("--dump-confusion", metavar="FILE",
                        help="write the confusion matrix to FILE (.csv or .npy; the ConfusionMatrix metric)")
    parser.set_defaults(handler=test)


def _load(args: argparse.Namespace) -> tuple[dict[str, Any], Any]:
    """The resolved config as a dict to adjust, and the Config it came from (which names each key's file).

    Also warns, one line per plugin, about installed plugins that failed to load (the run goes on; only a
    config that needs their components fails, with the cause).
    """
    from ...config import load_config
    from ...plugins import default_registry
    from ...plugins._manager import get_plugin_manager

    default_registry().ensure_loaded()
    get_plugin_manager().warn_failures()
    config = load_config(args.config, args.cfg_options)
    data = config.to_dict()
    if getattr(args, "work_dir", None):
        data["work_dir"] = args.work_dir
    return data, config


_OPTION_KEYS = {"work_dir": "--work-dir", "resume": "--resume", "load_from": "--load-from"}


def _locate(config: Any, args: argparse.Namespace) -> Any:
    """Where a key was set, for error messages: the command-line option that overrode it, else the config's file."""
    def locate(key_path: Any) -> str | None:
        option = _OPTION_KEYS.get(key_path[0]) if key_path else None
        if option and getattr(args, option[2:].replace("-", "_"), None) not in (None, False):
            return option
        return config.locate(key_path)

    return locate


def run(args: argparse.Namespace) -> int:
    from ...runner import Runner
    from ...runner._summary import run_summary

    started = time.monotonic()
    cfg, config = _load(args)
    if args.resume is not None:
        cfg["resume"] = args.resume
    if args.load_from:
        cfg["load_from"] = args.load_from
    if args.amp:
        wrapper = cfg.get("optim_wrapper")
        cfg["optim_wrapper"] = wrapper = dict(wrapper) if isinstance(wrapper, dict) else {}
        wrapper["type"] = "AmpOptimWrapper"
    if args.seed is not None or args.deterministic:
        randomness = cfg.get("randomness")
        cfg["randomness"] = randomness = dict(randomness) if isinstance(randomness, dict) else {}
        if args.seed is not None:
            randomness["seed"] = args.seed
        if args.deterministic:
            randomness["deterministic"] = True
    with Runner(config.with_data(cfg), locate=_locate(config, args)) as runner:
        runner.overwrite = args.overwrite
        runner.train()
        if runner.training_complete:  # resumed a finished run: the runner said so in one line; nothing ran
            return 0
        test_metrics = runner.test() if runner.test_loop_configured else None
        for line in run_summary(runner, time.monotonic() - started, test_metrics):
            runner.logger.info(line)
    return 0


def test(args: argparse.Namespace) -> int:
    from ..._checkpoint_url import is_url
    from ...errors import CheckpointError, ConfigError
    from ...evaluation._dump_results import DUMP_SUFFIXES

    if not is_url(args.checkpoint) and not os.path.isfile(args.checkpoint):
        raise CheckpointError(f"{args.checkpoint}: checkpoint file not found")
    if args.dump and os.path.splitext(args.dump)[1].lower() not in DUMP_SUFFIXES:
        raise ConfigError(f"--dump {args.dump}: expected a .json or .pkl file name")
    if args.dump_confusion and os.path.splitext(args.dump_confusion)[1].lower() not in (".csv", ".npy"):
        raise ConfigError(f"--dump-confusion {args.dump_confusion}: expected a .csv or .npy file name")
    from ...runner import Runner

    cfg, config = _load(args)
    cfg["load_from"] = args.checkpoint
    cfg["resume"] = False
    if args.dump_confusion and cfg.get("test_evaluator"):  # without one, the runner says that testing needs it
        configured = cfg["test_evaluator"]
        metric = {"type": "ConfusionMatrix", "out_file": os.path.abspath(args.dump_confusion)}
        cfg["test_evaluator"] = [*(configured if isinstance(configured, list) else [configured]), metric]
    with Runner(config.with_data(cfg), locate=_locate(config, args)) as runner:
        runner.strict_load_from = True  # testing weights that do not fit would report a random model's scores
        runner.test(dump=args.dump)
        if args.dump_confusion and cfg.get("test_evaluator"):
            runner.logger.info(f"confusion matrix (rows: true class, columns: predicted) written to "
                               f"{os.path.abspath(args.dump_confusion)}")
    return 0
