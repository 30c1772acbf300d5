"""TSN end to end through the `vidcore` CLI: the demo config, on a small budget, trains, checkpoints, resumes,
tests (with a dump) and recognises held-out videos; `--amp` trains in bfloat16 on the CPU.

Every command runs in a subprocess as a user would type it. Videos are generated into a private cache.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from vidcore_testing import run_vidcore

REPO = Path(__file__).resolve().parents[1]
CONFIG = str(REPO / "configs" / "demo" / "tsn_r18_synthetic.yaml")
EPOCHS = 10
# Two classes (horizontal vs vertical stripes), fewer videos and epochs than the demo.
NUM_CLASSES, TEST_PER_CLASS = 2, 3
# At most one of the 6 test videos wrong (chance is 0.5): training threads make runs differ slightly.
TEST_ACCURACY = (NUM_CLASSES * TEST_PER_CLASS - 1) / (NUM_CLASSES * TEST_PER_CLASS) - 1e-6
BUDGET = [
    f"synthetic.num_classes={NUM_CLASSES}",
    "train_dataloader.dataset.videos_per_class=12",
    "train_dataloader.batch_size=8",
    "val_dataloader.dataset.videos_per_class=5",
    f"test_dataloader.dataset.videos_per_class={TEST_PER_CLASS}",
    f"train_cfg.max_epochs={EPOCHS}",
    "train_cfg.val_interval=2",
    "default_hooks.logger.interval=1",
]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    """Generated videos go to a private cache, not the user's ~/.cache."""
    return {"VIDCORE_CACHE_DIR": str(tmp_path_factory.mktemp("cache"))}


@pytest.fixture(scope="module")
def trained(tmp_path_factory, env):
    work_dir = tmp_path_factory.mktemp("tsn") / "work"
    result = run_vidcore("run", CONFIG, "--work-dir", work_dir, "--cfg-options", *BUDGET, env=env)
    assert result.returncode == 0, str(result)
    return work_dir


def scalars(work_dir: Path, mode: str) -> list[dict]:
    records = []
    for path in sorted(work_dir.glob("*/vis_data/scalars.json")):
        records += [json.loads(line) for line in path.read_text().splitlines()]
    return [record for record in records if record["mode"] == mode]


def best_checkpoint(work_dir: Path) -> Path:
    (best,) = work_dir.glob("best_acc_top1_epoch_*.pth")
    return best


def test_demo_trains_validates_and_saves_checkpoints(trained):
    names = {path.name for path in trained.iterdir()}
    assert {f"epoch_{EPOCHS}.pth", "last_checkpoint", "tsn_r18_synthetic.yaml"} <= names
    assert Path((trained / "last_checkpoint").read_text().strip()).name == f"epoch_{EPOCHS}.pth"
    val = scalars(trained, "val")
    assert [record["epoch"] for record in val] == list(range(2, EPOCHS + 1, 2))
    best = max(record["acc/top1"] for record in val)
    assert best >= 0.9, val
    assert best_checkpoint(trained).name == f"best_acc_top1_epoch_{max(val, key=lambda r: r['acc/top1'])['epoch']}.pth"
    train = scalars(trained, "train")
    assert train[-1]["loss_cls"] < train[0]["loss_cls"] and "top1_acc" in train[-1]


def test_run_tests_the_multi_view_test_split_after_training(trained):
    (test,) = scalars(trained, "test")
    assert test["acc/top1"] >= TEST_ACCURACY, test


def test_resume_continues_from_the_last_checkpoint(trained, env):
    budget = [*BUDGET, f"train_cfg.max_epochs={EPOCHS + 1}"]
    result = run_vidcore("run", CONFIG, "--work-dir", trained, "--resume", "--cfg-options", *budget, env=env)
    assert result.returncode == 0, str(result)
    assert f"resumed from {trained / f'epoch_{EPOCHS}.pth'}: continuing after iteration" in result.stdout
    assert f"(end of epoch {EPOCHS})" in result.stdout
    assert (trained / f"epoch_{EPOCHS + 1}.pth").is_file()
    logs = sorted(trained.glob("*/*.log"))
    resumed_log = logs[-1].read_text()
    assert f"Epoch(train) [{EPOCHS + 1}]" in resumed_log and "Epoch(train) [1]" not in resumed_log


