"""Segmental consensus: how TSN fuses the per-segment features of one clip into one clip feature."""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["AvgConsensus"]


class AvgConsensus(nn.Module):
    """Mean over the segment axis `dim`, kept as a size-1 axis (so `(N, S, C)` becomes `(N, 1, C)`)."""

    def __init__(self, dim: int = 1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mean(dim=self.dim, keepdim=True)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"
