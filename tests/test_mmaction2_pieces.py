"""The mmaction2/mmengine pieces together in `vidcore run` on real tiny videos: dataset wrappers over VideoDatasets
with an `indices` subset, a fractional-epoch warmup, auto_scale_lr, SyncBuffersHook and ActionVisualizer; and a
test split with `ann_file: null`, which `config check` accepts, `vidcore infer` does not need, and `vidcore test`
refuses in one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from vidcore.config import load_config
from vidcore.runner import check_config
from vidcore_testing import encode_video, run_vidcore

PIPELINE = [
    {"type": "PyAVInit"},
    {"type": "SampleFrames", "clip_len": 1, "frame_interval": 1, "num_clips": 2},
    {"type": "PyAVDecode"},
    {"type": "Resize", "scale": [32, 32], "keep_ratio": False},
    {"type": "FormatShape", "input_format": "NCHW"},
    {"type": "PackActionInputs"},
]


def video_dataset(ann_file: str | None, root: str, **extra) -> dict:
    return {"type": "VideoDataset", "ann_file": ann_file, "data_prefix": {"video": root}, "pipeline": PIPELINE,
            **extra}


@pytest.fixture(scope="module")
def config(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("pieces")
    root = folder / "videos"
    for index in range(3):
        encode_video(root / f"clip{index}.mp4", num_frames=8, height=32, width=32)
    (folder / "a.txt").write_text("clip0.mp4 0\nclip1.mp4 0\nclip2.mp4 0\nmissing.mp4 1\n")
    (folder / "b.txt").write_text("clip2.mp4 1\n")
    train_dataset = {"type": "ClassBalancedDataset", "oversample_thr": 0.5,
                     "dataset": {"type": "ConcatDataset",
                                 "datasets": [video_dataset(str(folder / "a.txt"), str(root), indices=3),
                                              video_dataset(str(folder / "b.txt"), str(root))]}}
    cfg = {
        "model": {"type": "Recognizer2D",
                  "backbone": {"type": "ResNet", "depth": 18, "pretrained": None},
                  "cls_head": {"type": "TSNHead", "num_classes": 2, "in_channels": 512,
                               "consensus": {"type": "AvgConsensus", "dim": 1}},
                  "data_preprocessor": {"type": "ActionDataPreprocessor", "mean": [123.675, 116.28, 103.53],
                                        "std": [58.395, 57.12, 57.375], "format_shape": "NCHW"}},
        "train_dataloader": {"batch_size": 3, "num_workers": 0, "dataset": train_dataset},
        "test_dataloader": {"batch_size": 1, "num_workers": 0, "dataset": video_dataset(None, str(root),
                                                                                         test_mode=True)},
        "test_evaluator": {"type": "AccMetric"},
        "train_cfg": {"type": "EpochBasedTrainLoop", "max_epochs": 2},
        "optim_wrapper": {"optimizer": {"type": "SGD", "lr": 0.01, "momentum": 0.9}},
        "param_scheduler": [{"type": "LinearLR", "start_factor": 0.1, "by_epoch": True, "begin": 0, "end": 1.5,
                             "convert_to_iter_based": True}],
        "auto_scale_lr": {"enable": True, "base_batch_size": 12},
        "custom_hooks": [{"type": "SyncBuffersHook"}],
        "visualizer": {"type": "ActionVisualizer", "vis_backends": [{"type": "LocalVisBackend"}]},
        "default_hooks": {"logger": {"interval": 1}, "checkpoint": {"interval": 2}},
        "randomness": {"seed": 0},
    }
    path = folder / "pieces.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path


def test_a_run_with_the_pieces_on_real_videos(config: Path, tmp_path: Path):
    result = run_vidcore("run", config, "--work-dir", tmp_path / "wd", "--cfg-options", "test_dataloader=null",
                         "test_evaluator=null")
    assert result.returncode == 0, str(result)
    # 3 + 1 samples; label 1 is in 1 of 4: its sample is repeated twice -> 5 samples, 2 batches of 3
    assert "auto_scale_lr: lr x 0.25 = 1 process(es) x batch size 3 / base_batch_size 12" in result.stdout
    (scalars,) = (tmp_path / "wd").glob("*/vis_data/scalars.json")
    lrs = [record["lr"] for record in map(json.loads, scalars.read_text().splitlines()) if record["mode"] == "train"]
    # 2 iterations per epoch: the 1.5-epoch warmup is 3 iterations
    assert lrs == pytest.approx([0.0025 * 0.1, 0.0025 * 0.55, 0.0025, 0.0025])

    # the config's test split has ann_file: null; inference takes its videos from the command line
    video = config.parent / "videos" / "clip1.mp4"
    inferred = run_vidcore("infer", config, tmp_path / "wd" / "epoch_2.pth", video, "--json", "--topk", "2")
    assert inferred.returncode == 0, str(inferred)
    (line,) = inferred.stdout.splitlines()
    assert json.loads(line)["video"] == str(video) and len(json.loads(line)["topk"]) == 2


def test_ann_file_null_passes_check_and_fails_test_in_one_line(config: Path, tmp_path: Path):
    errors, checked = check_config(load_config(config))
    assert errors == [] and checked > 5
    (tmp_path / "weights.pth").write_bytes(b"")  # never read: the dataset fails first
    result = run_vidcore("test", config, tmp_path / "weights.pth", "--work-dir", tmp_path / "wd")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"vidcore: error: {config}: test_dataloader.dataset (VideoDataset): ann_file is null, so there are no samples "
        "to load: set it to an annotation file (--cfg-options <split>_dataloader.dataset.ann_file=FILE), or give the "
        "videos on the command line: vidcore infer CFG CKPT VIDEO...")
