"""Bad checkpoints and work dirs: a checkpoint of another model, a corrupt or truncated file, a damaged newest
checkpoint in the work dir, a work dir that cannot be written. One clear line (exit 2) and nothing lost."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import torch
from cli_cases import TOY_CONFIG, assert_kept, assert_user_error, snapshot, vidcore

TEST_SPLIT = "test_dataloader: {dataset: {type: ToyDataset, size: 8}}\ntest_evaluator: {type: ToyAccuracy}\n"


@pytest.fixture
def other_model_checkpoint(project: Path) -> Path:
    """A checkpoint of ToyModel with 16 hidden units instead of 8 (only `head.bias` has the same shape)."""
    checkpoint = torch.load(project / "work_dir" / "epoch_1.pth", weights_only=True)
    checkpoint["state_dict"] = {key: torch.zeros(*(16 if size == 8 else size for size in value.shape))
                                for key, value in checkpoint["state_dict"].items()}
    torch.save(checkpoint, project / "other.pth")
    return project / "other.pth"


def test_resume_from_another_models_checkpoint(project: Path, other_model_checkpoint: Path):
    before = snapshot(project / "work_dir")
    result = vidcore("run", "toy.yaml", "--work-dir", "work_dir", "--resume", "other.pth", cwd=project)
    assert_user_error(result, "other.pth: does not fit ToyModel: shape mismatch (3): backbone.0.weight checkpoint "
                              "[16, 4] vs model [8, 4]")
    assert_kept(project / "work_dir", before)


def test_testing_another_models_checkpoint(project: Path, other_model_checkpoint: Path):
    """`vidcore test` loads strictly: scores of a half-loaded model would be meaningless."""
    (project / "toy.yaml").write_text(TOY_CONFIG + TEST_SPLIT)
    before = snapshot(project / "work_dir")
    result = vidcore("test", "toy.yaml", "other.pth", "--work-dir", "work_dir", cwd=project)
    assert_user_error(result, "other.pth: does not fit ToyModel: shape mismatch (3)")
    assert_kept(project / "work_dir", before)


def test_load_from_a_checkpoint_where_nothing_fits(project: Path):
    torch.save({"state_dict": {"encoder.proj.weight": torch.zeros(3, 3)}}, project / "unrelated.pth")
    before = snapshot(project / "work_dir")
    result = vidcore("run", "toy.yaml", "--work-dir", "work_dir", "--load-from", "unrelated.pth",
                     "--overwrite", cwd=project)
    assert_user_error(result, "unrelated.pth: no weight in it fits ToyModel: ",
                      "not in the model (1): encoder.proj.weight")
    assert_kept(project / "work_dir", before, replaced=("toy.yaml",))


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
@pytest.mark.parametrize("use", ["resume", "load_from", "test"])
def test_corrupt_checkpoint_file(project: Path, damage: str, use: str):
    good = (project / "work_dir" / "epoch_2.pth").read_bytes()
    (project / "bad.pth").write_bytes(b"\x80\x02garbage" if damage == "garbage" else good[: len(good) // 2])
    (project / "toy.yaml").write_text(TOY_CONFIG + TEST_SPLIT)
    before = snapshot(project / "work_dir")
    args = {"resume": ("run", "toy.yaml", "--resume", "bad.pth"), "load_from": ("run", "toy.yaml", "--load-from",
            "bad.pth", "--overwrite"), "test": ("test", "toy.yaml", "bad.pth")}[use]
    result = vidcore(*args, "--work-dir", "work_dir", cwd=project)
    assert_user_error(result, "bad.pth: not a readable checkpoint, ")
    assert_kept(project / "work_dir", before, replaced=("toy.yaml",))


def test_damaged_newest_checkpoint_in_the_work_dir_is_skipped_with_a_warning(project: Path):
    work_dir = project / "work_dir"
    newest = work_dir / "epoch_2.pth"
    newest.write_bytes(newest.read_bytes()[:1000])
    kept = hashlib.sha256((work_dir / "epoch_1.pth").read_bytes()).hexdigest()
    result = vidcore("run", "toy.yaml", "--work-dir", "work_dir", "--resume", cwd=project)
    assert result.returncode == 0, result
    warnings = [line for line in result.stdout.splitlines() if "WARNING" in line]
    assert len(warnings) == 1 and warnings[0].endswith(
        f"resuming from the previous good checkpoint {work_dir / 'epoch_1.pth'} instead"), result
    assert f"resume: {newest}: not a readable checkpoint, truncated or corrupt" in warnings[0]
    assert hashlib.sha256((work_dir / "epoch_1.pth").read_bytes()).hexdigest() == kept
    assert torch.load(newest, weights_only=True)["loop"]["epoch"] == 2  # trained again, written whole


def test_work_dir_that_cannot_be_written(project: Path):
    (project / "afile").write_text("a regular file, so afile/sub cannot be a folder (even for root)\n")
    result = vidcore("run", "toy.yaml", "--work-dir", "afile/sub", cwd=project)
    assert_user_error(result, "--work-dir: work_dir: cannot write to afile/sub (Not a directory: afile/sub")
    assert (project / "afile").read_text().startswith("a regular file")
    result = vidcore("run", "toy.yaml", "--cfg-options", "work_dir=afile/sub", cwd=project)
    assert_user_error(result, "--cfg-options: work_dir: cannot write to afile/sub (Not a directory")
