"""Classification heads of 3D recognizers: `I3DHead` (one feature map per clip) and `SlowFastHead`
(the slow and fast pathways' maps). Loss, label smoothing and view averaging are vidcore-tsn's `TSNHead`'s."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import torch
from torch import nn
from vidcore_tsn import TSNHead

__all__ = ["I3DHead", "SlowFastHead"]


class I3DHead(TSNHead):
    """Global average pooling over (T, H, W), dropout, `fc_cls`: `(N, C, T, H, W)` -> `(N, num_classes)`.

    Already pooled features `(N, C)` (a transformer's class token) go straight to dropout and `fc_cls`.
    `spatial_type: null` skips the pooling. `average_clips` ('prob', 'score', null) merges test views, as in
    vidcore-tsn's TSNHead; so do `loss`, `label_smooth_eps`, `topk` and `init_cfg`.
    """

    def __init__(self, num_classes: int, in_channels: int, loss_cls: nn.Module | Mapping[str, Any] | None = None,
                 spatial_type: str | None = "avg", dropout_ratio: float = 0.5, init_std: float = 0.01,
                 label_smooth_eps: float = 0.0, average_clips: str | None = "prob", topk: Sequence[int] = (1, 5),
                 init_cfg: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None) -> None:
        super().__init__(num_classes, in_channels, spatial_type=spatial_type, dropout_ratio=dropout_ratio,
                         init_std=init_std, label_smooth_eps=label_smooth_eps, loss_cls=loss_cls,
                         average_clips=average_clips, topk=topk, init_cfg=init_cfg)
        self.avg_pool = nn.AdaptiveAvgPool3d(1) if spatial_type == "avg" else nn.Identity()

    def forward(self, x: torch.Tensor, num_segs: int | None = None) -> torch.Tensor:
        """Class scores of each clip; `num_segs` is accepted for the recognizers' common call and unused."""
        if x.dim() == 5:
            x = self.avg_pool(x)
        return self.fc_cls(self.dropout(x.flatten(1)))


class SlowFastHead(I3DHead):
    """Pools the slow and the fast maps separately, concatenates (fast, slow), then dropout and `fc_cls`
    (`in_channels` = slow + fast channels, 2048 + 256 for SlowFast-R50)."""

    def __init__(self, num_classes: int, in_channels: int, loss_cls: nn.Module | Mapping[str, Any] | None = None,
                 spatial_type: str | None = "avg", dropout_ratio: float = 0.8, init_std: float = 0.01,
                 label_smooth_eps: float = 0.0, average_clips: str | None = "prob", topk: Sequence[int] = (1, 5),
                 init_cfg: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None) -> None:
        if spatial_type != "avg":
            raise ValueError(f"SlowFastHead spatial_type must be 'avg', got {spatial_type!r}")
        super().__init__(num_classes, in_channels, loss_cls=loss_cls, spatial_type=spatial_type,
                         dropout_ratio=dropout_ratio, init_std=init_std, label_smooth_eps=label_smooth_eps,
                         average_clips=average_clips, topk=topk, init_cfg=init_cfg)

    def forward(self, x: Sequence[torch.Tensor], num_segs: int | None = None) -> torch.Tensor:
        if not isinstance(x, (tuple, list)) or len(x) != 2:
            raise ValueError("SlowFastHead expects the (slow, fast) maps of ResNet3dSlowFast")
        slow, fast = (self.avg_pool(part) for part in x)
        return self.fc_cls(self.dropout(torch.cat((fast, slow), dim=1).flatten(1)))
