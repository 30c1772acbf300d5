"""`indices` subsets, `get_cat_ids` for the core's ClassBalancedDataset, and `ann_file: null`, on real videos."""

from __future__ import annotations

import os
import shutil

import pytest
from vidcore.dataset import ClassBalancedDataset, ConcatDataset
from vidcore.errors import ConfigError
from vidcore.plugins import default_registry
from vidcore_video.datasets.rawframe_dataset import RawframeDataset
from vidcore_video.datasets.video_dataset import VideoDataset

PIPELINE = [
    {"type": "PyAVInit"},
    {"type": "SampleFrames", "clip_len": 1, "num_clips": 1, "test_mode": True},
    {"type": "PyAVDecode"},
    {"type": "Resize", "scale": [16, 16], "keep_ratio": False},
    {"type": "FormatShape", "input_format": "NCHW"},
    {"type": "PackActionInputs"},
]


@pytest.fixture()
def annotations(tmp_path, videos):
    """Four lines over two real videos: labels 0, 0, 0, 1 (multi-label: the last also has 2)."""
    root = tmp_path / "data"
    root.mkdir()
    for name in ("h264_mp4", "short_mp4"):
        shutil.copy(videos[name].path, root / os.path.basename(videos[name].path))
    single = tmp_path / "ann.txt"
    single.write_text("h264_mp4.mp4 0\nshort_mp4.mp4 0\nh264_mp4.mp4 0\nshort_mp4.mp4 1\n")
    multi = tmp_path / "multi.txt"
    multi.write_text("h264_mp4.mp4 0\nshort_mp4.mp4 0\nh264_mp4.mp4 0\nshort_mp4.mp4 1 2\n")
    return str(root), str(single), str(multi)


def test_indices_keep_the_first_n_or_the_listed_lines(annotations):
    root, single, _ = annotations
    assert [VideoDataset(single, PIPELINE, data_prefix=root, indices=2).get_data_info(index)["filename"]
            for index in range(2)] == [os.path.join(root, "h264_mp4.mp4"), os.path.join(root, "short_mp4.mp4")]
    subset = VideoDataset(single, PIPELINE, data_prefix=root, indices=[3, 0])
    assert len(subset) == 2 and subset.get_cat_ids(0) == [1] and subset[0]["inputs"].shape == (1, 3, 16, 16)


def test_indices_apply_before_the_missing_file_check(annotations, tmp_path):
    root, _, _ = annotations
    ann = tmp_path / "partly_missing.txt"
    ann.write_text("h264_mp4.mp4 0\nnot_here.mp4 1\n")
    assert len(VideoDataset(str(ann), PIPELINE, data_prefix=root, indices=1)) == 1
    with pytest.raises(ValueError, match=r"indices \[5\] are outside the 2 samples"):
        VideoDataset(str(ann), PIPELINE, data_prefix=root, indices=[5])


def test_class_balanced_dataset_over_video_datasets(annotations):
    root, single, multi = annotations
    dataset = ClassBalancedDataset(VideoDataset(single, PIPELINE, data_prefix=root), oversample_thr=0.5)
    # label 1 is in 1 of 4 samples: repeated ceil(sqrt(0.5 / 0.25)) = 2 times
    assert dataset.repeat_indices == [0, 1, 2, 3, 3] and dataset[4]["data_samples"].gt_label.tolist() == [1]
    multi_label = VideoDataset(multi, PIPELINE, data_prefix=root, multi_class=True, num_classes=3)
    assert multi_label.get_cat_ids(3) == [1, 2]
    assert len(ConcatDataset([dataset, multi_label])) == 9


def test_wrappers_and_indices_from_a_config(annotations):
    root, single, _ = annotations
    config = {"type": "ClassBalancedDataset", "oversample_thr": 0.5,
              "dataset": {"type": "VideoDataset", "ann_file": single, "data_prefix": {"video": root},
                          "pipeline": PIPELINE, "indices": [0, 1, 3]}}
    dataset = default_registry().build(config, "datasets")
    assert dataset.repeat_indices == [0, 1, 2, 2]  # label 1 in 1 of 3: ceil(sqrt(1.5)) = 2
    assert dataset.collate_fn == "stack_inputs_collate"


@pytest.mark.parametrize("dataset_type", [VideoDataset, RawframeDataset])
def test_a_null_ann_file_is_one_clear_error(dataset_type):
    with pytest.raises(ConfigError, match=r"^ann_file is null, so there are no samples to load: .*vidcore infer"):
        dataset_type(None, PIPELINE)


def test_a_null_ann_file_names_the_key_when_built_from_a_config():
    config = {"type": "VideoDataset", "ann_file": None, "pipeline": PIPELINE}
    with pytest.raises(ConfigError, match=r"^test_dataloader\.dataset \(VideoDataset\): ann_file is null"):
        default_registry().build(config, "datasets", key_path=("test_dataloader", "dataset"))
