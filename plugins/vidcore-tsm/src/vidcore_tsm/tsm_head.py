"""`TSMHead`: TSN's head with TSM's order of operations: classify every frame, then average the scores."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import torch
from torch import nn
from vidcore_tsn import TSNHead

__all__ = ["TSMHead"]


class TSMHead(TSNHead):
    """Pooling, dropout and `fc_cls` on each frame, then the consensus of the frame scores of each view.

    `forward(x, num_segs)`: `(B * num_segs, C, H, W)` -> `(B, num_classes)`, where `num_segs` must be the
    head's `num_segments` (the frames the backbone shifts over). With `is_shift` and `temporal_pool` the
    backbone has halved the frames, so each view holds `num_segments // 2` feature maps. A head with
    `num_segments` makes `Recognizer2D.predict` score test-time views of that many frames (e.g. 8
    segments x 2 (`twice_sample`) x 10 crops = 20 views), merged per `average_clips`. Loss, label
    smoothing, `average_clips`, `multi_class` and `init_cfg` are `vidcore_tsn.TSNHead`'s.
    """

    def __init__(self, num_classes: int, in_channels: int, num_segments: int = 8,
                 loss_cls: nn.Module | Mapping[str, Any] | None = None, spatial_type: str | None = "avg",
                 consensus: nn.Module | Mapping[str, Any] | None = None, dropout_ratio: float = 0.8,
                 init_std: float = 0.001, is_shift: bool = True, temporal_pool: bool = False,
                 label_smooth_eps: float = 0.0, average_clips: str | None = "prob", topk: Sequence[int] = (1, 5),
                 multi_class: bool = False,
                 init_cfg: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None) -> None:
        if not isinstance(num_segments, int) or num_segments < 1:
            raise ValueError(f"TSMHead num_segments must be a positive integer, got {num_segments!r}")
        if is_shift and temporal_pool and num_segments < 2:
            raise ValueError(f"TSMHead temporal_pool needs num_segments >= 2, got {num_segments}")
        super().__init__(num_classes, in_channels, spatial_type=spatial_type, consensus=consensus,
                         dropout_ratio=dropout_ratio, init_std=init_std, label_smooth_eps=label_smooth_eps,
                         loss_cls=loss_cls, average_clips=average_clips, topk=topk,
                         multi_class=multi_class, init_cfg=init_cfg)
        self.num_segments = num_segments
        self.is_shift = is_shift
        self.temporal_pool = temporal_pool

    def forward(self, x: torch.Tensor, num_segs: int) -> torch.Tensor:
        if num_segs != self.num_segments:
            raise ValueError(f"TSMHead: views of {num_segs} frames, but num_segments={self.num_segments}: the "
                             "pipeline's SampleFrames num_clips, the backbone's and the head's num_segments must "
                             "agree (at test time, leave model.test_cfg.num_segs unset)")
        frames_per_view = num_segs // 2 if self.is_shift and self.temporal_pool else num_segs
        if x.dim() == 4:
            x = self.avg_pool(x)
        scores = self.fc_cls(self.dropout(x.flatten(1)))
        if scores.shape[0] % frames_per_view:
            raise ValueError(f"TSMHead: {scores.shape[0]} frame features do not split into views of "
                             f"{frames_per_view} frames")
        return self.consensus(scores.view(-1, frames_per_view, scores.shape[-1])).squeeze(1)
