"""What `vidcore config check` knows about vidcore-video's components before a run: value domains of the transforms
and the data preprocessor, AccMetric's metric names against save_best, datasets' missing files as warnings."""

from __future__ import annotations

import textwrap

import pytest
from vidcore.config import load_config
from vidcore.runner import check_config

CONFIG = """
model:
  type: Recognizer2D
  backbone: {type: ResNet, depth: 18, pretrained: null}
  cls_head: {type: TSNHead, num_classes: 4, in_channels: 512}
  data_preprocessor: {type: ActionDataPreprocessor, mean: [1, 2, 3], std: [1, 2, 3], format_shape: NCHW}
train_dataloader:
  batch_size: 2
  dataset:
    type: VideoDataset
    ann_file: train.txt
    data_prefix: {video: videos}
    pipeline:
      - {type: PyAVInit}
      - {type: SampleFrames, clip_len: 1, num_clips: 3}
      - {type: PyAVDecode, mode: accurate}
      - {type: CenterCrop, crop_size: 32}
      - {type: FormatShape, input_format: NCHW}
      - {type: PackActionInputs}
val_dataloader:
  batch_size: 2
  dataset:
    type: RawframeDataset
    ann_file: val.txt
    pipeline: [{type: RawFrameDecode, decoding_backend: auto}, {type: FormatShape, input_format: NCTHW}]
val_evaluator: {type: AccMetric, metric_options: {top_k_accuracy: {topk: [1, 3]}}}
default_hooks: {checkpoint: {save_best: acc/top3}}
"""


@pytest.fixture
def config(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "videos").mkdir()
    for name in ("train.txt", "val.txt"):
        (tmp_path / name).write_text("a 1\n")
    path = tmp_path / "cfg.yaml"
    path.write_text(textwrap.dedent(CONFIG))
    return path


def check(path, *options):
    warnings: list[str] = []
    errors, _ = check_config(load_config(path, options), warnings)
    return [str(error) for error in errors], warnings


@pytest.mark.vidcore_plugins("vidcore-video", "vidcore-tsn")
def test_a_good_config_passes(config, vidcore_registry):
    assert check(config) == ([], [])


@pytest.mark.vidcore_plugins("vidcore-video", "vidcore-tsn")
def test_value_domains_are_checked_before_the_run(config, vidcore_registry):
    pipeline = "train_dataloader.dataset.pipeline"
    errors, _ = check(config, f"{pipeline}.4.input_format=NHWC", f"{pipeline}.2.mode=fast",
                      f"{pipeline}.1.clip_len=0", f"{pipeline}.3.lazy=true",
                      "val_dataloader.dataset.pipeline.0.decoding_backend=opencv",
                      "model.data_preprocessor.format_shape=NCTHW_Flow", "model.data_preprocessor.std=[1, 0, 1]",
                      "train_dataloader.dataset.on_decode_error=ignore", "val_evaluator.metric_list=[top1]")
    expected = [
        f"{pipeline}[4] (FormatShape): FormatShape: input_format must be one of",
        f"{pipeline}[2] (PyAVDecode): PyAVDecode: mode must be one of",
        f"{pipeline}[1] (SampleFrames): SampleFrames: clip_len must be >= 1, got 0",
        f"{pipeline}[3] (CenterCrop): CenterCrop: lazy=True is not supported",
        "val_dataloader.dataset.pipeline[0] (RawFrameDecode): RawFrameDecode: decoding_backend must be one of",
        "model.data_preprocessor.format_shape (ActionDataPreprocessor): format_shape must be one of",
        "model.data_preprocessor.std (ActionDataPreprocessor): mean [1, 2, 3] and std [1, 0, 1]",
        "train_dataloader.dataset.on_decode_error (VideoDataset): must be one of ('raise', 'skip'), got 'ignore'",
        "val_evaluator.metric_list (AccMetric): unknown metric ['top1']",
    ]
    for text in expected:
        assert sum(text in error for error in errors) == 1, f"{text!r} not in {errors}"
    assert len(errors) == len(expected), errors


@pytest.mark.vidcore_plugins("vidcore-video", "vidcore-tsn")
def test_save_best_must_be_a_metric_acc_metric_reports(config, vidcore_registry):
    errors, _ = check(config, "default_hooks.checkpoint.save_best=acc/top5")
    assert errors == ["--cfg-options: default_hooks.checkpoint.save_best: metric 'acc/top5' is not among the "
                      "validation metrics: acc/top1, acc/top3, acc/mean1"]
    assert check(config, "default_hooks.checkpoint.save_best=acc/mean1", "val_evaluator.prefix=val") == (
        ["--cfg-options: default_hooks.checkpoint.save_best: metric 'acc/mean1' is not among the validation "
         "metrics: val/top1, val/top3, val/mean1"], [])


@pytest.mark.vidcore_plugins("vidcore-video", "vidcore-tsn")
def test_missing_annotation_files_are_warnings(config, vidcore_registry, tmp_path):
    (tmp_path / "val.txt").unlink()
    errors, warnings = check(config, "train_dataloader.dataset.data_prefix.video=nowhere",
                             "train_dataloader.dataset.label_file=classes.txt")
    assert errors == []
    assert warnings == [
        "--cfg-options: train_dataloader.dataset.label_file (VideoDataset): classes.txt does not exist "
        "(the run needs it)",
        "--cfg-options: train_dataloader.dataset.data_prefix.video (VideoDataset): nowhere is not a directory "
        "(the run reads the media there)",
        f"{config.resolve()}: val_dataloader.dataset.ann_file (RawframeDataset): val.txt does not exist "
        "(the run needs it)",
    ]
