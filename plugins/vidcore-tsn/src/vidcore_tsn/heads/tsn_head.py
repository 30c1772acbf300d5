"""TSN's classification head: spatial pooling, segmental consensus, dropout and a linear classifier."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import torch
import torch.nn.functional as F
from torch import nn
from vidcore import ConfigError
from vidcore_video import check_label_range

from ..components import build_module
from ..consensus import AvgConsensus
from ..losses import CrossEntropyLoss
from ..weight_init import apply_init_cfg

__all__ = ["TSNHead", "AVERAGE_CLIPS"]

AVERAGE_CLIPS = ("prob", "score", None)


class TSNHead(nn.Module):
    """Turns backbone maps of the `num_segs` frames of each sample into class scores.

    `forward(x, num_segs)`: `(B * num_segs, C, H, W)` (or already pooled `(B * num_segs, C)`) ->
    `(B, num_classes)`. `loss` and `average_clip` serve the recognizer's loss and predict modes.
    `average_clips` ('prob': mean of softmax, 'score': mean of raw scores, None: raw scores) is the
    default way to merge a sample's views at test time; the recognizer's `test_cfg` may override it.

    `multi_class: true` makes it a multi-label head (mmaction2's flag): labels are `(B, K)` multi-hot vectors
    (a dataset with `multi_class: true`), the loss is typically `BCELossWithLogits`, no top-k accuracy is
    logged, and `average_clips: prob` turns each view's scores into per-class sigmoid probabilities (not a
    softmax, which would make the classes compete) before averaging them.
    """

    vidcore_raw_args = ("init_cfg",)

    def __init__(self, num_classes: int, in_channels: int, spatial_type: str | None = "avg",
                 consensus: nn.Module | Mapping[str, Any] | None = None, dropout_ratio: float = 0.4,
                 init_std: float = 0.01, label_smooth_eps: float = 0.0,
                 loss_cls: nn.Module | Mapping[str, Any] | None = None, average_clips: str | None = "prob",
                 topk: Sequence[int] = (1, 5), multi_class: bool = False,
                 init_cfg: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None) -> None:
        super().__init__()
        if spatial_type not in ("avg", None):
            raise ValueError(f"TSNHead spatial_type must be 'avg' or null, got {spatial_type!r}")
        if average_clips not in AVERAGE_CLIPS:
            raise ValueError(f"TSNHead average_clips must be 'prob', 'score' or null, got {average_clips!r}")
        if not 0 <= label_smooth_eps < 1:
            raise ValueError(f"TSNHead label_smooth_eps must be in [0, 1), got {label_smooth_eps!r}")
        self.num_classes = num_classes
        self.in_channels = in_channels
        self.spatial_type = spatial_type
        self.label_smooth_eps = label_smooth_eps
        self.multi_class = bool(multi_class)
        self.average_clips = average_clips
        self.topk = tuple(k for k in topk if k <= num_classes)
        self.init_std = init_std
        self.init_cfg = init_cfg
        self.consensus = build_module(consensus, "cls_head.consensus") or AvgConsensus(dim=1)
        self.loss_cls = build_module(loss_cls, "cls_head.loss_cls") or CrossEntropyLoss()
        self.avg_pool = nn.AdaptiveAvgPool2d(1) if spatial_type == "avg" else nn.Identity()
        self.dropout = nn.Dropout(p=dropout_ratio) if dropout_ratio > 0 else nn.Identity()
        self.fc_cls = nn.Linear(in_channels, num_classes)
        self.init_weights()

    def init_weights(self) -> None:
        """`fc_cls` from N(0, init_std²) with zero bias, then `init_cfg` if given."""
        nn.init.normal_(self.fc_cls.weight, 0.0, self.init_std)
        nn.init.zeros_(self.fc_cls.bias)
        apply_init_cfg(self, self.init_cfg, "cls_head.init_cfg")

    def forward(self, x: torch.Tensor, num_segs: int) -> torch.Tensor:
        if x.dim() == 4:
            x = self.avg_pool(x)
        x = x.flatten(1)
        if x.shape[0] % num_segs:
            raise ValueError(f"TSNHead: {x.shape[0]} frame features do not split into groups of {num_segs} segments")
        x = self.consensus(x.view(-1, num_segs, x.shape[-1])).squeeze(1)
        return self.fc_cls(self.dropout(x))

    def loss(self, cls_score: torch.Tensor, labels: torch.Tensor) -> dict[str, torch.Tensor]:
        """`loss_cls`, plus `top{k}_acc` for logging. `labels`: `(B,)` class indices or `(B, K)` soft labels;
        `(B, K)` multi-hot labels for a `multi_class` head (which logs no top-k accuracy, as in mmaction2).

        Class indices in host memory are checked against `num_classes` here; on a GPU that check would wait
        for the device, so there ActionDataPreprocessor makes it on the host before the batch is copied."""
        if self.multi_class and labels.shape != cls_score.shape:
            raise ConfigError(f"model.cls_head: TSNHead(multi_class=True): labels of shape {tuple(labels.shape)} for "
                              f"scores of shape {tuple(cls_score.shape)}; a multi-label head needs (N, "
                              f"{self.num_classes}) multi-hot labels: set multi_class: true and num_classes: "
                              f"{self.num_classes} on the dataset")
        if labels.dim() == 1 and labels.device.type == "cpu":  # on a device, the data preprocessor checked them
            check_label_range(labels.numpy(), self.num_classes)
        losses: dict[str, torch.Tensor] = {}
        if not self.multi_class:  # a multi-hot label has no single class to rank
            with torch.no_grad():
                target = labels.argmax(dim=-1) if labels.dim() == 2 else labels
                ranked = cls_score.detach().topk(max(self.topk, default=1), dim=-1).indices
                for k in self.topk:
                    hits = (ranked[:, :k] == target.view(-1, 1)).any(dim=-1)
                    losses[f"top{k}_acc"] = hits.float().mean()
        if self.label_smooth_eps > 0:
            if labels.dim() == 1:
                labels = F.one_hot(labels.long(), self.num_classes).to(cls_score.dtype)
            labels = labels * (1 - self.label_smooth_eps) + self.label_smooth_eps / self.num_classes
        losses["loss_cls"] = self.loss_cls(cls_score, labels)
        return losses

    def average_clip(self, cls_scores: torch.Tensor, num_views: int, average_clips: Any = "default") -> torch.Tensor:
        """`(B * num_views, K)` view scores -> `(B, K)` merged per `average_clips` (the head's own by default):
        'prob' averages softmax probabilities (per-class sigmoids for a `multi_class` head), 'score' raw scores.

        With `average_clips=None` the scores are returned unmerged, `(B, num_views, K)` (for dumping).
        """
        mode = self.average_clips if average_clips == "default" else average_clips
        if mode not in AVERAGE_CLIPS:
            raise ValueError(f"average_clips must be 'prob', 'score' or null, got {mode!r}")
        scores = cls_scores.float().view(-1, num_views, cls_scores.shape[-1])
        if mode == "prob":
            probabilities = torch.sigmoid(scores) if self.multi_class else F.softmax(scores, dim=-1)
            return probabilities.mean(dim=1)
        if mode == "score":
            return scores.mean(dim=1)
        return scores if num_views > 1 else scores.squeeze(1)
