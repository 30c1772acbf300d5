"""The temporal shift and pool against hand-computed tensors, and their placement in ResNetTSM."""

from __future__ import annotations

import pytest
import torch
from vidcore_tsm import temporal_pool, temporal_shift


def test_shift_moves_one_channel_fold_each_way_against_a_hand_computed_tensor():
    # 1 clip of 3 frames, 4 channels, 1x1 pixel; shift_div 4 -> fold 1: channel 0 moves back, 1 forward.
    # value = 10 * frame + channel
    x = torch.tensor([[[[10 * t + c]] for c in range(4)] for t in range(3)], dtype=torch.float32)
    expected = torch.tensor([
        # channel 0 <- next frame, channel 1 <- previous frame, channels 2-3 unchanged
        [10, 0, 2, 3],
        [20, 1, 12, 13],
        [0, 11, 22, 23],
    ], dtype=torch.float32).view(3, 4, 1, 1)
    assert torch.equal(temporal_shift(x, num_segments=3, shift_div=4), expected)


def test_shift_stays_inside_each_clip():
    # 2 clips of 2 frames: nothing crosses from clip 0 into clip 1
    x = torch.arange(1, 5, dtype=torch.float32).view(4, 1, 1, 1).expand(4, 2, 1, 1).contiguous()
    out = temporal_shift(x, num_segments=2, shift_div=2)
    assert out[:, 0].flatten().tolist() == [2, 0, 4, 0]
    assert out[:, 1].flatten().tolist() == [0, 1, 0, 3]


def test_shift_keeps_channels_last_layout_and_gradients():
    x = torch.randn(8, 16, 5, 5).contiguous(memory_format=torch.channels_last).requires_grad_()
    out = temporal_shift(x, num_segments=4)
    assert out.is_contiguous(memory_format=torch.channels_last)
    assert torch.equal(out, temporal_shift(x.detach().contiguous(), num_segments=4))
    weights = torch.randn(out.shape)
    (out * weights).sum().backward()
    reference = x.detach().contiguous().requires_grad_()
    (temporal_shift(reference, num_segments=4) * weights).sum().backward()
    assert torch.equal(x.grad, reference.grad)


@pytest.mark.parametrize("channels_last", [False, True])
def test_shift_gradient_is_the_opposite_shift(channels_last):
    x = torch.randn(6, 8, 2, 3, dtype=torch.float64)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    assert torch.autograd.gradcheck(lambda t: temporal_shift(t, num_segments=3, shift_div=4),
                                    (x.requires_grad_(),))


def test_shift_refuses_frames_that_do_not_split_into_clips():
    with pytest.raises(ValueError, match="10 frames do not split into clips of num_segments=4"):
        temporal_shift(torch.zeros(10, 8, 2, 2), num_segments=4)


def test_pool_takes_the_max_over_three_frames_with_stride_two():
    x = torch.tensor([1.0, 5.0, 2.0, 0.0, 3.0, 4.0, 0.0, 7.0]).view(8, 1, 1, 1)  # 2 clips of 4 frames
    out = temporal_pool(x, num_segments=4)
    # clip [1, 5, 2, 0]: windows (pad, 1, 5), (5, 2, 0); clip [3, 4, 0, 7]: (pad, 3, 4), (4, 0, 7)
    assert out.flatten().tolist() == [5.0, 5.0, 4.0, 7.0]
