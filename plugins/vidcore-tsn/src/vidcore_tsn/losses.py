"""Classification losses for recognizers: cross-entropy on hard class indices or on soft (mixup) targets, and
binary cross-entropy on multi-hot targets (multi-label recognition)."""

from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn
from vidcore import ConfigError

__all__ = ["CrossEntropyLoss", "BCELossWithLogits"]


class WeightedLoss(nn.Module):
    """What mmaction2's classification losses share: a `loss_weight` factor and optional per-class weights
    (`class_weight`, K floats, kept as a buffer that follows the module to its device)."""

    def __init__(self, loss_weight: float = 1.0, class_weight: Sequence[float] | None = None) -> None:
        super().__init__()
        self.loss_weight = float(loss_weight)
        weight = torch.tensor(class_weight, dtype=torch.float32) if class_weight is not None else None
        self.register_buffer("class_weight", weight, persistent=False)


class CrossEntropyLoss(WeightedLoss):
    """Cross-entropy scaled by `loss_weight`.

    Hard labels (`(N,)` class indices) use `torch.nn.functional.cross_entropy`; soft labels (`(N, K)`
    probabilities, e.g. after mixup/cutmix or label smoothing) use `-sum(target * log_softmax)`.
    `class_weight` (K floats) weights each class in both cases, normalised as torch does for hard labels.
    """

    def forward(self, cls_score: torch.Tensor, label: torch.Tensor) -> torch.Tensor:
        cls_score = cls_score.float()
        if cls_score.shape == label.shape:
            log_prob = F.log_softmax(cls_score, dim=-1)
            target = label.float()
            if self.class_weight is None:
                loss = -(target * log_prob).sum(dim=-1).mean()
            else:
                per_sample = -(target * log_prob * self.class_weight).sum(dim=-1)
                loss = per_sample.sum() / (target * self.class_weight).sum()
        elif label.dim() == 1 and cls_score.dim() == 2 and label.shape[0] == cls_score.shape[0]:
            loss = F.cross_entropy(cls_score, label.long(), weight=self.class_weight)
        else:
            raise ValueError(f"CrossEntropyLoss: scores of shape {tuple(cls_score.shape)} do not fit labels of "
                             f"shape {tuple(label.shape)}; expected (N,) class indices or (N, K) soft labels")
        return self.loss_weight * loss


class BCELossWithLogits(WeightedLoss):
    """Binary cross-entropy on logits, scaled by `loss_weight` (mmaction2's loss for multi-label heads).

    Every class is an independent yes/no: `label` holds `(N, K)` targets in [0, 1] (multi-hot, or smoothed or
    mixed). `class_weight` (K floats) rescales each class's term; the mean runs over all N x K terms, as in
    `torch.nn.functional.binary_cross_entropy_with_logits`.
    """

    def forward(self, cls_score: torch.Tensor, label: torch.Tensor) -> torch.Tensor:
        cls_score = cls_score.float()
        if cls_score.shape != label.shape:
            raise ValueError(f"BCELossWithLogits: scores of shape {tuple(cls_score.shape)} do not fit labels of shape "
                             f"{tuple(label.shape)}; expected (N, K) multi-hot labels (set multi_class: true and "
                             "num_classes on the dataset)")
        if self.class_weight is not None and self.class_weight.numel() != cls_score.shape[-1]:
            raise ConfigError(f"model.cls_head.loss_cls: BCELossWithLogits: class_weight has "
                              f"{self.class_weight.numel()} entries for {cls_score.shape[-1]} classes")
        loss = F.binary_cross_entropy_with_logits(cls_score, label.float(), weight=self.class_weight)
        return self.loss_weight * loss
