"""The 3D demo end to end through the real CLI at tiny sizes: train (channels_last_3d weights), test the best
checkpoint with clips x crops views, infer a generated video."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

DEMO = Path(__file__).resolve().parents[3] / "configs" / "demo" / "i3d_r18_synthetic.yaml"
TINY = [
    "synthetic.num_classes=2", "synthetic.num_frames=6", "synthetic.clip_len=4", "synthetic.size=[48,32]",
    "model.backbone.base_channels=8", "model.cls_head.in_channels=64", "model.backbone.channels_last=true",
    "train_dataloader.dataset.pipeline.3.input_size=24", "train_dataloader.dataset.pipeline.4.scale=[24,24]",
    "val_dataloader.dataset.pipeline.3.scale=[-1,24]", "val_dataloader.dataset.pipeline.4.crop_size=24",
    "test_dataloader.dataset.pipeline.3.scale=[-1,24]", "test_dataloader.dataset.pipeline.4.crop_size=24",
    "train_dataloader.dataset.videos_per_class=2", "val_dataloader.dataset.videos_per_class=1",
    "test_dataloader.dataset.videos_per_class=1", "train_cfg.max_epochs=2", "train_cfg.val_interval=1",
    "model.test_cfg.max_testing_views=4",
    *(f"{split}_dataloader.{key}" for split in ("train", "val", "test")
      for key in ("batch_size=2", "num_workers=0", "persistent_workers=false")),
]


@pytest.mark.vidcore_plugins("vidcore-video", "vidcore-tsn", "vidcore-video3d")
def test_demo_trains_tests_and_infers_through_the_cli(run_vidcore, tmp_path, vidcore_registry):
    env = {"VIDCORE_CACHE_DIR": str(tmp_path / "cache")}
    work_dir = tmp_path / "work"
    train = run_vidcore("run", str(DEMO), "--work-dir", str(work_dir), "--cfg-options", *TINY, env=env)
    assert train.returncode == 0, train.stderr[-2000:]
    [best] = work_dir.glob("best_acc_top1_epoch_*.pth")

    dump = tmp_path / "preds.json"
    test = run_vidcore("test", str(DEMO), str(best), "--dump", str(dump), "--cfg-options", *TINY, env=env)
    assert test.returncode == 0, test.stderr[-2000:]
    assert "acc/top1" in test.stdout + test.stderr
    predictions = json.loads(dump.read_text())
    assert len(predictions) == 2  # 2 classes x 1 test video, each scored over 2 clips x 3 crops
    assert all(abs(sum(p["pred_score"]) - 1) < 1e-4 for p in predictions)  # averaged softmax

    classes = sorted((tmp_path / "cache" / "synthetic").glob("*/classes.txt"))[0]
    video = sorted(classes.parent.glob("videos/stripes_moving_up_*.mp4"))[0]
    infer = run_vidcore("infer", str(DEMO), str(best), str(video), "--topk", "2", "--json",
                        "--label-file", str(classes), "--cfg-options", *TINY, env=env)
    assert infer.returncode == 0, infer.stderr[-2000:]
    result = json.loads(infer.stdout)
    assert {entry["name"] for entry in result["topk"]} == {"stripes_moving_up", "stripes_moving_down"}
