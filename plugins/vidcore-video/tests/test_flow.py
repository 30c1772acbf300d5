"""Optical-flow inputs: RawframeDataset(modality='Flow') with x/y image pairs, RawFrameDecode, Flip, Normalize and
FormatShape ('NCHW_Flow', and 'NCHW' with flow as in mmaction2 1.x)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from vidcore.errors import ConfigError, DataError
from vidcore_video import ActionDataPreprocessor, RawframeDataset

FRAMES, HEIGHT, WIDTH = 6, 12, 16


def flow_values(index: int, direction: str) -> np.ndarray:
    """Flow image `index` (1-based): its level tells index and direction, plus a horizontal ramp."""
    base = 10 * index + (0 if direction == "x" else 100)
    return (base + np.arange(WIDTH)[None, :] + np.zeros((HEIGHT, 1))).astype(np.uint8)


@pytest.fixture(scope="module")
def flow_root(tmp_path_factory):
    from PIL import Image

    root = tmp_path_factory.mktemp("flow")
    for video in ("a", "b"):
        (root / video).mkdir()
        for index in range(1, FRAMES + 1):
            for direction in "xy":
                Image.fromarray(flow_values(index, direction)).save(root / video / f"{direction}_{index:05d}.png")
    (root / "list.txt").write_text(f"a {FRAMES} 0\nb {FRAMES} 1\n")
    return root


def dataset(root, *steps, **options):
    pipeline = [{"type": "SampleFrames", "clip_len": 2, "frame_interval": 1, "num_clips": 2, "test_mode": True},
                {"type": "RawFrameDecode"}, *steps]
    return RawframeDataset(str(root / "list.txt"), pipeline, data_prefix=str(root), modality="Flow",
                           filename_tmpl="{}_{:05d}.png", **options)


def test_flow_frames_decode_as_x_y_channels(flow_root):
    results = dataset(flow_root)[0]
    assert results["modality"] == "Flow" and results["imgs"].shape == (4, HEIGHT, WIDTH, 2)
    for slot, index in enumerate(results["frame_inds"]):
        assert np.array_equal(results["imgs"][slot, ..., 0], flow_values(int(index), "x"))
        assert np.array_equal(results["imgs"][slot, ..., 1], flow_values(int(index), "y"))


@pytest.mark.parametrize("input_format", ["NCHW_Flow", "NCHW"])
def test_format_shape_stacks_each_clips_frames_as_channels(flow_root, input_format):
    results = dataset(flow_root, {"type": "FormatShape", "input_format": input_format}, {"type": "PackActionInputs"})[0]
    inputs = results["inputs"]
    assert inputs.shape == (2, 4, HEIGHT, WIDTH)  # 2 clips, 2 frames x (x, y)
    assert inputs.is_contiguous(memory_format=torch.channels_last)
    decoded = dataset(flow_root)[0]
    inds = decoded["frame_inds"].reshape(2, 2)
    for clip in range(2):
        for frame in range(2):
            index = int(inds[clip, frame])
            assert np.array_equal(inputs[clip, 2 * frame].numpy(), flow_values(index, "x"))
            assert np.array_equal(inputs[clip, 2 * frame + 1].numpy(), flow_values(index, "y"))


def test_flip_mirrors_flow_and_inverts_its_x_component(flow_root):
    flipped = dataset(flow_root, {"type": "Flip", "flip_ratio": 1.0})[0]["imgs"]
    plain = dataset(flow_root)[0]["imgs"]
    assert np.array_equal(flipped[..., 0], 255 - plain[:, :, ::-1, 0])
    assert np.array_equal(flipped[..., 1], plain[:, :, ::-1, 1])
    with pytest.raises(DataError, match="Flip of optical flow must be horizontal"):
        dataset(flow_root, {"type": "Flip", "flip_ratio": 1.0, "direction": "vertical"})[0]


def test_normalize_takes_two_values_for_flow_and_adjusts_the_magnitude(flow_root):
    steps = [{"type": "Resize", "scale": [WIDTH // 2, HEIGHT], "keep_ratio": False},
             {"type": "Normalize", "mean": [128, 128], "std": [64, 32], "adjust_magnitude": True}]
    out = dataset(flow_root, *steps)[0]
    resized = dataset(flow_root, steps[0])[0]["imgs"].astype(np.float32)
    assert np.allclose(out["imgs"][..., 0], (resized[..., 0] - 128) / 64 * 0.5)  # width halved: x flow halves
    assert np.allclose(out["imgs"][..., 1], (resized[..., 1] - 128) / 32)
    with pytest.raises(DataError, match="Normalize has 3 mean values for 2-channel frames"):
        dataset(flow_root, {"type": "Normalize", "mean": [1, 2, 3], "std": [1, 1, 1]})[0]


def test_templates_that_do_not_fit_the_modality_are_config_errors(flow_root):
    with pytest.raises(ConfigError, match=r"filename_tmpl '\{\}_\{:05d\}.png' does not fit modality RGB .* set "
                                          "modality: Flow"):
        RawframeDataset(str(flow_root / "list.txt"), [], data_prefix=str(flow_root), filename_tmpl="{}_{:05d}.png")
    with pytest.raises(ConfigError, match="does not fit modality Flow"):
        RawframeDataset(str(flow_root / "list.txt"), [], data_prefix=str(flow_root), modality="Flow")
    with pytest.raises(ConfigError, match="modality must be one of"):
        RawframeDataset(str(flow_root / "list.txt"), [], data_prefix=str(flow_root), modality="Audio")


def test_a_missing_flow_image_names_its_file(flow_root, tmp_path):
    import shutil

    shutil.copytree(flow_root, tmp_path / "copy")
    index = int(dataset(flow_root)[0]["frame_inds"][0])
    (tmp_path / "copy" / "a" / f"y_{index:05d}.png").unlink()
    with pytest.raises(DataError, match=rf"y_{index:05d}.png: frame file not found"):
        dataset(tmp_path / "copy")[0]


def test_preprocessor_normalises_stacked_flow_per_channel_or_per_direction():
    inputs = torch.full((1, 3, 10, 8, 8), 192, dtype=torch.uint8)
    inputs[:, :, 1::2] = 64  # y channels
    ten = ActionDataPreprocessor(mean=[128] * 10, std=[128] * 10)
    expected = torch.tensor([0.5, -0.5] * 5).view(1, 1, 10, 1, 1).expand(1, 3, 10, 8, 8)
    assert torch.equal(ten({"inputs": inputs})["inputs"], expected)
    xy = ActionDataPreprocessor(mean=[128, 128], std=[128, 128], format_shape="NCHW_Flow")  # 0.x's two values
    assert torch.equal(xy({"inputs": inputs})["inputs"], expected)
    with pytest.raises(DataError, match="mean and std have 3 values for inputs with 10 channels"):
        ActionDataPreprocessor(mean=[1, 2, 3], std=[1, 1, 1])({"inputs": inputs})
