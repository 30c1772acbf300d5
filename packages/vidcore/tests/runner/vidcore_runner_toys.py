"""Toy components for the runner tests: a tiny classifier, a random-tensor dataset, an accuracy metric.

Also the `custom_imports` module of the CLI tests: importing it registers the toys eagerly in the
default registry (`vidcore.register`). In-process tests use `make_registry()` instead, a registry of
their own (the core's built-ins plus these), so nothing leaks between tests.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from vidcore.evaluation import BaseMetric
from vidcore.model import BaseModel
from vidcore.plugins._manager import PluginManager
from vidcore.registry import Registry

torch.set_num_threads(1)  # the test machine is shared; one thread is faster and deterministic


class ToyDataset(torch.utils.data.Dataset):
    """`size` random vectors with a linearly separable label; `noise` adds augmentation drawn from the
    global torch and numpy generators (so resuming must restore them)."""

    def __init__(self, size: int = 24, dim: int = 4, seed: int = 0, noise: float = 0.05) -> None:
        generator = torch.Generator().manual_seed(seed)
        self.inputs = torch.randn(size, dim, generator=generator)
        self.labels = (self.inputs.sum(1) > 0).long()
        self.noise = noise

    def __len__(self) -> int:
        return len(self.inputs)

    def __getitem__(self, index: int) -> dict[str, Any]:
        inputs = self.inputs[index]
        if self.noise:
            inputs = inputs + self.noise * torch.randn(inputs.shape) + self.noise * float(np.random.randn())
        return {"inputs": inputs, "data_samples": {"label": int(self.labels[index]), "index": index}}


class ToyModel(BaseModel):
    """Linear -> ReLU -> Dropout -> Linear; records the dtype its first layer computed in (for AMP tests)."""

    def __init__(self, dim: int = 4, hidden: int = 8, dropout: float = 0.2) -> None:
        super().__init__()
        self.backbone = nn.Sequential(nn.Linear(dim, hidden), nn.ReLU(), nn.Dropout(dropout))
        self.head = nn.Linear(hidden, 2)
        self.last_dtype: torch.dtype | None = None

    def forward(self, inputs: torch.Tensor, data_samples: Any = None, mode: str = "tensor") -> Any:
        features = self.backbone(inputs)
        self.last_dtype = features.dtype
        logits = self.head(features)
        if mode == "loss":
            labels = torch.tensor([sample["label"] for sample in data_samples], device=logits.device)
            return {"loss_cls": nn.functional.cross_entropy(logits.float(), labels),
                    "acc": (logits.argmax(1) == labels).float().mean()}
        if mode == "predict":
            return [{"pred": int(pred), "label": sample["label"], "index": sample["index"]}
                    for pred, sample in zip(logits.argmax(1), data_samples)]
        return logits


class ToyAccuracy(BaseMetric):
    default_prefix = "acc"

    def process(self, data_batch: Any, data_samples: Any) -> None:
        self.results.extend(float(sample["pred"] == sample["label"]) for sample in data_samples)

    def compute_metrics(self, results: list[float]) -> dict[str, float]:
        return {"top1": sum(results) / len(results)}


class ToyLossMetric(BaseMetric):
    """A metric whose name says 'less is better', for rule inference."""

    default_prefix = "val"

    def __init__(self, values: list[float] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.values = list(values or [])
        self.calls = 0

    def process(self, data_batch: Any, data_samples: Any) -> None:
        self.results.append(1)

    def compute_metrics(self, results: list[Any]) -> dict[str, float]:
        value = self.values[min(self.calls, len(self.values) - 1)] if self.values else 1.0
        self.calls += 1
        return {"loss": value}


TOY_COMPONENTS = {
    "models": {"ToyModel": ToyModel},
    "datasets": {"ToyDataset": ToyDataset},
    "metrics": {"ToyAccuracy": ToyAccuracy, "ToyLossMetric": ToyLossMetric},
}


def make_registry() -> Registry:
    """The core's built-in components (no installed plugin) plus the toy components."""
    registry = Registry(loader=PluginManager(allow=[], block=[]).register_into)
    registry.ensure_loaded()
    for kind, components in TOY_COMPONENTS.items():
        for name, component in components.items():
            registry.register(kind, name, component, dist="tests")
    return registry


BASE_CFG: dict[str, Any] = {
    "model": {"type": "ToyModel"},
    "train_dataloader": {"batch_size": 4, "dataset": {"type": "ToyDataset"},
                         "sampler": {"type": "DefaultSampler", "shuffle": True}},
    "val_dataloader": {"batch_size": 8, "dataset": {"type": "ToyDataset", "size": 16, "seed": 1, "noise": 0.0}},
    "val_evaluator": {"type": "ToyAccuracy"},
    "optim_wrapper": {"optimizer": {"type": "SGD", "lr": 0.1, "momentum": 0.9}},
    "train_cfg": {"type": "EpochBasedTrainLoop", "max_epochs": 2},
    "default_hooks": {"logger": {"interval": 2}},
    "randomness": {"seed": 0},
}


def make_cfg(work_dir: Path, **overrides: Any) -> dict[str, Any]:
    """BASE_CFG with `work_dir` set and top-level keys replaced (a value of None removes the key)."""
    cfg = copy.deepcopy(BASE_CFG)
    cfg["work_dir"] = str(work_dir)
    for key, value in overrides.items():
        if value is None:
            cfg.pop(key, None)
        else:
            cfg[key] = value
    return cfg


def read_json_lines(work_dir: Path) -> list[dict[str, Any]]:
    import json

    files = sorted(Path(work_dir).glob("*/vis_data/scalars.json"))
    assert files, f"no scalars.json under {work_dir}"
    return [json.loads(line) for file in files for line in file.read_text().splitlines() if line]


def model_weights(runner: Any) -> dict[str, torch.Tensor]:
    from vidcore.dist import unwrap_model

    return {key: value.detach().clone() for key, value in unwrap_model(runner.model).state_dict().items()}


def register_in_default_registry() -> None:
    """What `custom_imports: [vidcore_runner_toys]` does in a subprocess: eager registration."""
    import vidcore

    for kind, components in TOY_COMPONENTS.items():
        for name, component in components.items():
            vidcore.register(kind, name)(component)