def test_test_command_evaluates_a_checkpoint_and_dumps_predictions(trained, env, tmp_path):
    dump = tmp_path / "predictions.json"
    result = run_vidcore("test", CONFIG, best_checkpoint(trained), "--work-dir", tmp_path / "test", "--dump", dump,
                         "--cfg-options", *BUDGET, env=env)
    assert result.returncode == 0, str(result)
    (test,) = scalars(tmp_path / "test", "test")
    assert test["acc/top1"] >= TEST_ACCURACY, test
    predictions = json.loads(dump.read_text())
    assert len(predictions) == NUM_CLASSES * TEST_PER_CLASS


def held_out_videos(env, monkeypatch) -> tuple[list[tuple[str, int]], list[str]]:
    """The synthetic test split (never trained on): (path, label) pairs, from the same cache; class names."""
    from vidcore_video import SyntheticVideoDataset

    monkeypatch.setenv("VIDCORE_CACHE_DIR", env["VIDCORE_CACHE_DIR"])
    dataset = SyntheticVideoDataset([], split="test", num_classes=NUM_CLASSES, videos_per_class=TEST_PER_CLASS,
                                    num_frames=16, size=[96, 72], seed=0)
    return [(dataset.media_path(record), record.labels[0]) for record in dataset.records], dataset.classes


def test_infer_recognises_held_out_videos_and_names_their_classes(trained, env, monkeypatch):
    videos, classes = held_out_videos(env, monkeypatch)
    result = run_vidcore("infer", CONFIG, best_checkpoint(trained), *(path for path, _ in videos), "--json",
                         "--topk", "2", "--cfg-options", *BUDGET, env=env)
    assert result.returncode == 0, str(result)
    predictions = [json.loads(line) for line in result.stdout.splitlines()]
    assert [p["video"] for p in predictions] == [path for path, _ in videos]
    correct = sum(p["topk"][0]["label"] == label for p, (_, label) in zip(predictions, videos))
    assert correct >= len(videos) - 1, predictions
    assert all(len(p["topk"]) == 2 and p["topk"][0]["score"] >= p["topk"][1]["score"] for p in predictions)
    # The names come from the checkpoint (meta.dataset_meta): the config names no label file.
    assert all(top["name"] == classes[top["label"]] for p in predictions for top in p["topk"]), predictions


def test_infer_user_errors_exit_2_with_one_line(trained, env, tmp_path, monkeypatch, capsys):
    video = held_out_videos(env, monkeypatch)[0][0]
    other_model = run_vidcore("infer", CONFIG, best_checkpoint(trained), video, "--cfg-options", *BUDGET,
                              "synthetic.num_classes=4", env=env)
    assert other_model.returncode == 2, str(other_model)
    assert other_model.stderr.startswith("vidcore: error: ") and len(other_model.stderr.splitlines()) == 1
    assert "does not fit the config's Recognizer2D" in other_model.stderr and "cls_head.fc_cls" in other_model.stderr

    from vidcore.cli._main import main  # the same command in-process: cheaper, same exit status and message

    corrupt = tmp_path / "corrupt.pth"
    corrupt.write_bytes(b"PK\x03\x04 truncated")
    cases = [(best_checkpoint(trained), tmp_path / "nope.mp4", "nope.mp4: video file not found"),
             (corrupt, video, "corrupt.pth: ")]
    for checkpoint, target, message in cases:
        assert main(["infer", CONFIG, str(checkpoint), str(target), "--cfg-options", *BUDGET]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and message in err[0]


def test_amp_trains_in_bfloat16_on_cpu(env, tmp_path):
    budget = [*BUDGET, "train_cfg.max_epochs=2", "train_cfg.val_interval=2", "test_cfg=null",
              "train_dataloader.dataset.videos_per_class=4"]
    result = run_vidcore("run", CONFIG, "--amp", "--work-dir", tmp_path / "amp", "--cfg-options", *budget, env=env)
    assert result.returncode == 0, str(result)
    config = (tmp_path / "amp" / "tsn_r18_synthetic.yaml").read_text()
    assert "AmpOptimWrapper" in config
    assert (tmp_path / "amp" / "epoch_2.pth").is_file()
