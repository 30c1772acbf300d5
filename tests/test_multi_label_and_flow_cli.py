"""mmaction2-style configs for multi-label recognition and optical flow, run through the `vidcore` CLI on data
the tests write: PyAV videos with several labels per line (BCE loss, sigmoid scores, MMiT mAP, RandAugment
and RandomErasing in the pipeline) and x/y flow JPEGs (RawframeDataset modality Flow, a 10-channel ResNet
initialised from RGB weights); `vidcore test --dump-confusion` writes the confusion matrix."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from vidcore_testing import encode_video, run_vidcore

pytestmark = pytest.mark.slow

RUNTIME = "pkg://vidcore_tsn/configs/_base_/default_runtime.yaml"
LOOPS = {"train_cfg": {"type": "EpochBasedTrainLoop", "max_epochs": 1, "val_interval": 1},
         "val_cfg": {"type": "ValLoop"}, "test_cfg": {"type": "TestLoop"}}


def loader(dataset: dict, pipeline: list[dict], batch_size: int) -> dict:
    return {"batch_size": batch_size, "num_workers": 0, "sampler": {"type": "DefaultSampler", "shuffle": False},
            "dataset": {**dataset, "pipeline": pipeline}}


def multi_label_config() -> dict:
    """As mmaction2's MMiT TSN recipe (BCE loss weight 160, multi_class), with mvit's RandAugment/RandomErasing."""
    dataset = {"type": "VideoDataset", "ann_file": "mmit_list.txt", "data_prefix": {"video": "videos"},
               "multi_class": True, "num_classes": 4}
    test_loader = loader(dataset, [
        {"type": "PyAVInit"}, {"type": "SampleFrames", "clip_len": 1, "frame_interval": 1, "num_clips": 3,
                               "test_mode": True},
        {"type": "PyAVDecode"}, {"type": "CenterCrop", "crop_size": 32},
        {"type": "FormatShape", "input_format": "NCHW"}, {"type": "PackActionInputs"}], 3)
    metric = {"type": "AccMetric", "metric_list": ["mmit_mean_average_precision", "mean_average_precision"]}
    return {
        "_base_": RUNTIME,
        "model": {
            "type": "Recognizer2D", "backbone": {"type": "ResNet", "depth": 18, "pretrained": None},
            "cls_head": {"type": "TSNHead", "num_classes": 4, "in_channels": 512, "multi_class": True,
                         "dropout_ratio": 0.5, "loss_cls": {"type": "BCELossWithLogits", "loss_weight": 160.0},
                         "average_clips": "prob"},
            "data_preprocessor": {"type": "ActionDataPreprocessor", "mean": [123.675, 116.28, 103.53],
                                  "std": [58.395, 57.12, 57.375], "format_shape": "NCHW"}},
        "train_dataloader": loader(dataset, [
            {"type": "PyAVInit"}, {"type": "SampleFrames", "clip_len": 1, "frame_interval": 1, "num_clips": 3},
            {"type": "PyAVDecode"},
            {"type": "PytorchVideoWrapper", "op": "RandAugment", "magnitude": 7, "num_layers": 4},
            {"type": "RandomResizedCrop"}, {"type": "Resize", "scale": [32, 32], "keep_ratio": False},
            {"type": "Flip", "flip_ratio": 0.5}, {"type": "RandomErasing", "erase_prob": 0.25, "mode": "rand"},
            {"type": "FormatShape", "input_format": "NCHW"}, {"type": "PackActionInputs"}], 3),
        "val_dataloader": test_loader, "test_dataloader": test_loader,
        "val_evaluator": metric, "test_evaluator": metric, **LOOPS,
        "optim_wrapper": {"optimizer": {"type": "SGD", "lr": 0.001, "momentum": 0.9, "weight_decay": 0.0001},
                          "clip_grad": {"max_norm": 40}},
        "default_hooks": {"logger": {"interval": 1},
                          "checkpoint": {"interval": 1, "save_best": "acc/mmit_mean_average_precision"}},
    }


def flow_config() -> dict:
    """As mmaction2 1.x's TSN Kinetics flow recipe: 5 x/y frames per segment, a 10-channel ResNet."""
    dataset = {"type": "RawframeDataset", "ann_file": "flow_list.txt", "data_prefix": {"img": "rawframes"},
               "filename_tmpl": "{}_{:05d}.jpg", "modality": "Flow"}
    test_loader = loader(dataset, [
        {"type": "SampleFrames", "clip_len": 5, "frame_interval": 1, "num_clips": 2, "test_mode": True},
        {"type": "RawFrameDecode"}, {"type": "CenterCrop", "crop_size": 32},
        {"type": "FormatShape", "input_format": "NCHW_Flow"}, {"type": "PackActionInputs"}], 2)
    return {
        "_base_": RUNTIME,
        "model": {
            "type": "Recognizer2D",
            "backbone": {"type": "ResNet", "depth": 18, "in_channels": 10, "pretrained": "resnet18_rgb.pth"},
            "cls_head": {"type": "TSNHead", "num_classes": 2, "in_channels": 512, "dropout_ratio": 0.4},
            "data_preprocessor": {"type": "ActionDataPreprocessor", "mean": [128] * 10, "std": [128] * 10,
                                  "format_shape": "NCHW"}},
        "train_dataloader": loader(dataset, [
            {"type": "SampleFrames", "clip_len": 5, "frame_interval": 1, "num_clips": 2}, {"type": "RawFrameDecode"},
            {"type": "Resize", "scale": [-1, 36]}, {"type": "RandomResizedCrop"},
            {"type": "Resize", "scale": [32, 32], "keep_ratio": False}, {"type": "Flip", "flip_ratio": 0.5},
            {"type": "FormatShape", "input_format": "NCHW"}, {"type": "PackActionInputs"}], 4),
        "val_dataloader": test_loader, "test_dataloader": test_loader,
        "val_evaluator": [{"type": "AccMetric"}, {"type": "ConfusionMatrix"}], "test_evaluator": {"type": "AccMetric"},
        **LOOPS,
        "optim_wrapper": {"optimizer": {"type": "SGD", "lr": 0.005, "momentum": 0.9, "weight_decay": 0.0001}},
        "default_hooks": {"logger": {"interval": 1}},
    }


