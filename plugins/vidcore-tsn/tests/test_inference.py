"""init_recognizer / inference_recognizer and the `vidcore infer` command, on a tiny untrained TSN."""

from __future__ import annotations

import json

import pytest
import torch
import yaml
from vidcore import CheckpointError, DataError
from vidcore_testing import run_vidcore
from vidcore_tsn.inference import Prediction, class_names_from, inference_recognizer, init_recognizer

PIPELINE = [
    {"type": "PyAVInit"},
    {"type": "SampleFrames", "clip_len": 1, "frame_interval": 1, "num_clips": 2, "test_mode": True},
    {"type": "PyAVDecode"},
    {"type": "Resize", "scale": [-1, 32]},
    {"type": "ThreeCrop", "crop_size": 32},
    {"type": "FormatShape", "input_format": "NCHW"},
    {"type": "PackActionInputs"},
]


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    """A config (3 classes, label file), a checkpoint of its model, and two generated videos."""
    from vidcore_video import SyntheticVideoDataset

    root = tmp_path_factory.mktemp("infer")
    videos = SyntheticVideoDataset([], num_classes=3, videos_per_class=1, num_frames=6, size=32,
                                   data_root=str(root / "videos"))
    files = [videos.media_path(record) for record in videos.records[:2]]
    labels = root / "classes.txt"
    labels.write_text("walking\nrunning\njumping\n")
    cfg = {
        "model": {
            "type": "Recognizer2D",
            "backbone": {"type": "ResNet", "depth": 18, "pretrained": "torchvision://resnet18"},
            "cls_head": {"type": "TSNHead", "num_classes": 3, "in_channels": 512},
            "data_preprocessor": {"type": "ActionDataPreprocessor", "mean": [128, 128, 128], "std": [64, 64, 64],
                                  "format_shape": "NCHW"},
        },
        "test_dataloader": {"dataset": {"type": "VideoDataset", "ann_file": "unused.txt",
                                        "label_file": str(labels), "pipeline": PIPELINE}},
    }
    config = root / "tsn.yaml"
    config.write_text(yaml.safe_dump(cfg))
    no_pretrained = {**cfg["model"], "backbone": {"type": "ResNet", "depth": 18}}
    from vidcore import default_registry

    model = default_registry().build(no_pretrained, "models")
    checkpoint = root / "tsn.pth"
    torch.save({"meta": {"epoch": 1}, "state_dict": model.state_dict()}, checkpoint)
    return {"config": str(config), "checkpoint": str(checkpoint), "videos": files, "model": model, "root": root}


def test_init_recognizer_loads_weights_without_downloading_pretrained(setup):
    model = init_recognizer(setup["config"], setup["checkpoint"])  # pretrained: torchvision:// is skipped
    assert not model.training
    assert torch.equal(model.cls_head.fc_cls.weight, setup["model"].cls_head.fc_cls.weight)
    assert model.class_names == ["walking", "running", "jumping"]


def test_inference_returns_topk_per_video_with_names(setup):
    model = init_recognizer(setup["config"], setup["checkpoint"])
    results = inference_recognizer(model, setup["videos"], topk=2)
    assert [r.video for r in results] == setup["videos"]
    first = results[0]
    assert isinstance(first, Prediction) and first.scores.shape == (3,)
    assert abs(first.scores.sum().item() - 1) < 1e-5  # average_clips: prob
    assert len(first.topk) == 2 and first.topk[0][1] >= first.topk[1][1]
    assert first.name == ["walking", "running", "jumping"][first.label]
    single = inference_recognizer(model, setup["videos"][0], topk=10)
    assert len(single) == 1 and len(single[0].topk) == 3
    assert torch.allclose(single[0].scores, first.scores, atol=1e-5)


def test_class_names_sources(setup, tmp_path):
    assert class_names_from({}, {"dataset_meta": {"classes": ["a", "b"]}}) == ["a", "b"]
    assert class_names_from({"val_dataloader": {"dataset": {"metainfo": {"classes": ["x"]}}}}) == ["x"]
    assert class_names_from({"test_dataloader": {"dataset": {"type": "SyntheticVideoDataset"}}}) is None
    with pytest.raises(DataError, match="test_dataloader.dataset.label_file: .*nope.txt: file not found"):
        class_names_from({"test_dataloader": {"dataset": {"label_file": str(tmp_path / "nope.txt")}}})


def test_errors_are_one_line_vidcore_errors(setup, tmp_path):
    model = init_recognizer(setup["config"], setup["checkpoint"])
    with pytest.raises(DataError, match="missing.mp4: video file not found"):
        inference_recognizer(model, [setup["videos"][0], str(tmp_path / "missing.mp4")])
    other = tmp_path / "other.pth"
    torch.save({"state_dict": {"backbone.conv1.weight": torch.zeros(1)}}, other)
    with pytest.raises(CheckpointError, match="other.pth: does not fit the config's Recognizer2D"):
        init_recognizer(setup["config"], str(other))
    garbage = tmp_path / "garbage.pth"
    garbage.write_bytes(b"\x00" * 10)
    with pytest.raises(CheckpointError, match="garbage.pth"):
        init_recognizer(setup["config"], str(garbage))


def test_infer_command_prints_topk(setup):
    result = run_vidcore("infer", setup["config"], setup["checkpoint"], *setup["videos"], "--topk", "2")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == setup["videos"][0] and len(lines) == 6
    assert lines[1].split()[1] in ("walking", "running", "jumping")


def test_infer_command_json_output(setup, capsys):
    from vidcore.cli._main import main

    assert main(["infer", setup["config"], setup["checkpoint"], setup["videos"][0], "--json", "--topk", "1"]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    record = json.loads(line)
    assert record["video"] == setup["videos"][0] and len(record["topk"]) == 1
    assert record["topk"][0]["name"] == ["walking", "running", "jumping"][record["topk"][0]["label"]]


@pytest.mark.parametrize("case,message", [
    ("video", "nope.mp4: video file not found"),
    ("checkpoint", "nope.pth: checkpoint file not found"),
    ("topk", "--topk: expected a positive number, got 0"),
])
def test_infer_command_user_errors_exit_2_with_one_line(setup, capsys, case, message):
    from vidcore.cli._main import main

    video, checkpoint, topk = setup["videos"][0], setup["checkpoint"], "3"
    if case == "video":
        video = str(setup["root"] / "nope.mp4")
    elif case == "checkpoint":
        checkpoint = str(setup["root"] / "nope.pth")
    else:
        topk = "0"
    assert main(["infer", setup["config"], checkpoint, video, "--topk", topk]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("vidcore: error: ") and message in err[0]
