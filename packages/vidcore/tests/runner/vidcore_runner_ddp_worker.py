"""Run by test_distributed.py under `torchrun --nproc_per_node 2`: trains the toy model, saves its weights."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))

from vidcore.runner import Runner  # noqa: E402
from vidcore_runner_toys import make_cfg, make_registry, model_weights  # noqa: E402


def ddp_cfg(work_dir: str, batch_size: int) -> dict:
    """Deterministic across world sizes: no dropout, no augmentation noise."""
    return make_cfg(
        Path(work_dir),
        model={"type": "ToyModel", "dropout": 0.0},
        train_dataloader={"batch_size": batch_size, "dataset": {"type": "ToyDataset", "noise": 0.0},
                          "sampler": {"type": "DefaultSampler", "shuffle": True}},
        train_cfg={"type": "EpochBasedTrainLoop", "max_epochs": 2},
        default_hooks={"logger": {"interval": 1}},
    )


def main(work_dir: str, output: str) -> None:
    runner = Runner(ddp_cfg(work_dir, batch_size=2), registry=make_registry())
    runner.train()
    if runner.rank == 0:
        torch.save(model_weights(runner), output)
        Path(output).with_suffix(".json").write_text(json.dumps({"world_size": runner.world_size,
                                                                 "distributed": runner.distributed}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
