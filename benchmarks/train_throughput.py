"""TSN training throughput (clips/s) through vidcore's Runner: the shipped TSN-R50 1x1x8 recipe (PyAV
decoding, MultiScaleCrop 224, flip) on benchmark videos, on the GPU when there is one, else the CPU.

    python benchmarks/train_throughput.py [--amp [--amp-dtype float16]] [--memory-format F] [--workers N]
        [--batch-size N] [--iters N] [--warmup N] [--depth 50] [--compare-bare [--rounds N]] [--profile]
        [--data-in-memory] [--model-only] [--model tsn|tsm|i3d|r2plus1d_18]

`--model tsm` runs the TSM-R50 1x1x8 recipe (vidcore-tsm) instead of TSN's; `--model i3d` the I3D-R50
32x2x1 recipe and `--model r2plus1d_18` the R(2+1)D-18 16x2x1 one (vidcore-video3d; 3D clips, `--depth` applies
to I3D only).

Defaults: 8 workers, batch 32, 5 + 30 iterations on a GPU; on a CPU (about 3 s per clip for ResNet-50),
batch 8, 2 + 6 iterations and at most one worker per core.

`--memory-format`: `channels_last` (the default: FormatShape's channels-last frames and
`backbone.channels_last: true`), `input_channels_last` (channels-last frames, the backbone's weights left
NCHW: what a recipe without `channels_last` gets) or `nchw` (frames made NCHW-contiguous, NCHW weights).

`end_to_end` is the training loop as `vidcore run` runs it (data loading, preprocessing on the device,
forward, backward, step) after `--warmup` iterations; `data_wait_fraction` is the share of that time the
loop waited for the DataLoader. `--data-in-memory` serves a few decoded samples from memory (through the
same workers, collate, pinning and copies), so that the loop runs at the model's pace where decoding could
not keep up. `model_only` repeats one preloaded batch through the same `train_step`, the ceiling that faster
data loading could reach. `--compare-bare` times, in the same process, a hand-written PyTorch loop of the
same network (torchvision ResNet, segment consensus, cross-entropy, clip_grad, SGD) on the same batch,
precision and memory format, and prints vidcore/bare (best of `--rounds` turns each). `--profile` adds a
torch.profiler summary of one step of each: device (kernel) time against wall time, host-device
synchronisations and copies, the costliest kernels. Weights are random (no download). Prints one JSON object.
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
           "tsm": CONFIGS / "tsm" / "tsm_imagenet-pretrained-r50_8xb16-1x1x8-50e_kinetics400-rgb.yaml",
           "i3d": CONFIGS / "video3d" / "i3d_imagenet-pretrained-r50_8xb8-32x2x1-100e_kinetics400-rgb.yaml",
           "r2plus1d_18": CONFIGS / "video3d" / "r2plus1d-18_torchvision-k400-pre_8xb8-16x2x1-20e_kinetics400-rgb.yaml"}
INPUTS = {"tsn": "8 segments x 224x224", "tsm": "8 segments x 224x224", "i3d": "clips of 32 x 224x224",
          "r2plus1d_18": "clips of 16 x 112x112"}
MEMORY_FORMATS = ("channels_last", "input_channels_last", "nchw")
IN_MEMORY_SAMPLES = 64


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


class InMemoryDataset:
    """The first `samples` items of a dataset, produced once in the main process (so forked workers share
    them) and served in turn: the DataLoader path without the decoding."""

    def __init__(self, dataset: Any, samples: int) -> None:
        inner = dataset  # the registry builds the nested dataset config
        self.collate_fn = getattr(inner, "collate_fn", None)
        self.items = [inner[index % len(inner)] for index in range(samples)]
        self.length = len(inner)

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, index: int) -> Any:
        return self.items[index % len(self.items)]


def train_cfg(args: argparse.Namespace, ann_file: Path, work_dir: str) -> dict[str, Any]:
    """The recipe, with random weights, an iteration-based loop, no validation/test/checkpoints, our data."""
    from vidcore.config import load_config

    cfg = load_config(RECIPES[args.model]).to_dict()
    channels_last = args.memory_format == "channels_last"
    if cfg["model"]["backbone"]["type"] == "TorchvisionVideo":
        cfg["model"]["backbone"].update(pretrained=None, channels_last=channels_last)
        cfg["model"]["cls_head"].pop("init_cfg", None)  # torchvision's classifier: not downloaded
    else:
        cfg["model"]["backbone"].update(pretrained=None, depth=args.depth, channels_last=channels_last)
        cfg["model"]["cls_head"]["in_channels"] = 2048 if args.depth >= 50 else 512
    if args.amp:
        cfg["optim_wrapper"].update(type="AmpOptimWrapper", dtype=args.amp_dtype)
    loader = cfg["train_dataloader"]
    loader.update(batch_size=args.batch_size, num_workers=args.workers, persistent_workers=args.workers > 0)
    loader["dataset"].update(ann_file=str(ann_file), data_prefix={"video": ""})
    if args.data_in_memory:
        loader["dataset"] = {"type": "InMemoryDataset", "dataset": loader["dataset"], "samples": IN_MEMORY_SAMPLES}
    for key in ("val_dataloader", "val_cfg", "val_evaluator", "test_dataloader", "test_cfg", "test_evaluator"):
        cfg[key] = None
    cfg.update(
        work_dir=work_dir,
        train_cfg={"type": "IterBasedTrainLoop", "max_iters": 1 if args.model_only else args.warmup + args.iters},
        param_scheduler=[],
        default_hooks={"checkpoint": None, "logger": {"interval": 10**6, "progress_bar": False}},
        randomness={"seed": 0},
        log_level="WARNING",
    )
    return cfg


def as_memory_format(batch: dict[str, Any], memory_format: str) -> dict[str, Any]:
    """The batch with its frames NCHW-contiguous for `nchw` (as FormatShape laid them out before it kept the
    frames channels-last), pinned again when it was."""
    if memory_format != "nchw":
        return batch
    inputs = batch["inputs"]
    frames = inputs.contiguous()
    return {**batch, "inputs": frames.pin_memory() if inputs.is_pinned() else frames}


def time_steps(step: Any, device: Any, warmup: int, iters: int) -> float:
    """Seconds per call of `step()`, after `warmup` calls, the device synchronised at both ends."""
    for _ in range(warmup):
        step()
    synchronize(device)
    start = time.perf_counter()
    for _ in range(iters):
        step()
    synchronize(device)
    return (time.perf_counter() - start) / iters


class BareLoop:
    """A hand-written training step of the same network as the recipe's TSN: torchvision's ResNet with a
    `num_classes` fc, scores averaged over the segments, cross-entropy, clip_grad_norm_ 40, SGD; the batch's
    uint8 frames copied to the device (non-blocking when pinned) and normalised there. Under `amp`, autocast
    (and a GradScaler for float16)."""

    def __init__(self, args: argparse.Namespace, device: Any, num_classes: int) -> None:
        import torch
        import torchvision

        self.torch = torch
        self.device = device
        self.model = getattr(torchvision.models, f"resnet{args.depth}")(num_classes=num_classes).to(device)
        self.channels_last = args.memory_format != "nchw"
        if self.channels_last:
            self.model.to(memory_format=torch.channels_last)
        self.model.train()
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4)
        self.dtype = {"bfloat16": torch.bfloat16, "float16": torch.float16}[args.amp_dtype] if args.amp else None
        self.scaler = torch.amp.GradScaler(device.type) if self.dtype is torch.float16 else None
        self.mean = torch.tensor([123.675, 116.28, 103.53], device=device).view(-1, 1, 1)
        self.std = torch.tensor([58.395, 57.12, 57.375], device=device).view(-1, 1, 1)

    def step(self, frames: Any, labels: Any) -> None:
        torch = self.torch
        inputs = frames.to(self.device, non_blocking=True).flatten(0, 1).float().sub_(self.mean).div_(self.std)
        if self.channels_last:
            inputs = inputs.contiguous(memory_format=torch.channels_last)
        targets = labels.to(self.device, non_blocking=True)
        with torch.autocast(self.device.type, dtype=self.dtype or torch.float32, enabled=self.dtype is not None):
            scores = self.model(inputs).view(len(targets), -1, self.model.fc.out_features).mean(dim=1)
            loss = torch.nn.functional.cross_entropy(scores.float(), targets)
        if self.scaler is not None:
            self.scaler.scale(loss).backward()
            self.scaler.unscale_(self.optimizer)
        else:
            loss.backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), max_norm=40)
        if self.scaler is not None:
            self.scaler.step(self.optimizer)
            self.scaler.update()
        else:
            self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)


def profile_summary(step: Any, device: Any) -> dict[str, Any]:
    """torch.profiler over one warm step: wall and device (kernel) time, synchronisations, host-device copies
    and the costliest kernels."""
    import torch
    from torch.profiler import ProfilerActivity, profile

    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if device.type == "cuda" else [])
    step()
    synchronize(device)
    with profile(activities=activities) as prof:
        start = time.perf_counter()
        step()
        synchronize(device)
        wall = time.perf_counter() - start
    events = prof.events()
    kernels: dict[str, float] = {}
    copies = syncs = scalar_reads = 0
    for event in events:
        name = event.name
        if event.device_type == torch.autograd.DeviceType.CUDA:
            if name.startswith("Memcpy HtoD"):
                copies += 1
            elif not name.startswith("Memcpy") and not name.startswith("Memset"):
                kernels[name] = kernels.get(name, 0.0) + event.device_time_total / 1e3
        elif name in ("cudaStreamSynchronize", "cudaDeviceSynchronize", "cudaEventSynchronize"):
            syncs += 1
        elif name == "aten::_local_scalar_dense":
            scalar_reads += 1
    top = sorted(kernels.items(), key=lambda item: -item[1])[:6]
    return {
        "wall_ms": round(wall * 1e3, 2),
        "device_kernel_ms": round(sum(kernels.values()), 2),
        "syncs": syncs,  # counted on CUDA; the final synchronize of the measurement is one of them
        "scalar_reads": scalar_reads,  # item()/bool()/float() of a tensor: a synchronisation on a GPU
        "host_to_device_copies": copies,
        "top_kernels_ms": {name[:90]: round(ms, 2) for name, ms in top},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--amp", action="store_true", help="AmpOptimWrapper (autocast; bfloat16 unless --amp-dtype)")
    parser.add_argument("--amp-dtype", choices=("bfloat16", "float16"), default="bfloat16")
    parser.add_argument("--memory-format", choices=MEMORY_FORMATS, default="channels_last")
    parser.add_argument("--channels-last", action="store_true", help="the same as --memory-format channels_last")
    parser.add_argument("--workers", type=int, default=None, help="DataLoader workers (8; on a CPU, at most its cores)")
    parser.add_argument("--batch-size", type=int, default=None, help="32 on a GPU, 8 on a CPU")
    parser.add_argument("--iters", type=int, default=None, help="timed iterations (30 on a GPU, 6 on a CPU)")
    parser.add_argument("--warmup", type=int, default=None, help="untimed iterations first (5 on a GPU, 2 on a CPU)")
    parser.add_argument("--depth", type=int, default=50, choices=(18, 34, 50, 101, 152), help="ResNet depth")
    parser.add_argument("--model", default="tsn", choices=sorted(RECIPES), help="the recipe to train")
    parser.add_argument("--compare-bare", action="store_true", help="also time a hand-written PyTorch loop")
    parser.add_argument("--rounds", type=int, default=1, help="with --compare-bare: turns of bare and vidcore "
                        "timings; the best of each is compared (more rounds for a loaded machine)")
    parser.add_argument("--profile", action="store_true", help="torch.profiler summary of one step of each")
    parser.add_argument("--data-in-memory", action="store_true", help=f"serve {IN_MEMORY_SAMPLES} decoded samples "
                        "from memory instead of decoding each batch")
    parser.add_argument("--model-only", action="store_true", help="skip the end-to-end loop")
    parser.add_argument("--quick", action="store_true", help="tiny CI smoke size (ResNet-18, 2 x 2 clips)")
    args = parser.parse_args()
    if args.model != "tsn" and args.compare_bare:
        parser.error("--compare-bare's hand-written loop is TSN's network; use it with --model tsn")
    if args.channels_last:
        args.memory_format = "channels_last"
    if args.memory_format == "nchw":  # the pipeline's frames are channels-last: only the preloaded batch is converted
        args.model_only = True

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

    import vidcore
    from vidcore.runner import Runner

    vidcore.register("datasets", force=True)(InMemoryDataset)
    videos = training_videos(args.quick)
    samples = args.batch_size * (args.warmup + args.iters)
    with tempfile.TemporaryDirectory() as folder:
        ann_file = Path(folder) / "train.txt"
        write_annotations(ann_file, videos, samples)
        runner = Runner(train_cfg(args, ann_file, folder), filename=str(RECIPES[args.model]))
        clock = LoopClock(args.warmup, args.warmup + args.iters)
        runner.register_hook(clock)
        runner.train()
        batch = as_memory_format(next(iter(runner.train_dataloader)), args.memory_format)
        device = runner.device
        model_iters = max(args.iters // 3, 1) if not gpu else args.iters
        vidcore_step = time_steps(lambda: runner.train_step(batch), device, 1, model_iters)
        report: dict[str, Any] = {
            "benchmark": "train_throughput",
            "quick": args.quick,
            "model": (f"{args.model.upper()} ResNet-{args.depth}" if args.model != "r2plus1d_18" else "R(2+1)D-18")
                     + f", {INPUTS[args.model]}, random weights",
            "device": torch.cuda.get_device_name(device) if device.type == "cuda" else
                      f"cpu ({platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
                      f"{torch.get_num_threads()} torch threads)",
            "amp": args.amp_dtype if args.amp else None,
            "memory_format": args.memory_format,
            "workers": args.workers,
            "batch_size": args.batch_size,
            "data_in_memory": args.data_in_memory,
            "timed_iters": args.iters,
            "pinned_batch": bool(batch["inputs"].is_pinned()),
            "model_only_clips_per_s": round(args.batch_size / vidcore_step, 2),
        }
        if not args.model_only:
            seconds = clock.end - clock.start
            end_to_end = args.batch_size * args.iters / seconds
            report.update(end_to_end_clips_per_s=round(end_to_end, 2),
                          data_wait_fraction=round(clock.waiting / seconds, 3),
                          end_to_end_vs_model_only=round(end_to_end * vidcore_step / args.batch_size, 3))
        if args.compare_bare:
            labels = torch.cat([sample.gt_label for sample in batch["data_samples"]])
            labels = labels.pin_memory() if batch["inputs"].is_pinned() else labels
            num_classes = runner.cfg["model"]["cls_head"]["num_classes"]
            bare = BareLoop(args, device, num_classes)
            bare_steps, vidcore_steps = [], [vidcore_step]
            for index in range(args.rounds):  # taking turns, so that other load on the machine hits both alike
                bare_steps.append(time_steps(lambda: bare.step(batch["inputs"], labels), device, 3 if index == 0 else 1,
                                             model_iters))
                vidcore_steps.append(time_steps(lambda: runner.train_step(batch), device, 1, model_iters))
            report.update(bare_model_only_clips_per_s=round(args.batch_size / min(bare_steps), 2),
                          vidcore_vs_bare_model_only=round(min(bare_steps) / min(vidcore_steps), 3),
                          vidcore_model_only_clips_per_s_second_run=round(args.batch_size / vidcore_steps[1], 2),
                          rounds=args.rounds)
        if args.profile:
            report["profile_vidcore"] = profile_summary(lambda: runner.train_step(batch), device)
            if args.compare_bare:
                report["profile_bare"] = profile_summary(lambda: bare.step(batch["inputs"], labels), device)
        report["torch"] = torch.__version__
    print(json.dumps(report))


if __name__ == "__main__":
    main()
