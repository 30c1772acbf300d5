"""The temporal shift and temporal pooling operations of TSM, on frames folded into the batch.

Frames arrive as `(N * T, C, H, W)`: T consecutive frames (segments) of each of N clips. The shift moves
a fraction of the channels one frame along time, so a 2D convolution that follows sees its neighbours'
features at no extra cost.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["temporal_shift", "temporal_pool", "TemporalShiftHook", "TemporalPoolHook"]


def _split_time(x: torch.Tensor, num_segments: int, what: str) -> tuple[int, int, int, int]:
    if x.dim() != 4:
        raise ValueError(f"{what} expects frames (N * T, C, H, W), got shape {tuple(x.shape)}")
    frames, channels, height, width = x.shape
    if frames % num_segments:
        raise ValueError(f"{what}: {frames} frames do not split into clips of num_segments={num_segments}; "
                         "the clips must have as many frames as the model's num_segments")
    return frames, channels, height, width


def temporal_shift(x: torch.Tensor, num_segments: int, shift_div: int = 8) -> torch.Tensor:
    """Shift the first `C // shift_div` channels one frame back in time (frame t takes frame t+1's) and
    the next `C // shift_div` one frame forward (frame t takes t-1's); vacated places are zero.

    Channels-last input stays channels-last. The backward pass is the opposite shift of the gradient
    (`_Shift`), about 3x cheaper on a CPU than autograd through slice assignments."""
    frames, channels, height, width = _split_time(x, num_segments, "temporal_shift")
    fold = channels // shift_div
    if x.is_contiguous() or not x.is_contiguous(memory_format=torch.channels_last):
        clips = x.reshape(frames // num_segments, num_segments, channels, height * width)
        return _Shift.apply(clips, fold, 2).reshape(frames, channels, height, width)
    clips = x.permute(0, 2, 3, 1).reshape(frames // num_segments, num_segments, height * width, channels)
    shifted = _Shift.apply(clips, fold, 3)
    return shifted.reshape(frames, height, width, channels).permute(0, 3, 1, 2)


def _shift(clips: torch.Tensor, fold: int, channel_dim: int, backward: bool) -> torch.Tensor:
    """`clips` (N, T, ...): the first `fold` channels (along `channel_dim`) taken from the next frame, the
    next `fold` from the previous one; `backward` (the gradient's shift) takes them the opposite way."""
    first = clips.narrow(channel_dim, 0, fold)
    second = clips.narrow(channel_dim, fold, fold)
    rest = clips.narrow(channel_dim, 2 * fold, clips.shape[channel_dim] - 2 * fold)
    zero = first.new_zeros(first[:, :1].shape)

    def from_next(part: torch.Tensor) -> torch.Tensor:
        return torch.cat((part[:, 1:], zero), 1)

    def from_previous(part: torch.Tensor) -> torch.Tensor:
        return torch.cat((zero, part[:, :-1]), 1)

    if backward:
        return torch.cat((from_previous(first), from_next(second), rest), channel_dim)
    return torch.cat((from_next(first), from_previous(second), rest), channel_dim)


class _Shift(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, clips: torch.Tensor, fold: int, channel_dim: int) -> torch.Tensor:
        ctx.fold, ctx.channel_dim = fold, channel_dim
        return _shift(clips, fold, channel_dim, backward=False)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor, None, None]:
        return _shift(grad, ctx.fold, ctx.channel_dim, backward=True), None, None


def temporal_pool(x: torch.Tensor, num_segments: int) -> torch.Tensor:
    """Halve the frames of each clip: max over windows of 3 frames with stride 2 (padded at both ends)."""
    frames, channels, height, width = _split_time(x, num_segments, "temporal_pool")
    clips = x.reshape(frames // num_segments, num_segments, channels, height, width).transpose(1, 2)
    pooled = F.max_pool3d(clips, kernel_size=(3, 1, 1), stride=(2, 1, 1), padding=(1, 0, 0))
    return pooled.transpose(1, 2).reshape(-1, channels, height, width)


class TemporalShiftHook:
    """A forward pre-hook that shifts a module's input; a hook leaves the module's weight names unchanged."""

    def __init__(self, num_segments: int, shift_div: int) -> None:
        self.num_segments = num_segments
        self.shift_div = shift_div

    def __call__(self, module: nn.Module, args: tuple[torch.Tensor, ...]) -> tuple[torch.Tensor, ...]:
        return (temporal_shift(args[0], self.num_segments, self.shift_div), *args[1:])

    def __repr__(self) -> str:
        return f"TemporalShift(num_segments={self.num_segments}, shift_div={self.shift_div})"


class TemporalPoolHook:
    """A forward pre-hook that pools a module's input over time (`temporal_pool`)."""

    def __init__(self, num_segments: int) -> None:
        self.num_segments = num_segments

    def __call__(self, module: nn.Module, args: tuple[torch.Tensor, ...]) -> tuple[torch.Tensor, ...]:
        return (temporal_pool(args[0], self.num_segments), *args[1:])

    def __repr__(self) -> str:
        return f"TemporalPool(num_segments={self.num_segments})"
