"""vidcore-tsm's configure hook: frames per clip that disagree across backbone, head and pipelines are a
config error (exit 2 from `vidcore config check`), not a failure mid-training."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from vidcore import ConfigError
from vidcore_tsm.config_checks import check_tsm_config

DEMO = Path(__file__).resolve().parents[3] / "configs" / "demo" / "tsm_r18_synthetic.yaml"

CFG = {
    "model": {"type": "Recognizer2D", "backbone": {"type": "ResNetTSM", "num_segments": 8},
              "cls_head": {"type": "TSMHead", "num_classes": 4, "in_channels": 512}},
    "train_dataloader": {"dataset": {"pipeline": [{"type": "PyAVInit"},
                                                  {"type": "SampleFrames", "clip_len": 1, "num_clips": 8}]}},
    "test_dataloader": {"dataset": {"pipeline": [{"type": "PyAVInit"}, {"type": "SampleFrames", "clip_len": 1,
                                                                        "num_clips": 8, "twice_sample": True}]}},
}


def changed(path, value):
    cfg = copy.deepcopy(CFG)
    *parents, last = path
    node = cfg
    for part in parents:
        node = node[part]
    node[last] = value
    return cfg


def test_a_consistent_config_passes():
    check_tsm_config(copy.deepcopy(CFG))
    check_tsm_config({"model": {"type": "Recognizer2D", "backbone": {"type": "ResNet"}}})  # not TSM: not checked


@pytest.mark.parametrize("path,value,message", [
    (("model", "cls_head", "num_segments"), 16, "model.cls_head.num_segments: 16 differs from model.backbone"),
    (("model", "backbone", "temporal_pool"), True, "model.cls_head.temporal_pool: the backbone halves"),
    (("train_dataloader", "dataset", "pipeline", 1, "num_clips"), 3, "pipeline.1.num_clips: 3 frames per clip in"),
    (("test_dataloader", "dataset", "pipeline", 1, "num_clips"), 5, "10 frames per video are not a multiple of"),
])
def test_disagreements_name_the_key(path, value, message):
    with pytest.raises(ConfigError, match=message):
        check_tsm_config(changed(path, value))


@pytest.mark.vidcore_plugins("vidcore-video", "vidcore-tsn", "vidcore-tsm")
def test_config_check_reports_it_with_exit_status_2(run_vidcore, vidcore_registry):
    result = run_vidcore("config", "check", str(DEMO), "--cfg-options", "model.cls_head.num_segments=4")
    assert result.returncode == 2
    assert "model.cls_head.num_segments: 4 differs from model.backbone.num_segments 8" in result.stderr
