"""TSN training throughput (clips/s) through vidcore's Runner: the shipped TSN-R50 1x1x8 recipe (PyAV
decoding, MultiScaleCrop 224, flip) on benchmark videos, on the GPU when there is one, else the CPU.

    python benchmarks/train_throughput.py [--amp] [--channels-last] [--workers N] [--batch-size N]
                                          [--iters N] [--warmup N] [--depth 50] [--model tsn|tsm]

`--model tsm` runs the TSM-R50 1x1x8 recipe (vidcore-tsm) instead.

Defaults: 8 workers, batch 32, 5 + 30 iterations on a GPU; on a CPU (about 3 s per clip for ResNet-50),
batch 8, 2 + 6 iterations and at most one worker per core.

`end_to_end` is the training loop as `vidcore run` runs it (data loading, preprocessing on the device,
forward, backward, step) after `--warmup` iterations; `data_wait_fraction` is the share of that time the
loop waited for the DataLoader. `model_only` repeats one preloaded batch through the same `train_step`, the
ceiling that faster data loading could reach. Weights are random (no download). Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from vidcore.hooks import Hook

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pipeline import training_videos, write_annotations  # noqa: E402

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
RECIPES = {"tsn": CONFIGS / "tsn" / "tsn_r50_1x1x8_100e_kinetics400.yaml",
           "tsm": CONFIGS / "tsm" / "tsm_imagenet-pretrained-r50_8xb16-1x1x8-50e_kinetics400-rgb.yaml"}


def synchronize(device: Any) -> None:
    """Wait for queued GPU work, so that a clock reading covers it."""
    import torch

    if device.type == "cuda":
        torch.cuda.synchronize(device)


class LoopClock(Hook):
    """Times iterations `warmup` + 1 .. `total` of training, and the part of it spent waiting for data. The GPU
    is synchronised only at the two ends, so the loop keeps its usual overlap of data loading and compute."""

    priority = "LOWEST"

    def __init__(self, warmup: int, total: int) -> None:
        self.warmup, self.total = warmup, total
        self.start = self.end = self._last_end = 0.0
        self.waiting = 0.0

    def before_train_iter(self, runner: Any, batch_idx: int, data_batch: Any = None) -> None:
        if runner.iter >= self.warmup:
            self.waiting += time.perf_counter() - self._last_end

    def after_train_iter(self, runner: Any, batch_idx: int, data_batch: Any = None, outputs: Any = None) -> None:
        done = runner.iter + 1
        if done in (self.warmup, self.total):
            synchronize(runner.device)
        self._last_end = time.perf_counter()
        if done == self.warmup:
            self.start = self._last_end
        elif done == self.total:
            self.end = self._last_end


def train_cfg(args: argparse.Namespace, ann_file: Path, work_dir: str) -> dict[str, Any]:
    """The recipe, with random weights, an iteration-based loop, no validation/test/checkpoints, our data."""
    import torch
    from vidcore.config import load_config

    cfg = load_config(RECIPES[args.model]).to_dict()
    cfg["model"]["backbone"].update(pretrained=None, depth=args.depth, channels_last=args.channels_last)
    cfg["model"]["cls_head"]["in_channels"] = 2048 if args.depth >= 50 else 512
    if args.amp:
        cfg["optim_wrapper"].update(type="AmpOptimWrapper", dtype="bfloat16")
    loader = cfg["train_dataloader"]
    loader.update(batch_size=args.batch_size, num_workers=args.workers, persistent_workers=args.workers > 0,
                  pin_memory=args.workers > 0 and torch.cuda.is_available())
    loader["dataset"].update(ann_file=str(ann_file), data_prefix={"video": ""})
    for key in ("val_dataloader", "val_cfg", "val_evaluator", "test_dataloader", "test_cfg", "test_evaluator"):
        cfg[key] = None
    cfg.update(
        work_dir=work_dir,
        train_cfg={"type": "IterBasedTrainLoop", "max_iters": args.warmup + args.iters},
        param_scheduler=[],
        default_hooks={"checkpoint": None, "logger": {"interval": 10**6, "progress_bar": False}},
        randomness={"seed": 0},
        log_level="WARNING",
    )
    return cfg


def model_only(runner: Any, batch: Any, warmup: int, iters: int) -> float:
    """Clips/s of `train_step` on one batch already in memory (no data loading)."""
    for _ in range(warmup):
        runner.train_step(batch)
    synchronize(runner.device)
    start = time.perf_counter()
    for _ in range(iters):
        runner.train_step(batch)
    synchronize(runner.device)
    return len(batch["inputs"]) * iters / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--amp", action="store_true", help="AmpOptimWrapper with bfloat16 autocast")
    parser.add_argument("--channels-last", action="store_true", help="backbone.channels_last: true")
    parser.add_argument("--workers", type=int, default=None, help="DataLoader workers (8; on a CPU, at most its cores)")
    parser.add_argument("--batch-size", type=int, default=None, help="32 on a GPU, 8 on a CPU")
    parser.add_argument("--iters", type=int, default=None, help="timed iterations (30 on a GPU, 6 on a CPU)")
    parser.add_argument("--warmup", type=int, default=None, help="untimed iterations first (5 on a GPU, 2 on a CPU)")
    parser.add_argument("--depth", type=int, default=50, choices=(18, 34, 50, 101, 152), help="ResNet depth")
    parser.add_argument("--model", default="tsn", choices=sorted(RECIPES), help="the 1x1x8 R50 recipe to train")
    parser.add_argument("--quick", action="store_true", help="tiny CI smoke size (ResNet-18, 2 x 2 clips)")
    args = parser.parse_args()

    import torch

    if args.quick:
        args.depth, args.batch_size, args.iters, args.warmup, args.workers = 18, 2, 2, 1, 0
    gpu = torch.cuda.is_available()
    defaults = {"workers": 8 if gpu else min(8, os.cpu_count() or 1), "batch_size": 32 if gpu else 8,
                "iters": 30 if gpu else 6, "warmup": 5 if gpu else 2}
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    if args.warmup < 1 or args.iters < 1:
        parser.error("--warmup and --iters must be at least 1")

    from vidcore.runner import Runner

    videos = training_videos(args.quick)
    samples = args.batch_size * (args.warmup + args.iters)
    with tempfile.TemporaryDirectory() as folder:
        ann_file = Path(folder) / "train.txt"
        write_annotations(ann_file, videos, samples)
        runner = Runner(train_cfg(args, ann_file, folder), filename=str(RECIPES[args.model]))
        clock = LoopClock(args.warmup, args.warmup + args.iters)
        runner.register_hook(clock)
        runner.train()
        seconds = clock.end - clock.start
        batch = next(iter(runner.train_dataloader))
        report = {
            "benchmark": "train_throughput",
            "quick": args.quick,
            "model": f"{args.model.upper()} ResNet-{args.depth}, 8 segments x 224x224, random weights",
            "device": torch.cuda.get_device_name(runner.device) if runner.device.type == "cuda" else
                      f"cpu ({platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
                      f"{torch.get_num_threads()} torch threads)",
            "amp": "bfloat16" if args.amp else None,
            "channels_last": args.channels_last,
            "workers": args.workers,
            "batch_size": args.batch_size,
            "timed_iters": args.iters,
            "end_to_end_clips_per_s": round(args.batch_size * args.iters / seconds, 2),
            "data_wait_fraction": round(clock.waiting / seconds, 3),
            "model_only_clips_per_s": round(model_only(runner, batch, 1, max(args.iters // 3, 1)), 2),
            "torch": torch.__version__,
        }
    print(json.dumps(report))


if __name__ == "__main__":
    main()
