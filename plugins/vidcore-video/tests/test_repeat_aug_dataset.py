"""RepeatAugDataset: one decode per video, `num_repeats` views of the right frames, batched by
repeat_pseudo_collate."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from vidcore.errors import ConfigError
from vidcore.plugins import default_registry
from vidcore_video.datasets.repeat_aug_dataset import RepeatAugDataset

PIPELINE = [
    {"type": "PyAVInit"},
    {"type": "SampleFrames", "clip_len": 1, "frame_interval": 1, "num_clips": 3},
    {"type": "PyAVDecode"},
    {"type": "FormatShape", "input_format": "NCHW"},
    {"type": "PackActionInputs", "meta_keys": ["frame_inds"]},
]


@pytest.fixture()
def annotation(tmp_path, videos):
    ann = tmp_path / "ann.txt"
    ann.write_text(f"{videos['h264_mp4'].path} 1\n{videos['mpeg4_avi'].path} 0\n")
    return str(ann)


def frame_indices(view: dict, media) -> list[int]:
    """The index of each frame of a view, read from its grey level (the test videos encode it)."""
    return [media.index_of(frame.permute(1, 2, 0).numpy()) for frame in view["inputs"]]


def test_views_hold_the_frames_they_sampled_and_the_video_is_decoded_once(annotation, media, monkeypatch):
    dataset = RepeatAugDataset(annotation, PIPELINE, num_repeats=3)
    decode = dataset.pipeline.decode
    calls = []
    monkeypatch.setattr(dataset.pipeline, "decode", lambda results: calls.append(1) or decode(results))
    np.random.seed(0)
    views = dataset[0]
    assert len(views) == 3 and calls == [1]
    for view in views:
        assert view["inputs"].shape == (3, 3, 48, 64) and view["data_samples"].gt_label.tolist() == [1]
        assert frame_indices(view, media) == view["data_samples"].metainfo["frame_inds"].tolist()
    assert len({tuple(frame_indices(view, media)) for view in views}) > 1  # sampled independently


def test_sample_once_gives_every_view_the_same_frames(annotation, media):
    dataset = RepeatAugDataset(annotation, PIPELINE, num_repeats=4, sample_once=True)
    np.random.seed(1)
    views = dataset[1]
    assert len(views) == 4 and len({tuple(frame_indices(view, media)) for view in views}) == 1


def test_a_loader_batch_holds_every_view(annotation):
    dataset = default_registry().build({"type": "RepeatAugDataset", "ann_file": annotation, "pipeline": PIPELINE,
                                        "num_repeats": 2}, "datasets")
    collate = default_registry().get("collate_fns", dataset.collate_fn)
    batch = next(iter(torch.utils.data.DataLoader(dataset, batch_size=2, collate_fn=collate)))
    assert len(batch["inputs"]) == 4
    assert [sample.gt_label.tolist() for sample in batch["data_samples"]] == [[1], [1], [0], [0]]


def test_the_pipeline_must_begin_with_init_sample_decode(annotation):
    with pytest.raises(ConfigError, match=r"must begin with an init, a sampling and a decode transform .*"
                                          r"got \['SampleFrames', 'PyAVInit', 'PyAVDecode'\]"):
        RepeatAugDataset(annotation, [PIPELINE[1], PIPELINE[0], *PIPELINE[2:]])
    with pytest.raises(ConfigError, match="num_repeats must be a positive integer"):
        RepeatAugDataset(annotation, PIPELINE, num_repeats=0)
