"""Runner overhead: the same model, data and number of steps through `vidcore.runner.Runner` and through a
bare hand-written PyTorch loop, interleaved in one process. Prints one JSON object.

    python benchmarks/overhead.py [--steps 100] [--repeats 5] [--hidden 1536] [--batch-size 64]

`ratio`: runner / bare time of the training loop itself (first to last iteration, data loading
included), the per-step overhead that matters for long runs; `ratio_with_setup` adds each side's
setup (the runner: building the dataloader, optimizer, schedulers, log dir, config dumps). Times are
CPU time of this process (`time.process_time`), which other processes on a shared machine disturb
far less than wall-clock time; the median of the repeats is reported.

The runner runs with its default hooks (runtime info, timer, logger every 10 iterations writing the
text log and JSON lines, param scheduler with a warmup, sampler seed) minus checkpointing, which the
bare loop does not do either. Both loops start from the same weights and see the same batches.
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import tempfile
import time
from typing import Any

import torch
from torch import nn
from vidcore.hooks import Hook
from vidcore.model import BaseModel
from vidcore.plugins._manager import PluginManager
from vidcore.registry import Registry
from vidcore.runner import Runner


class Samples(torch.utils.data.Dataset):
    """In-memory random vectors and labels, one dict per sample (the runner's data contract)."""

    def __init__(self, size: int, dim: int) -> None:
        generator = torch.Generator().manual_seed(0)
        self.inputs = torch.randn(size, dim, generator=generator)
        self.labels = torch.randint(0, 10, (size,), generator=generator)

    def __len__(self) -> int:
        return len(self.inputs)

    def __getitem__(self, index: int) -> dict[str, Any]:
        return {"inputs": self.inputs[index], "data_samples": int(self.labels[index])}


class MLP(BaseModel):
    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(dim, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                                 nn.Linear(hidden, 10))

    def forward(self, inputs: torch.Tensor, data_samples: Any = None, mode: str = "tensor") -> Any:
        logits = self.net(inputs)
        if mode == "loss":
            return {"loss": nn.functional.cross_entropy(logits, torch.as_tensor(data_samples))}
        return logits


def bare_loop(model: nn.Module, dataset: Samples, batch_size: int, lr: float) -> tuple[float, float]:
    """What one writes by hand: DataLoader, forward, loss, backward, step (with the same warmup).
    Returns (total, loop) seconds."""
    start = time.process_time()
    generator = torch.Generator().manual_seed(0)
    loader = torch.utils.data.DataLoader(dataset, batch_size=batch_size, shuffle=True, generator=generator)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    warmup = torch.optim.lr_scheduler.LinearLR(optimizer, start_factor=0.1, total_iters=9)
    model.train()
    loop_start = time.process_time()
    for batch in loader:
        loss = nn.functional.cross_entropy(model.net(batch["inputs"]), batch["data_samples"])
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        warmup.step()
    end = time.process_time()
    return end - start, end - loop_start


class LoopTimer(Hook):
    """Times the runner's training loop: from the first `before_train` hook to the last `after_train` one."""

    def before_train(self, runner: Any) -> None:
        self.start = time.process_time()

    def after_train(self, runner: Any) -> None:
        self.seconds = time.process_time() - self.start


def runner_loop(model: nn.Module, dataset: Samples, batch_size: int, lr: float,
                registry: Registry) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as work_dir:
        cfg = {
            "model": model,
            "work_dir": work_dir,
            "train_dataloader": {"batch_size": batch_size, "dataset": dataset,
                                 "sampler": {"type": "DefaultSampler", "shuffle": True}},
            "optim_wrapper": {"optimizer": {"type": "SGD", "lr": lr, "momentum": 0.9}},
            "param_scheduler": [{"type": "LinearLR", "start_factor": 0.1, "by_epoch": False, "end": 10}],
            "train_cfg": {"type": "EpochBasedTrainLoop", "max_epochs": 1},
            "default_hooks": {"checkpoint": None, "logger": {"interval": 10, "progress_bar": False}},
            "randomness": {"seed": 0},
            "log_level": "WARNING",
        }
        start = time.process_time()
        runner = Runner(cfg, registry=registry)
        timer = LoopTimer()
        runner.register_hook(timer, "HIGHEST")
        runner.train()
        return time.process_time() - start, timer.seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--dim", type=int, default=512)
    parser.add_argument("--hidden", type=int, default=1536)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (1: least noise)")
    parser.add_argument("--quick", action="store_true", help="tiny CI smoke size (10 steps, 1 repeat)")
    args = parser.parse_args()
    if args.quick:
        args.steps, args.repeats, args.hidden = 10, 1, 256
    torch.set_num_threads(args.threads)
    registry = Registry(loader=PluginManager(allow=[], block=[]).register_into)
    dataset = Samples(args.steps * args.batch_size, args.dim)
    torch.manual_seed(0)
    initial = MLP(args.dim, args.hidden)
    lr = 0.01

    runner_loop(copy.deepcopy(initial), dataset, args.batch_size, lr, registry)  # warm up imports and kernels
    bare_runs, runner_runs = [], []
    for _ in range(args.repeats):
        bare_runs.append(bare_loop(copy.deepcopy(initial), dataset, args.batch_size, lr))
        runner_runs.append(runner_loop(copy.deepcopy(initial), dataset, args.batch_size, lr, registry))
    bare_total, bare = (statistics.median(run[index] for run in bare_runs) for index in (0, 1))
    runner_total, runner = (statistics.median(run[index] for run in runner_runs) for index in (0, 1))
    print(json.dumps({
        "ratio": round(runner / bare, 4),
        "overhead_percent": round((runner / bare - 1) * 100, 2),
        "ratio_with_setup": round(runner_total / bare_total, 4),
        "bare_step_ms": round(bare / args.steps * 1000, 3),
        "runner_step_ms": round(runner / args.steps * 1000, 3),
        "runner_setup_ms": round((runner_total - runner) * 1000, 1),
        "bare_loop_seconds": [round(run[1], 3) for run in bare_runs],
        "runner_loop_seconds": [round(run[1], 3) for run in runner_runs],
        "steps": args.steps,
        "repeats": args.repeats,
        "batch_size": args.batch_size,
        "device": "cpu",
        "threads": args.threads,
        "torch": str(torch.__version__),
    }))


if __name__ == "__main__":
    main()
