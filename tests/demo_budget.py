"""The demo config on a tiny budget, shared by the end-to-end CLI tests: two classes, a few short videos,
no DataLoader workers; every phase (train, val after each epoch, test) still runs."""

from __future__ import annotations

from pathlib import Path

DEMO = str(Path(__file__).resolve().parents[1] / "configs" / "demo" / "tsn_r18_synthetic.yaml")
TINY = [
    "synthetic.num_classes=2", "synthetic.num_frames=8",
    "train_dataloader.dataset.videos_per_class=4", "train_dataloader.batch_size=4",
    "val_dataloader.dataset.videos_per_class=2", "test_dataloader.dataset.videos_per_class=1",
    "test_dataloader.dataset.pipeline.1.num_clips=1",
    *(f"{split}_dataloader.{key}" for split in ("train", "val", "test")
      for key in ("num_workers=0", "persistent_workers=false")),
    "default_hooks.logger.interval=1", "train_cfg.val_interval=1",
]
