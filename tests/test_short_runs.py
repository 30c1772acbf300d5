"""Shortened runs of the demo through the `vidcore` CLI, as a new user tries them first: one epoch works
(schedulers fit the training length), and a bad scheduler names the user's config file, not a file inside
site-packages that it inherited."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from demo_budget import DEMO, TINY
from vidcore_testing import run_vidcore

BASE_LR = 0.003  # the demo's AdamW lr

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    return {"VIDCORE_CACHE_DIR": str(tmp_path_factory.mktemp("cache"))}


def train_lrs(work_dir: Path) -> list[float]:
    (scalars,) = work_dir.glob("*/vis_data/scalars.json")
    records = [json.loads(line) for line in scalars.read_text().splitlines()]
    return [record["lr"] for record in records if record["mode"] == "train"]


def test_one_epoch_of_the_demo_runs(tmp_path: Path, env):
    result = run_vidcore("run", DEMO, "--work-dir", tmp_path / "wd", "--cfg-options", *TINY,
                         "train_cfg.max_epochs=1", env=env)
    assert result.returncode == 0, str(result)
    assert ("param_scheduler[1] (CosineAnnealingLR) begins at epoch 1, when training has ended (after 1 epoch): "
            "it does not act in this run") in result.stdout
    assert (tmp_path / "wd" / "epoch_1.pth").is_file()


def test_a_scheduler_that_ends_after_training_is_clipped_to_its_length(tmp_path: Path, env):
    """Cosine over epochs [1, 6) of a 2-epoch run: clipped to [1, 2), its second (last) iteration is half-way
    down (0.5 of the base lr); unclipped it would still be at 0.98 of it."""
    result = run_vidcore("run", DEMO, "--work-dir", tmp_path / "wd", "--cfg-options", *TINY,
                         "train_cfg.max_epochs=2", "param_scheduler.1.end=6", "train_cfg.val_interval=2", env=env)
    assert result.returncode == 0, str(result)
    assert "param_scheduler[1] (CosineAnnealingLR): end 6 clipped to the training length, 2 epochs" in result.stdout
    lrs = train_lrs(tmp_path / "wd")
    assert len(lrs) == 4 and lrs[-1] == pytest.approx(0.5 * BASE_LR)


def test_a_scheduler_error_names_the_users_config_that_inherited_it(tmp_path: Path, env):
    (tmp_path / "my.yaml").write_text("_base_: pkg://vidcore_tsn/configs/demo/tsn_r18_synthetic.yaml\n")
    result = run_vidcore("run", "my.yaml", "--cfg-options", *TINY, "param_scheduler.0.end=0", cwd=tmp_path, env=env)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"vidcore: error: {(tmp_path / 'my.yaml').resolve()} (inherited from "
        "pkg://vidcore_tsn/configs/demo/tsn_r18_synthetic.yaml): param_scheduler[0] (LinearLR): end must "
        "be larger than begin, got begin=0, end=0 (1 problem in " f"{(tmp_path / 'my.yaml').resolve()})")
    assert "site-packages" not in result.stderr and not (tmp_path / "work_dirs").exists()
