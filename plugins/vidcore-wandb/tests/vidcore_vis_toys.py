"""`custom_imports` module of the end-to-end run: tiny uint8 clips, a one-layer classifier and top-1
accuracy, registered eagerly. Bright clips are class 1, dark clips class 0."""

from __future__ import annotations

from typing import Any

import torch
import vidcore
from torch import nn
from vidcore.evaluation import BaseMetric
from vidcore.model import BaseModel

torch.set_num_threads(1)  # the test machine is shared


@vidcore.register("datasets")
class ToyClips(torch.utils.data.Dataset):
    """`size` clips of 3 x 4 x 8 x 8 uint8 (C, T, H, W) with their label."""

    def __init__(self, size: int = 16, seed: int = 0) -> None:
        generator = torch.Generator().manual_seed(seed)
        self.labels = torch.arange(size) % 2
        noise = torch.randint(0, 100, (size, 3, 4, 8, 8), generator=generator)
        self.clips = (noise + 120 * self.labels.view(-1, 1, 1, 1, 1)).to(torch.uint8)

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> dict[str, Any]:
        return {"inputs": self.clips[index], "data_samples": {"gt_label": int(self.labels[index])}}


@vidcore.register("models")
class ToyClipNet(BaseModel):
    """`fail_at`: raise at that training forward call (1-based), to test what a crash leaves behind."""

    def __init__(self, fail_at: int | None = None) -> None:
        super().__init__()
        self.fc = nn.Linear(3, 2)
        self.fail_at = fail_at
        self.calls = 0

    def forward(self, inputs: torch.Tensor, data_samples: Any = None, mode: str = "tensor") -> Any:
        if mode == "loss":
            self.calls += 1
            if self.calls == self.fail_at:
                raise RuntimeError(f"toy failure at training iteration {self.calls}")
        logits = self.fc(inputs.float().mean(dim=(2, 3, 4)) / 255.0)
        if mode == "loss":
            labels = torch.tensor([sample["gt_label"] for sample in data_samples])
            return {"loss": nn.functional.cross_entropy(logits, labels)}
        if mode == "predict":
            return [{"gt_label": sample["gt_label"], "pred_score": scores}
                    for sample, scores in zip(data_samples, logits.softmax(1))]
        return logits


@vidcore.register("metrics")
class ToyTop1(BaseMetric):
    default_prefix = "acc"

    def process(self, data_batch: Any, data_samples: Any) -> None:
        self.results.extend(float(int(sample["pred_score"].argmax()) == sample["gt_label"]) for sample in data_samples)

    def compute_metrics(self, results: list[float]) -> dict[str, float]:
        return {"top1": sum(results) / len(results)}
