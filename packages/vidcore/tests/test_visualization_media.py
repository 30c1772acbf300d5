"""The media helpers shared by every visualizer backend."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from vidcore.visualization._media import as_rgb_array, frames_grid, scalar_value


def test_frames_grid_lays_frames_out_in_rows_and_pads_with_black():
    clip = np.random.default_rng(0).integers(0, 256, (3, 2, 4, 3), dtype=np.uint8)
    np.testing.assert_array_equal(frames_grid(clip), np.concatenate(list(clip), axis=1))
    grid = frames_grid(clip, columns=2)
    assert grid.shape == (4, 8, 3)
    np.testing.assert_array_equal(grid[2:, :4], clip[2])
    assert not grid[2:, 4:].any()


def test_scalar_value():
    assert scalar_value(torch.tensor(1.5)) == 1.5 and scalar_value(np.float32(2)) == 2.0 and scalar_value(3) == 3.0
    assert scalar_value("1") is None and scalar_value(True) is None and scalar_value(None) is None
    assert math.isnan(scalar_value(float("nan")))
    assert scalar_value(float("nan"), finite=True) is None and scalar_value(float("inf"), finite=True) is None


def test_as_rgb_array_accepts_tensors_and_rejects_other_layouts():
    image = torch.zeros(4, 5, 3, dtype=torch.uint8)
    assert as_rgb_array(image, 3, "img").shape == (4, 5, 3)
    with pytest.raises(ValueError, match=r"'img': expected a HxWx3 uint8 array, got shape \(3, 4, 5\) uint8"):
        as_rgb_array(np.zeros((3, 4, 5), np.uint8), 3, "img")
    with pytest.raises(ValueError, match=r"expected a TxHxWx3 uint8 array, got shape \(2, 4, 5, 3\) float32"):
        as_rgb_array(np.zeros((2, 4, 5, 3), np.float32), 4, "clip")
