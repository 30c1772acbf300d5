"""`vidcore infer CFG CKPT VIDEO... [--topk K]`: top-k classes per video with a trained recognizer."""

from __future__ import annotations

import argparse
import json

__all__ = ["add_infer_command"]


def add_infer_command(subparsers: argparse._SubParsersAction) -> None:
    """Register the `infer` subcommand (heavy modules are imported when it runs, not here)."""
    parser = subparsers.add_parser("infer", help="top-k classes of videos with a trained recognizer")
    parser.add_argument("config", metavar="CFG", help="the model's config (YAML); its test pipeline is used")
    parser.add_argument("checkpoint", metavar="CKPT", help="checkpoint file")
    parser.add_argument("videos", metavar="VIDEO", nargs="+", help="video files")
    parser.add_argument("--topk", type=int, default=5, help="classes to print per video (default: 5)")
    parser.add_argument("--device", default="cpu", help="torch device (default: cpu)")
    parser.add_argument("--label-file", help="class names, one per line (default: from the checkpoint or config)")
    parser.add_argument("--json", action="store_true", help="print one JSON object per video")
    parser.add_argument("--cfg-options", nargs="+", default=[], metavar="KEY=VALUE", help="override config keys")
    parser.set_defaults(handler=run_infer)


def run_infer(args: argparse.Namespace) -> int:
    from vidcore import ConfigError

    from .inference import inference_recognizer, init_recognizer, read_label_file

    if args.topk < 1:
        raise ConfigError(f"--topk: expected a positive number, got {args.topk}")
    names = read_label_file(args.label_file, "--label-file") if args.label_file else None
    model = init_recognizer(args.config, args.checkpoint, device=args.device, cfg_options=args.cfg_options,
                            class_names=names)
    for prediction in inference_recognizer(model, args.videos, topk=args.topk):
        if args.json:
            top = [{"label": label, "score": score, "name": name} for label, score, name in prediction.topk]
            print(json.dumps({"video": prediction.video, "topk": top}))
            continue
        print(prediction.video)
        for label, score, name in prediction.topk:
            print(f"  {score:.4f}  {name if name is not None else f'class {label}'}")
    return 0
