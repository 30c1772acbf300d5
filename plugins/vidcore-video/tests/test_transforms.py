"""Spatial transforms and formatting: geometry checked on clips with marked pixels."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from vidcore.errors import ConfigError, DataError
from vidcore_video.transforms.color import ColorJitter, hsv_to_rgb, rgb_to_hsv
from vidcore_video.transforms.crops import CenterCrop, MultiScaleCrop, RandomCrop, RandomResizedCrop, TenCrop, ThreeCrop
from vidcore_video.transforms.flip import Flip
from vidcore_video.transforms.formatting import FormatShape, PackActionInputs
from vidcore_video.transforms.normalize import Normalize
from vidcore_video.transforms.resize import RandomRescale, Resize, resize_clip


def numbered_clip(frames: int, height: int, width: int) -> np.ndarray:
    """Pixel (t, y, x) holds (t, y, x) mod 256 in its three channels, so any slice reveals where it came from."""
    t, y, x = np.meshgrid(np.arange(frames), np.arange(height), np.arange(width), indexing="ij")
    return (np.stack([t, y, x], axis=-1) % 256).astype(np.uint8)


def origin(imgs: np.ndarray) -> tuple[int, int]:
    """(y, x) in the original clip of the top-left pixel of a crop of `numbered_clip`."""
    return int(imgs[0, 0, 0, 1]), int(imgs[0, 0, 0, 2])


def run(transform, imgs: np.ndarray, **extra) -> dict:
    return transform({"imgs": imgs, "img_shape": imgs.shape[1:3], **extra})


# --- resizing ------------------------------------------------------------------------------------------
def test_resize_short_side_and_scale_factor():
    results = run(Resize((-1, 256)), np.zeros((2, 240, 320, 3), np.uint8))
    assert results["imgs"].shape == (2, 256, 341, 3) and results["img_shape"] == (256, 341)
    np.testing.assert_allclose(results["scale_factor"], [341 / 320, 256 / 240], rtol=1e-6)


def test_resize_keep_ratio_within_box_exact_size_and_factor():
    assert run(Resize((340, 256)), np.zeros((1, 240, 320, 3), np.uint8))["img_shape"] == (255, 340)
    assert run(Resize((224, 224), keep_ratio=False), np.zeros((1, 240, 320, 3), np.uint8))["img_shape"] == (224, 224)
    assert run(Resize(0.5), np.zeros((1, 240, 320, 3), np.uint8))["img_shape"] == (120, 160)


def test_resize_nearest_moves_a_marked_block_exactly():
    clip = np.zeros((3, 16, 20, 3), np.uint8)
    clip[:, 4:8, 8:12] = 255
    out = run(Resize((40, 32), keep_ratio=False, interpolation="nearest"), clip)["imgs"]
    expected = np.zeros((3, 32, 40, 3), np.uint8)
    expected[:, 8:16, 16:24] = 255
    np.testing.assert_array_equal(out, expected)


def test_resize_clip_resizes_every_frame_like_a_single_frame():
    clip = np.random.default_rng(0).integers(0, 256, (4, 24, 30, 3), dtype=np.uint8)
    whole = resize_clip(clip, (17, 41))
    alone = resize_clip(clip[2:3], (17, 41))
    np.testing.assert_array_equal(whole[2:3], alone)
    as_float = torch.nn.functional.interpolate(torch.from_numpy(clip).permute(0, 3, 1, 2).float(), size=(17, 41),
                                               mode="bilinear", align_corners=False)
    reference = as_float.round().clamp(0, 255).permute(0, 2, 3, 1).numpy()
    assert np.abs(whole.astype(int) - reference).max() <= 1
    area = resize_clip(clip, (12, 15), "area")
    assert area.dtype == np.uint8 and area.shape == (4, 12, 15, 3)


def test_random_rescale_short_side_in_range():
    np.random.seed(0)
    for _ in range(10):
        results = run(RandomRescale((20, 30)), np.zeros((1, 40, 60, 3), np.uint8))
        assert 20 <= results["short_edge"] <= 30 and results["img_shape"][0] == results["short_edge"]


def test_resize_rejects_bad_arguments():
    with pytest.raises(ConfigError, match="interpolation"):
        Resize((-1, 256), interpolation="lanczos")
    with pytest.raises(ConfigError, match="lazy"):
        Resize((-1, 256), lazy=True)
    with pytest.raises(ConfigError, match="scale"):
        Resize((-1, -1))


# --- crops ---------------------------------------------------------------------------------------------
def test_center_crop_takes_the_centre():
    clip = numbered_clip(2, 30, 41)
    results = run(CenterCrop(20), clip)
    assert results["imgs"].shape == (2, 20, 20, 3) and origin(results["imgs"]) == (5, 10)
    assert results["crop_bbox"].tolist() == [10, 5, 30, 25]
    assert origin(run(CenterCrop((10, 6)), clip)["imgs"]) == (12, 15)


def test_random_crop_slices_within_the_frame():
    np.random.seed(0)
    clip = numbered_clip(2, 30, 40)
    for _ in range(20):
        results = run(RandomCrop(16), clip)
        x1, y1, x2, y2 = results["crop_bbox"]
        assert (x2 - x1, y2 - y1) == (16, 16) and 0 <= x1 <= 24 and 0 <= y1 <= 14
        assert origin(results["imgs"]) == (y1, x1)
        np.testing.assert_array_equal(results["imgs"][1], clip[1, y1:y2, x1:x2])


def test_crop_larger_than_frame_names_the_argument_and_the_file():
    with pytest.raises(DataError, match=r"^crop_size: CenterCrop crop of 50x50 is larger than the frames it gets "
                                        r"\(40x40, from v\.mp4\)"):
        run(CenterCrop(50), np.zeros((1, 40, 40, 3), np.uint8), filename="v.mp4")


def test_random_resized_crop_area_and_ratio():
    np.random.seed(1)
    clip = numbered_clip(1, 60, 80)
    transform = RandomResizedCrop(area_range=(0.2, 0.5), aspect_ratio_range=(0.5, 2.0))
    for _ in range(30):
        results = run(transform, clip)
        x1, y1, x2, y2 = results["crop_bbox"]
        w, h = x2 - x1, y2 - y1
        assert 0 <= x1 and x2 <= 80 and 0 <= y1 and y2 <= 60
        fallback = (w, h) == (60, 60)
        assert fallback or (0.18 <= w * h / 4800 <= 0.52 and 0.45 <= w / h <= 2.2)
        assert origin(results["imgs"]) == (y1, x1)


def test_multi_scale_crop_sizes_and_fixed_offsets():
    np.random.seed(2)
    transform = MultiScaleCrop(224, scales=(1, 0.875, 0.75, 0.66), max_wh_scale_gap=1)
    clip = numbered_clip(1, 240, 320)
    sides = [240, 210, 180, 158]
    allowed = {(sides[j], sides[i]) for i in range(4) for j in range(4) if abs(i - j) <= 1}
    seen_positions = set()
    for _ in range(200):
        results = run(transform, clip)
        x1, y1, x2, y2 = results["crop_bbox"]
        w, h = x2 - x1, y2 - y1
        assert (w, h) in allowed
        w_step, h_step = (320 - w) // 4, (240 - h) // 4
        position = (x1 // w_step if w_step else 0, y1 // h_step if h_step else 0)
        assert (x1, y1) == (position[0] * w_step, position[1] * h_step)
        seen_positions.add(position if w_step and h_step else None)
        assert origin(results["imgs"]) == (y1 % 256, x1 % 256)
    assert {(0, 0), (4, 0), (0, 4), (4, 4), (2, 2)} <= seen_positions


def test_multi_scale_crop_snaps_to_input_size_and_random_crop():
    np.random.seed(3)
    results = run(MultiScaleCrop(224, scales=(1,)), np.zeros((1, 226, 300, 3), np.uint8))
    assert results["img_shape"] == (224, 224)  # 226 is within 2 px of 224
    results = run(MultiScaleCrop((30, 20), scales=(0.5,), random_crop=True), numbered_clip(1, 40, 60))
    assert results["img_shape"] == (20, 20)


def test_three_crop_along_the_long_side():
    clip = numbered_clip(2, 20, 41)
    results = run(ThreeCrop(20), clip)
    assert results["imgs"].shape == (6, 20, 20, 3)
    assert [origin(results["imgs"][k:k + 1]) for k in (0, 2, 4)] == [(0, 0), (0, 20), (0, 10)]
    assert results["crop_bbox"].shape == (6, 4)
    tall = run(ThreeCrop(20), numbered_clip(1, 30, 20))["imgs"]
    assert [origin(tall[k:k + 1]) for k in range(3)] == [(0, 0), (10, 0), (5, 0)]
    with pytest.raises(DataError, match="ThreeCrop"):
        run(ThreeCrop(10), clip)


def test_ten_crop_corners_centre_and_mirrors():
    clip = numbered_clip(3, 30, 40)
    out = run(TenCrop(20), clip)["imgs"]
    assert out.shape == (30, 20, 20, 3)
    views = out.reshape(10, 3, 20, 20, 3)
    starts = [(0, 0), (0, 20), (8, 0), (8, 20), (4, 10)]  # (y, x): w_step 5, h_step 2
    for k, (y, x) in enumerate(starts):
        np.testing.assert_array_equal(views[2 * k], clip[:, y:y + 20, x:x + 20])
        np.testing.assert_array_equal(views[2 * k + 1], clip[:, y:y + 20, x:x + 20][:, :, ::-1])


# --- flip, colour, normalisation ---------------------------------------------------------------------
def test_flip_horizontal_vertical_and_label_map():
    clip = numbered_clip(2, 4, 5)
    results = run(Flip(flip_ratio=1.0, flip_label_map={3: 7}), clip, label=3)
    np.testing.assert_array_equal(results["imgs"], clip[:, :, ::-1])
    assert results["flip"] and results["label"] == 7
    np.testing.assert_array_equal(run(Flip(1.0, direction="vertical"), clip)["imgs"], clip[:, ::-1])
    unchanged = run(Flip(0.0), clip, label=3)
    assert unchanged["imgs"] is clip and not unchanged["flip"] and unchanged["label"] == 3


def test_color_jitter_identity_brightness_and_shared_parameters():
    clip = np.random.default_rng(0).integers(0, 256, (2, 8, 8, 3), dtype=np.uint8)
    clip[1] = clip[0]
    identity = ColorJitter(brightness=0, contrast=0, saturation=0, hue=0)
    np.testing.assert_array_equal(run(identity, clip)["imgs"], clip)
    doubled = run(ColorJitter(brightness=(2.0, 2.0), contrast=0, saturation=0, hue=0), clip)["imgs"]
    np.testing.assert_array_equal(doubled, np.clip(clip.astype(int) * 2, 0, 255))
    np.random.seed(0)
    jittered = run(ColorJitter(), clip)["imgs"]
    assert jittered.dtype == np.uint8 and jittered.shape == clip.shape
    np.testing.assert_array_equal(jittered[0], jittered[1])  # one draw per clip


def test_hsv_round_trip_and_hue_rotation():
    rgb = np.random.default_rng(1).uniform(0, 255, (50, 3)).astype(np.float32)
    np.testing.assert_allclose(hsv_to_rgb(rgb_to_hsv(rgb)), rgb, atol=1e-3)
    red = np.array([[255, 0, 0]], np.float32)
    hsv = rgb_to_hsv(red)
    hsv[..., 0] = (hsv[..., 0] + 1 / 3) % 1.0
    np.testing.assert_allclose(hsv_to_rgb(hsv), [[0, 255, 0]], atol=1e-3)


def test_normalize_makes_float_clips():
    clip = np.full((1, 2, 2, 3), 100, np.uint8)
    out = run(Normalize(mean=(100, 50, 0), std=(1, 2, 4)), clip)["imgs"]
    assert out.dtype == np.float32
    np.testing.assert_allclose(out[0, 0, 0], [0, 25, 25])


# --- formatting ------------------------------------------------------------------------------------------
def test_format_shape_nchw():
    clip = numbered_clip(4, 3, 5)
    out = FormatShape("NCHW")({"imgs": clip})["imgs"]
    assert out.shape == (4, 3, 3, 5)
    assert out[2, 1, 2, 4] == clip[2, 2, 4, 1]
    assert np.shares_memory(out, clip)  # a contiguous clip is not copied
    assert out.transpose(0, 2, 3, 1).flags["C_CONTIGUOUS"]  # channels-last strides
    assert torch.from_numpy(out).is_contiguous(memory_format=torch.channels_last)


def test_format_shape_copies_a_view_once_into_channels_last_memory():
    clip = numbered_clip(4, 6, 8)
    view = clip[:, 1:5, ::-1]  # a crop and a horizontal flip, both views
    out = FormatShape("NCHW")({"imgs": view})["imgs"]
    assert not np.shares_memory(out, clip)
    np.testing.assert_array_equal(out, view.transpose(0, 3, 1, 2))
    packed = PackActionInputs()({"imgs": out, "label": 0})["inputs"]
    assert packed.is_contiguous(memory_format=torch.channels_last) and np.shares_memory(packed.numpy(), out)


def test_format_shape_ncthw_orders_views_clips_time():
    views, clips, clip_len = 2, 3, 4
    clip = np.zeros((views * clips * clip_len, 2, 2, 3), np.uint8)
    clip[..., 0] = np.arange(len(clip))[:, None, None]  # frame number in channel 0
    out = FormatShape("NCTHW")({"imgs": clip, "num_clips": clips, "clip_len": clip_len})["imgs"]
    assert out.shape == (views * clips, 3, clip_len, 2, 2)
    assert out[:, 0, :, 0, 0].tolist() == np.arange(24).reshape(6, 4).tolist()
    assert np.shares_memory(out, clip)
    assert torch.from_numpy(out).is_contiguous(memory_format=torch.channels_last_3d)
    single = FormatShape("NCTHW", collapse=True)({"imgs": clip[:4], "num_clips": 1, "clip_len": 4})["imgs"]
    assert single.shape == (3, 4, 2, 2)
    with pytest.raises(DataError, match="cannot form clips"):
        FormatShape("NCTHW")({"imgs": clip[:5], "num_clips": 1, "clip_len": 4})


def test_pack_action_inputs():
    imgs = np.ascontiguousarray(numbered_clip(2, 4, 4).transpose(0, 3, 1, 2))
    packed = PackActionInputs()({"imgs": imgs, "label": 3, "filename": "a.mp4", "img_shape": (4, 4), "extra": 1})
    assert packed["inputs"].dtype == torch.uint8 and packed["inputs"].shape == (2, 3, 4, 4)
    assert np.shares_memory(packed["inputs"].numpy(), imgs)
    sample = packed["data_samples"]
    assert sample.gt_label.tolist() == [3]
    assert sample.metainfo == {"filename": "a.mp4", "img_shape": (4, 4)}
    multi = PackActionInputs()({"imgs": imgs, "label": np.array([0, 1, 1], np.float32)})["data_samples"]
    assert multi.gt_label.dtype == torch.float32 and multi.gt_label.tolist() == [0, 1, 1]
    flipped = PackActionInputs()({"imgs": imgs[:, :, :, ::-1]})
    assert flipped["inputs"].shape == (2, 3, 4, 4) and flipped["data_samples"].gt_label is None


def test_tsn_pipeline_from_configs(videos):
    from vidcore_video.transforms.compose import Compose

    pipeline = Compose([
        {"type": "DecordInit"},
        {"type": "SampleFrames", "clip_len": 1, "frame_interval": 1, "num_clips": 3},
        {"type": "DecordDecode"},
        {"type": "Resize", "scale": [-1, 40]},
        {"type": "MultiScaleCrop", "input_size": 32, "scales": [1, 0.875, 0.75, 0.66], "max_wh_scale_gap": 1},
        {"type": "Resize", "scale": [32, 32], "keep_ratio": False},
        {"type": "Flip", "flip_ratio": 0.5},
        {"type": "FormatShape", "input_format": "NCHW"},
        {"type": "PackActionInputs"},
    ])
    packed = pipeline({"filename": videos["h264_mp4"].path, "label": 1, "start_index": 0})
    assert packed["inputs"].shape == (3, 3, 32, 32) and packed["inputs"].dtype == torch.uint8
    assert packed["data_samples"].gt_label.tolist() == [1]
