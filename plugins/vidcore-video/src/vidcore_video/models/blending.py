"""Mini-batch blending for training: `MixupBlending` and `CutmixBlending` mix inputs and turn labels into
soft one-hot vectors (mmaction2 semantics: one Beta(alpha, alpha) draw per batch)."""

from __future__ import annotations

from typing import Any, Sequence

import torch
import torch.nn.functional as F
from vidcore.errors import ConfigError

__all__ = ["BaseBlending", "MixupBlending", "CutmixBlending"]


class BaseBlending:
    """Turns the batch's `gt_label`s into (B, num_classes) float targets, blends, writes them back."""

    def __init__(self, num_classes: int, alpha: float = 0.2) -> None:
        if not isinstance(num_classes, int) or num_classes < 1:
            raise ConfigError(f"{type(self).__name__}: num_classes must be a positive int, got {num_classes!r}")
        if alpha <= 0:
            raise ConfigError(f"{type(self).__name__}: alpha must be positive, got {alpha}")
        self.num_classes = num_classes
        self.alpha = float(alpha)
        self.beta = torch.distributions.Beta(self.alpha, self.alpha)

    def one_hot_labels(self, data_samples: Sequence[Any], device: torch.device) -> torch.Tensor:
        labels = [sample.gt_label for sample in data_samples]
        if all(label.numel() == 1 and not label.is_floating_point() for label in labels):
            index = torch.cat([label.reshape(1) for label in labels]).to(device)
            return F.one_hot(index, num_classes=self.num_classes).float()
        return torch.stack([label.to(device).float().reshape(-1) for label in labels])

    def blend(self, inputs: torch.Tensor, targets: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        raise NotImplementedError

    def __call__(self, inputs: torch.Tensor, data_samples: Sequence[Any]) -> tuple[torch.Tensor, Sequence[Any]]:
        targets = self.one_hot_labels(data_samples, inputs.device)
        inputs, targets = self.blend(inputs, targets)
        for sample, target in zip(data_samples, targets):
            sample.set_gt_label(target)
        return inputs, data_samples

    def __repr__(self) -> str:
        return f"{type(self).__name__}(num_classes={self.num_classes}, alpha={self.alpha})"


class MixupBlending(BaseBlending):
    """x = lam * x + (1 - lam) * x[perm], y likewise (mixup, Zhang et al. 2018)."""

    def blend(self, inputs: torch.Tensor, targets: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        lam = float(self.beta.sample())
        perm = torch.randperm(inputs.size(0), device=inputs.device)
        return lam * inputs + (1 - lam) * inputs[perm], lam * targets + (1 - lam) * targets[perm]


class CutmixBlending(BaseBlending):
    """Paste a random box (area 1 - lam) from x[perm] into every frame of x; targets mix by the pasted area
    (CutMix, Yun et al. 2019)."""

    @staticmethod
    def random_box(height: int, width: int, lam: float) -> tuple[int, int, int, int]:
        """(y1, y2, x1, x2) of a box of about (1 - lam) of the area, centred uniformly, clipped to the frame."""
        cut = (1.0 - lam) ** 0.5
        cut_h, cut_w = int(height * cut), int(width * cut)
        cy, cx = int(torch.randint(height, (1,))), int(torch.randint(width, (1,)))
        y1, y2 = max(cy - cut_h // 2, 0), min(cy + cut_h // 2, height)
        x1, x2 = max(cx - cut_w // 2, 0), min(cx + cut_w // 2, width)
        return y1, y2, x1, x2

    def blend(self, inputs: torch.Tensor, targets: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        lam = float(self.beta.sample())
        perm = torch.randperm(inputs.size(0), device=inputs.device)
        height, width = inputs.shape[-2:]
        y1, y2, x1, x2 = self.random_box(height, width, lam)
        inputs = inputs.clone()
        inputs[..., y1:y2, x1:x2] = inputs[perm][..., y1:y2, x1:x2]
        lam = 1.0 - (y2 - y1) * (x2 - x1) / float(height * width)
        return inputs, lam * targets + (1 - lam) * targets[perm]
