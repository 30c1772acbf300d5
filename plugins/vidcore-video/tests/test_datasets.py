"""Datasets: annotation parsing, errors that name file and line, missing files reported together, the
decode-error policy, raw frames, and the synthetic dataset."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from vidcore.errors import ConfigError, DataError
from vidcore_video.datasets.rawframe_dataset import RawframeDataset
from vidcore_video.datasets.synthetic import SyntheticVideoDataset
from vidcore_video.datasets.video_dataset import VideoDataset
from vidcore_video.errors import DecodeError

TEST_PIPELINE = [
    {"type": "PyAVInit"},
    {"type": "SampleFrames", "clip_len": 1, "num_clips": 2, "test_mode": True},
    {"type": "PyAVDecode"},
    {"type": "Resize", "scale": [24, 24], "keep_ratio": False},
    {"type": "FormatShape", "input_format": "NCHW"},
    {"type": "PackActionInputs"},
]


@pytest.fixture()
def video_dir(tmp_path, videos):
    """A dataset folder with three good videos (copies of session videos)."""
    root = tmp_path / "data"
    root.mkdir()
    for name in ("h264_mp4", "mpeg4_avi", "short_mp4"):
        shutil.copy(videos[name].path, root / os.path.basename(videos[name].path))
    return root


def write(path, text: str) -> str:
    path.write_text(text)
    return str(path)


def test_video_dataset_reads_lines_and_serves_packed_samples(tmp_path, video_dir):
    ann = write(tmp_path / "ann.txt", "h264_mp4.mp4 1\n\n# a comment\nmpeg4_avi.avi 0\nshort_mp4.mp4 2\n")
    labels = write(tmp_path / "classes.txt", "jump\nrun\nswim\n")
    dataset = VideoDataset(ann, TEST_PIPELINE, data_prefix={"video": str(video_dir)}, label_file=labels)
    assert len(dataset) == 3 and dataset.num_classes == 3
    assert dataset.metainfo == {"classes": ["jump", "run", "swim"]}
    info = dataset.get_data_info(1)
    assert info["filename"] == str(video_dir / "mpeg4_avi.avi") and info["label"] == 0 and info["start_index"] == 0
    sample = dataset[0]
    assert sample["inputs"].shape == (2, 3, 24, 24) and sample["inputs"].dtype == torch.uint8
    assert sample["data_samples"].gt_label.tolist() == [1]


def test_multi_label_lines_become_multi_hot(tmp_path, video_dir):
    ann = write(tmp_path / "ann.txt", "h264_mp4.mp4 0 2\nshort_mp4.mp4 1\n")
    dataset = VideoDataset(ann, TEST_PIPELINE, data_prefix=str(video_dir), multi_class=True, num_classes=4)
    assert dataset.get_data_info(0)["label"].tolist() == [1, 0, 1, 0]
    assert dataset[1]["data_samples"].gt_label.tolist() == [0, 1, 0, 0]
    with pytest.raises(ConfigError, match="num_classes"):
        VideoDataset(ann, TEST_PIPELINE, data_prefix=str(video_dir), multi_class=True)


def test_malformed_lines_are_reported_with_file_and_line(tmp_path, video_dir):
    ann = write(tmp_path / "ann.txt", "h264_mp4.mp4 1\nonly_a_path.mp4\nshort_mp4.mp4 x\nmpeg4_avi.avi 1 2\n")
    with pytest.raises(DataError) as caught:
        VideoDataset(ann, TEST_PIPELINE, data_prefix=str(video_dir))
    message = str(caught.value)
    assert message.startswith("3 of 4 annotation lines are malformed")
    assert f"{ann}:2: expected 'path label'" in message
    assert f"{ann}:3: label 'x' is not an integer" in message
    assert f"{ann}:4: 2 labels on a single-label line" in message


def test_labels_out_of_range_name_file_and_line(tmp_path, video_dir):
    ann = write(tmp_path / "ann.txt", "h264_mp4.mp4 1\nshort_mp4.mp4 5\n")
    with pytest.raises(DataError, match=rf"{ann}:2: label 5 is out of range \[0, 3\) for num_classes=3"):
        VideoDataset(ann, TEST_PIPELINE, data_prefix=str(video_dir), num_classes=3)
    negative = write(tmp_path / "neg.txt", "a.mp4 0\nb.mp4 -1\n")
    with pytest.raises(DataError, match=rf"{negative}:2: label -1 is negative"):
        VideoDataset(negative, TEST_PIPELINE)


def test_missing_files_reported_together(tmp_path, video_dir):
    lines = "".join(f"gone_{i}.mp4 0\n" for i in range(7)) + "h264_mp4.mp4 0\n"
    ann = write(tmp_path / "ann.txt", lines)
    with pytest.raises(DataError) as caught:
        VideoDataset(ann, TEST_PIPELINE, data_prefix=str(video_dir))
    message = str(caught.value)
    assert "7 of 8 video files are missing" in message and ann in message
    assert str(video_dir / "gone_0.mp4") in message and str(video_dir / "gone_4.mp4") in message
    assert "gone_5" not in message  # only the first few are listed
    VideoDataset(ann, TEST_PIPELINE, data_prefix=str(video_dir), check_files=False)  # opt out


def test_missing_annotation_and_label_files(tmp_path):
    with pytest.raises(DataError, match="annotation file not found: .*nope.txt"):
        VideoDataset(str(tmp_path / "nope.txt"), TEST_PIPELINE)
    ann = write(tmp_path / "ann.txt", "a.mp4 0\n")
    with pytest.raises(DataError, match="label file not found"):
        VideoDataset(ann, TEST_PIPELINE, label_file=str(tmp_path / "labels.txt"), check_files=False)


def test_json_annotations(tmp_path, video_dir):
    ann = tmp_path / "ann.json"
    ann.write_text(json.dumps([{"filename": "h264_mp4.mp4", "label": 2}, {"filename": "short_mp4.mp4"}]))
    with pytest.raises(DataError, match=r"ann.json\[1\]: missing key 'label'"):
        VideoDataset(str(ann), TEST_PIPELINE, data_prefix=str(video_dir))
    ann.write_text(json.dumps([{"filename": "h264_mp4.mp4", "label": 2}]))
    assert VideoDataset(str(ann), TEST_PIPELINE, data_prefix=str(video_dir)).get_data_info(0)["label"] == 2


@pytest.fixture()
def dataset_with_bad_files(tmp_path, video_dir, bad_files):
    for kind in ("truncated", "not_a_video", "empty"):
        shutil.copy(bad_files[kind], video_dir / f"bad_{kind}.mp4")
    ann = write(tmp_path / "ann.txt", "h264_mp4.mp4 0\nbad_truncated.mp4 1\nbad_not_a_video.mp4 1\n"
                                      "bad_empty.mp4 1\nshort_mp4.mp4 2\n")
    return ann, video_dir


@pytest.mark.parametrize("decoder", ["PyAV", "Decord"])
def test_decode_error_raise_policy_names_the_file(dataset_with_bad_files, decoder):
    ann, root = dataset_with_bad_files
    pipeline = [{"type": f"{decoder}Init"}] + TEST_PIPELINE[1:2] + [{"type": f"{decoder}Decode"}] + TEST_PIPELINE[3:]
    dataset = VideoDataset(ann, pipeline, data_prefix=str(root))
    with pytest.raises(DataError, match=f"cannot decode {root / 'bad_truncated.mp4'}"):
        dataset[1]
    assert dataset[0]["inputs"].shape == (2, 3, 24, 24)


def test_decode_error_skip_policy_replaces_and_logs(dataset_with_bad_files, caplog):
    ann, root = dataset_with_bad_files
    dataset = VideoDataset(ann, TEST_PIPELINE, data_prefix=str(root), on_decode_error="skip")
    with caplog.at_level("WARNING", logger="vidcore.video"):
        sample = dataset[1]  # three bad files in a row, then short_mp4.mp4
    assert sample["data_samples"].gt_label.tolist() == [2]
    assert dataset.skipped == 3
    for kind in ("truncated", "not_a_video", "empty"):
        assert str(root / f"bad_{kind}.mp4") in caplog.text
    dataset[2]  # known bad: replaced without hanging
    assert dataset.skipped == 4


def test_decode_error_skip_policy_is_bounded(dataset_with_bad_files):
    ann, root = dataset_with_bad_files
    dataset = VideoDataset(ann, TEST_PIPELINE, data_prefix=str(root), on_decode_error="skip", max_decode_retries=1)
    with pytest.raises(DataError, match="gave up after 2 undecodable samples in a row .*bad_not_a_video.mp4"):
        dataset[1]


def test_bad_policy_value():
    with pytest.raises(ConfigError, match="on_decode_error"):
        VideoDataset("x.txt", [], on_decode_error="ignore")


def test_rawframe_dataset(tmp_path, frame_folder):
    folder, count = frame_folder
    root = os.path.dirname(folder)
    ann = write(tmp_path / "frames.txt", f"clip_a {count} 1\n")
    pipeline = [{"type": "SampleFrames", "clip_len": 1, "num_clips": 5, "test_mode": True},
                {"type": "RawFrameDecode"}, {"type": "FormatShape", "input_format": "NCHW"},
                {"type": "PackActionInputs"}]
    dataset = RawframeDataset(ann, pipeline, data_prefix={"img": root}, filename_tmpl="img_{:05}.png")
    info = dataset.get_data_info(0)
    assert info["frame_dir"] == folder and info["total_frames"] == count and info["start_index"] == 1
    sample = dataset[0]
    assert sample["inputs"].shape == (5, 3, 24, 30)
    levels = sample["inputs"].float().mean(dim=(1, 2, 3))
    assert [int(round((v - 20) / 9)) for v in levels.tolist()] == [1, 3, 5, 7, 9]  # 1-based files, centres


def test_rawframe_dataset_offset_and_errors(tmp_path, frame_folder):
    folder, _ = frame_folder
    root = os.path.dirname(folder)
    ann = write(tmp_path / "frames.txt", "clip_a 2 5 0\n")
    dataset = RawframeDataset(ann, [], data_prefix=root, with_offset=True)
    assert dataset.get_data_info(0)["offset"] == 2 and dataset.get_data_info(0)["total_frames"] == 5
    bad = write(tmp_path / "bad.txt", "clip_a 0 1\nclip_a ten 1\nclip_b 3 1\n")
    with pytest.raises(DataError) as caught:
        RawframeDataset(bad, [], data_prefix=root)
    assert f"{bad}:1: total_frames must be >= 1" in str(caught.value)
    assert f"{bad}:2: total_frames 'ten'" in str(caught.value)
    missing = write(tmp_path / "missing.txt", "clip_b 3 1\n")
    with pytest.raises(DataError, match="1 of 1 frame folders are missing"):
        RawframeDataset(missing, [], data_prefix=root)


def test_dataset_accepts_built_transforms(tmp_path, video_dir):
    from vidcore_video.transforms.decoding_pyav import PyAVDecode, PyAVInit
    from vidcore_video.transforms.sampling import SampleFrames

    ann = write(tmp_path / "ann.txt", "h264_mp4.mp4 1\n")
    pipeline = [PyAVInit(), SampleFrames(1, num_clips=1, test_mode=True), PyAVDecode(), {"type": "PackActionInputs"}]
    assert VideoDataset(ann, pipeline, data_prefix=str(video_dir))[0]["inputs"].shape == (1, 48, 64, 3)


def test_dataset_built_from_registry_config(tmp_path, video_dir):
    from vidcore.plugins import default_registry

    ann = write(tmp_path / "ann.txt", "h264_mp4.mp4 1\n")
    cfg = {"type": "VideoDataset", "ann_file": ann, "data_prefix": {"video": str(video_dir)}, "pipeline": TEST_PIPELINE}
    dataset = default_registry().build(cfg, "datasets")
    assert dataset[0]["inputs"].shape == (2, 3, 24, 24)


SYNTHETIC = {"num_classes": 4, "videos_per_class": 3, "num_frames": 6, "size": (32, 24), "seed": 7}


def test_synthetic_dataset_generates_once_and_is_deterministic(tmp_path):
    first = SyntheticVideoDataset(TEST_PIPELINE, data_root=str(tmp_path / "a"), **SYNTHETIC)
    assert len(first) == 12 and first.metainfo["classes"][:2] == ["horizontal_stripes", "vertical_stripes"]
    assert sorted(first.get_data_info(i)["label"] for i in range(12)) == [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3]
    stamp = os.path.getmtime(first.get_data_info(0)["filename"])
    again = SyntheticVideoDataset(TEST_PIPELINE, data_root=str(tmp_path / "a"), **SYNTHETIC)
    assert os.path.getmtime(again.get_data_info(0)["filename"]) == stamp  # reused, not rewritten
    other = SyntheticVideoDataset(TEST_PIPELINE, data_root=str(tmp_path / "b"), **SYNTHETIC)
    for i in (0, 5):
        a, b = first[i]["inputs"], other[i]["inputs"]
        assert torch.equal(a, b)
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".")]  # no staging folder left behind


def test_synthetic_splits_differ_and_params_are_checked(tmp_path):
    train = SyntheticVideoDataset(TEST_PIPELINE, split="train", data_root=str(tmp_path / "t"), **SYNTHETIC)
    val = SyntheticVideoDataset(TEST_PIPELINE, split="val", data_root=str(tmp_path / "v"), **SYNTHETIC)
    assert not torch.equal(train[0]["inputs"], val[0]["inputs"])
    with pytest.raises(ConfigError, match="other parameters"):
        SyntheticVideoDataset(TEST_PIPELINE, split="val", data_root=str(tmp_path / "t"), **SYNTHETIC)
    with pytest.raises(ConfigError, match="num_classes"):
        SyntheticVideoDataset(TEST_PIPELINE, num_classes=9)


def test_synthetic_default_cache_dir_has_a_readable_name_keyed_by_every_parameter(tmp_path, monkeypatch):
    monkeypatch.setenv("VIDCORE_CACHE_DIR", str(tmp_path / "cache"))
    dataset = SyntheticVideoDataset([], split="test", **SYNTHETIC)
    root = Path(dataset.data_root)
    assert root.parent == tmp_path / "cache" / "synthetic"
    assert re.fullmatch(r"test-patterns-4classes-12clips-32x24-[0-9a-f]{8}", root.name), root.name
    readme = (root / "README.txt").read_text()
    assert "Synthetic test videos" in readme and "3 per class, 32x24, 6 frames at 16 fps, libx264" in readme
    assert "horizontal_stripes, vertical_stripes, checkerboard, diamonds" in readme
    assert Path(SyntheticVideoDataset([], split="test", **SYNTHETIC).data_root) == root  # reused
    reseeded = Path(SyntheticVideoDataset([], split="test", **dict(SYNTHETIC, seed=8)).data_root)
    assert reseeded.name[:-8] == root.name[:-8] and reseeded != root  # same description, other hash
    assert json.loads((reseeded / "params.json").read_text())["seed"] == 8


def test_synthetic_classes_are_not_separable_by_mean_colour(tmp_path):
    params = dict(SYNTHETIC, videos_per_class=10)
    pipeline = [{"type": "PyAVInit"}, {"type": "SampleFrames", "clip_len": 1, "num_clips": 3, "test_mode": True},
                {"type": "PyAVDecode"}]
    dataset = SyntheticVideoDataset(pipeline, data_root=str(tmp_path / "s"), **params)
    colours = np.stack([dataset[i]["imgs"].reshape(-1, 3).mean(axis=0) for i in range(len(dataset))])
    labels = np.array([dataset.get_data_info(i)["label"] for i in range(len(dataset))])
    # Leave-one-out nearest class centroid on mean colour stays near chance (25%).
    correct = 0
    for i in range(len(dataset)):
        keep = np.arange(len(dataset)) != i
        centroids = np.stack([colours[keep & (labels == c)].mean(axis=0) for c in range(4)])
        correct += int(np.argmin(np.linalg.norm(centroids - colours[i], axis=1)) == labels[i])
    assert correct / len(dataset) < 0.5


def test_synthetic_generation_is_atomic_under_concurrency(tmp_path):
    import multiprocessing

    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("needs the fork start method")
    root = str(tmp_path / "shared")
    context = multiprocessing.get_context("fork")  # fast; the children only write files
    with context.Pool(2) as pool:
        roots = pool.starmap(_generate_in_worker, [(root,), (root,)])
    assert roots == [root, root]
    dataset = SyntheticVideoDataset(TEST_PIPELINE, data_root=root, **SYNTHETIC)
    assert all(dataset[i]["inputs"].shape == (2, 3, 24, 24) for i in range(len(dataset)))
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".")]


def _generate_in_worker(root: str) -> str:
    from vidcore_video.datasets.synthetic import SyntheticVideoDataset as Dataset

    return Dataset([], data_root=root, **SYNTHETIC).data_root


def test_decode_error_pickles():
    import pickle

    error = pickle.loads(pickle.dumps(DecodeError("/x.mp4", "broken")))
    assert isinstance(error, DataError) and error.path == "/x.mp4" and str(error) == "cannot decode /x.mp4: broken"


@pytest.mark.parametrize("decoder", ["PyAV", "Decord"])
def test_dataloader_workers_after_decoding_in_the_parent(tmp_path, decoder):
    """Forked workers must not inherit decoder state that deadlocks (a swscale context made before the fork)."""
    from torch.utils.data import DataLoader

    pipeline = [{"type": f"{decoder}Init"}] + TEST_PIPELINE[1:2] + [{"type": f"{decoder}Decode"}] + TEST_PIPELINE[3:]
    dataset = SyntheticVideoDataset(pipeline, data_root=str(tmp_path / "s"), **SYNTHETIC)
    dataset[0]  # decode in the parent first
    loader = DataLoader(dataset, batch_size=4, num_workers=2, collate_fn=lambda batch: batch, timeout=60)
    seen = [sample["data_samples"].gt_label.item() for batch in loader for sample in batch]
    assert sorted(seen) == sorted(dataset.get_data_info(i)["label"] for i in range(len(dataset)))


def _vertical_motion(frames: np.ndarray) -> int:
    """The row shift (pixels, + = down) that best maps each frame's row profile onto the next's."""
    profiles = frames.astype(np.float32).mean(axis=(2, 3))  # (T, H)
    profiles -= profiles.mean(axis=1, keepdims=True)
    votes = []
    for a, b in zip(profiles[:-1], profiles[1:]):
        errors = {d: np.abs(np.roll(a, d)[6:-6] - b[6:-6]).mean() for d in range(-5, 6)}
        votes.append(min(errors, key=errors.get))
    return int(np.sign(np.sum(votes)))


def test_synthetic_temporal_order_classes_differ_only_in_the_direction_of_motion(tmp_path):
    params = dict(SYNTHETIC, num_frames=8, size=(48, 48), videos_per_class=3)
    pipeline = [{"type": "PyAVInit"}, {"type": "SampleFrames", "clip_len": 1, "num_clips": 8, "test_mode": True},
                {"type": "PyAVDecode"}]
    dataset = SyntheticVideoDataset(pipeline, data_root=str(tmp_path / "t"), class_set="temporal_order", **params)
    assert dataset.metainfo["classes"] == ["stripes_moving_up", "stripes_moving_down", "rings_expanding",
                                           "rings_contracting"]
    for index in range(len(dataset)):
        label = dataset.get_data_info(index)["label"]
        if label in (0, 1):
            assert _vertical_motion(dataset[index]["imgs"]) == (-1 if label == 0 else 1)
    with pytest.raises(ConfigError, match="class_set must be one of"):
        SyntheticVideoDataset(pipeline, class_set="arrow_of_time", **params)
    with pytest.raises(ConfigError, match="num_classes must be in \\[2, 4\\] for class_set 'temporal_order'"):
        SyntheticVideoDataset(pipeline, class_set="temporal_order", **dict(params, num_classes=5))


def test_synthetic_default_class_set_keeps_its_cache_parameters(tmp_path):
    dataset = SyntheticVideoDataset([], data_root=str(tmp_path / "p"), **SYNTHETIC)
    recorded = json.loads((tmp_path / "p" / "params.json").read_text())
    assert "class_set" not in recorded and dataset.metainfo["classes"][0] == "horizontal_stripes"
