"""RandomErasing, TorchVisionWrapper and PytorchVideoWrapper on real decoded clips: one draw per clip."""

from __future__ import annotations

import numpy as np
import pytest
from vidcore.errors import ConfigError, DataError
from vidcore_testing import check_transform
from vidcore_video.transforms.compose import Compose
from vidcore_video.transforms.erasing import RandomErasing
from vidcore_video.transforms.torchvision_wrappers import PytorchVideoWrapper, TorchVisionWrapper


@pytest.fixture(scope="module")
def clip(videos):
    """Four decoded frames of a real video, as the pipeline hands them on."""
    pipeline = Compose([{"type": "PyAVInit"}, {"type": "SampleFrames", "clip_len": 4, "num_clips": 1},
                        {"type": "PyAVDecode"}])
    np.random.seed(0)
    return pipeline({"filename": videos["h264_mp4"].path, "start_index": 0, "modality": "RGB"})


def erased_box(before: np.ndarray, after: np.ndarray) -> tuple[slice, slice]:
    changed = np.argwhere((before != after).any(axis=(0, 3)))
    (top, left), (bottom, right) = changed.min(0), changed.max(0)
    return slice(top, bottom + 1), slice(left, right + 1)


def test_random_erasing_fills_one_box_in_every_frame(clip):
    np.random.seed(3)
    erasing = RandomErasing(erase_prob=1.0, min_area_ratio=0.1, max_area_ratio=0.2, fill_color=(1, 2, 3))
    out = check_transform(erasing, clip)["imgs"]
    rows, columns = erased_box(clip["imgs"], out)
    area = (rows.stop - rows.start) * (columns.stop - columns.start) / (out.shape[1] * out.shape[2])
    assert 0.08 <= area <= 0.23  # rounding of the sides
    assert (out[:, rows, columns] == np.array([1, 2, 3], dtype=np.uint8)).all()
    outside = np.ones(out.shape[1:3], dtype=bool)
    outside[rows, columns] = False
    assert np.array_equal(out[:, outside], clip["imgs"][:, outside])


def test_random_erasing_random_fill_and_probability(clip):
    np.random.seed(1)
    erasing = RandomErasing(erase_prob=1.0, mode="rand", min_area_ratio=0.2, max_area_ratio=0.3)
    out = erasing(dict(clip, imgs=clip["imgs"].copy()))["imgs"]
    rows, columns = erased_box(clip["imgs"], out)
    patches = out[:, rows, columns].astype(int)
    assert patches.std() > 40 and not np.array_equal(patches[0], patches[1])  # uniform noise, drawn per frame
    untouched = [RandomErasing(erase_prob=0.0)(dict(clip))["imgs"] is clip["imgs"] for _ in range(5)]
    assert all(untouched)


def test_random_erasing_rejects_bad_arguments_and_flow():
    with pytest.raises(ConfigError, match="erase_prob must be in"):
        RandomErasing(erase_prob=1.5)
    with pytest.raises(ConfigError, match="mode must be one of"):
        RandomErasing(mode="noise")
    with pytest.raises(ConfigError, match="min_area_ratio <= max_area_ratio"):
        RandomErasing(min_area_ratio=0.5, max_area_ratio=0.1)
    assert RandomErasing(aspect_range=3.0).aspect_range == pytest.approx((1 / 3, 3.0))
    with pytest.raises(DataError, match="RandomErasing works on RGB clips, got 2 channels"):
        RandomErasing(erase_prob=1.0)({"imgs": np.zeros((2, 8, 8, 2), np.uint8), "frame_dir": "flow/a"})


@pytest.mark.parametrize("op,kwargs", [("RandAugment", {"num_ops": 3, "magnitude": 12}), ("AugMix", {}),
                                       ("TrivialAugmentWide", {}), ("RandomErasing", {"p": 1.0})])
def test_torchvision_ops_draw_once_per_clip(clip, op, kwargs):
    repeated = dict(clip, imgs=np.repeat(clip["imgs"][:1], 4, axis=0))  # four identical frames
    for seed in range(3):
        out = check_transform(TorchVisionWrapper(op, **kwargs), repeated, seed=seed)["imgs"]
        assert out.dtype == np.uint8 and out.shape == repeated["imgs"].shape
        assert all(np.array_equal(out[0], frame) for frame in out[1:])  # the same augmentation in every frame


def test_torchvision_wrapper_resizing_ops_update_the_shape_and_errors_are_clear(clip):
    out = TorchVisionWrapper("RandomResizedCrop", size=[16, 20])(dict(clip))
    assert out["imgs"].shape == (4, 16, 20, 3) and out["img_shape"] == (16, 20)
    with pytest.raises(ConfigError, match="'RandAugmnet' is not a transform of torchvision.transforms.v2; did you "
                                          "mean RandAugment"):
        TorchVisionWrapper("RandAugmnet")
    with pytest.raises(ConfigError, match=r"TorchVisionWrapper\(op='RandAugment'\): .*num_layers"):
        TorchVisionWrapper("RandAugment", num_layers=2)


def test_pytorchvideo_wrapper_maps_mmaction2_configs_onto_torchvision(clip):
    randaugment = PytorchVideoWrapper("RandAugment", magnitude=7, num_layers=4).transform
    assert (randaugment.num_ops, randaugment.magnitude, randaugment.num_magnitude_bins) == (4, 7, 11)
    augmix = PytorchVideoWrapper("AugMix", magnitude=5, width=2).transform
    assert (augmix.severity, augmix.mixture_width, augmix.chain_depth) == (5, 2, -1)
    repeated = dict(clip, imgs=np.repeat(clip["imgs"][:1], 4, axis=0))
    out = check_transform(PytorchVideoWrapper("RandAugment", magnitude=9), repeated)["imgs"]
    assert all(np.array_equal(out[0], frame) for frame in out[1:])
    with pytest.raises(ConfigError, match=r"\['prob'\] cannot be honoured by torchvision's RandAugment"):
        PytorchVideoWrapper("RandAugment", prob=0.3)
    with pytest.raises(ConfigError, match=r"use \{type: RandomRescale\} instead"):
        PytorchVideoWrapper("RandomShortSideScale", min_size=256, max_size=320)