# video -> labels: every class occurs, one video has three labels
MULTI_LABELS = {"a.mp4": [0, 2], "b.mp4": [1], "c.mp4": [1, 2, 3]}


def scalars(work_dir: Path, mode: str) -> list[dict]:
    (path,) = work_dir.glob("*/vis_data/scalars.json")
    return [record for record in map(json.loads, path.read_text().splitlines()) if record["mode"] == mode]


def test_multi_label_config_trains_validates_and_tests_with_sigmoid_scores(tmp_path: Path):
    for name in MULTI_LABELS:
        encode_video(tmp_path / "videos" / name, num_frames=8, height=40, width=48)
    (tmp_path / "mmit_list.txt").write_text("".join(f"{name} {' '.join(map(str, labels))}\n"
                                                    for name, labels in MULTI_LABELS.items()))
    (tmp_path / "mmit.yaml").write_text(yaml.safe_dump(multi_label_config()))
    result = run_vidcore("run", "mmit.yaml", "--work-dir", "work", cwd=tmp_path)
    assert result.returncode == 0, str(result)
    work = tmp_path / "work"
    (train,) = scalars(work, "train")  # one iteration: 3 videos, batch 3
    assert train["loss_cls"] > 0 and "top1_acc" not in train
    (val,) = scalars(work, "val")
    assert 0 < val["acc/mmit_mean_average_precision"] <= 1 and 0 < val["acc/mean_average_precision"] <= 1
    (best,) = work.glob("best_acc_mmit_mean_average_precision_epoch_1.pth")

    result = run_vidcore("test", "mmit.yaml", best, "--work-dir", "work", "--dump", "preds.json", cwd=tmp_path)
    assert result.returncode == 0, str(result)
    predictions = json.loads((tmp_path / "preds.json").read_text())
    assert [p["gt_label"] for p in predictions] == [[float(c in labels) for c in range(4)]
                                                    for labels in MULTI_LABELS.values()]
    scores = np.array([p["pred_score"] for p in predictions])
    assert scores.shape == (3, 4) and ((scores > 0) & (scores < 1)).all()
    assert not np.allclose(scores.sum(1), 1)  # per-class sigmoid probabilities, not a softmax


def write_flow_frames(folder: Path, frames: int, seed: int) -> None:
    from PIL import Image

    folder.mkdir(parents=True)
    generator = np.random.default_rng(seed)
    for index in range(1, frames + 1):
        for direction in "xy":
            field = np.clip(128 + generator.normal(0, 20, (40, 48)), 0, 255).astype(np.uint8)
            Image.fromarray(field, mode="L").save(folder / f"{direction}_{index:05d}.jpg", quality=90)


def test_flow_config_trains_from_rgb_weights_and_tests_with_a_confusion_matrix(tmp_path: Path):
    import torch
    import torchvision

    torch.save(torchvision.models.resnet18().state_dict(), tmp_path / "resnet18_rgb.pth")
    lines = []
    for index in range(4):
        write_flow_frames(tmp_path / "rawframes" / f"video_{index}", 12, index)
        lines.append(f"video_{index} 12 {index % 2}\n")
    (tmp_path / "flow_list.txt").write_text("".join(lines))
    (tmp_path / "flow.yaml").write_text(yaml.safe_dump(flow_config()))
    result = run_vidcore("run", "flow.yaml", "--work-dir", "work", cwd=tmp_path)
    assert result.returncode == 0, str(result)
    work = tmp_path / "work"
    assert len(scalars(work, "train")) == 1 and "acc/top1" in scalars(work, "val")[0]
    with open(work / "confusion_matrix.csv", newline="") as file:  # the val evaluator's, in the work dir
        rows = list(csv.reader(file))
    assert rows[0] == ["true\\predicted", "0", "1"] and sum(int(v) for row in rows[1:] for v in row[1:]) == 4

    result = run_vidcore("test", "flow.yaml", work / "epoch_1.pth", "--work-dir", "work",
                         "--dump-confusion", "confusion.npy", cwd=tmp_path)
    assert result.returncode == 0, str(result)
    matrix = np.load(tmp_path / "confusion.npy")
    assert matrix.shape == (2, 2) and matrix.sum() == 4 and matrix.sum(1).tolist() == [2, 2]
    assert f"confusion matrix (rows: true class, columns: predicted) written to {tmp_path / 'confusion.npy'}" in (
        result.stdout)

    result = run_vidcore("test", "flow.yaml", work / "epoch_1.pth", "--dump-confusion", "cm.txt", cwd=tmp_path)
    assert result.returncode == 2 and result.stderr.strip() == (
        "vidcore: error: --dump-confusion cm.txt: expected a .csv or .npy file name")
