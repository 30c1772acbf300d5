"""`vidcore plot WORK_DIR` on the logs of real runs: a training that was resumed from an earlier checkpoint
plots as one history (the resumed run replaces what it redid), a `test` run into the same work dir is left
out, the PNG goes into the work dir, and the figure names the experiment and labels its axes."""

from __future__ import annotations

from pathlib import Path

import pytest
import vidcore_plot.plotting as plotting
from vidcore.cli._main import main
from vidcore.runner import Runner
from vidcore_runner_toys import make_cfg

TEST_SPLIT = {"test_dataloader": {"batch_size": 8, "dataset": {"type": "ToyDataset", "size": 16, "seed": 2}},
              "test_evaluator": {"type": "ToyAccuracy"}}


@pytest.fixture
def work_dir(registry, tmp_path: Path) -> Path:
    """6 iterations per epoch, a line every 2: 2 epochs, then a run resumed from epoch 1 to epoch 3, then a
    test of the last checkpoint."""
    work_dir = tmp_path / "tsn_toy"
    Runner(make_cfg(work_dir), registry=registry).train()
    Runner(make_cfg(work_dir, resume=str(work_dir / "epoch_1.pth"),
                    train_cfg={"type": "EpochBasedTrainLoop", "max_epochs": 3}), registry=registry).train()
    Runner(make_cfg(work_dir, load_from=str(work_dir / "epoch_3.pth"), **TEST_SPLIT), registry=registry).test()
    assert len([path for path in work_dir.iterdir() if path.is_dir()]) == 3
    return work_dir


def test_a_work_dir_plots_its_training_across_resumes_without_test_runs(work_dir: Path):
    run = plotting.load_run(work_dir)
    assert run.curves[("loss", "train")].x == [2.0, 4.0, 6.0, 8.0, 10.0, 12.0, 14.0, 16.0, 18.0]
    assert run.curves[("acc/top1", "val")].x == [6.0, 12.0, 18.0]  # epoch 2 of the first run was redone
    assert not [mode for _, mode in run.curves if mode == "test"]


def test_the_cli_writes_into_the_work_dir_with_titles_and_axis_labels(work_dir: Path, monkeypatch, capsys):
    figures = []
    render = plotting.render_curves
    monkeypatch.setattr(plotting, "render_curves", lambda *args, **kwargs: figures.append(render(*args, **kwargs))
                        or figures[-1])
    assert main(["plot", str(work_dir), "--keys", "loss", "acc/top1"]) == 0
    assert capsys.readouterr().out.strip() == f"wrote {work_dir / 'curves.png'}"
    assert (work_dir / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    (figure,) = figures
    assert figure.get_suptitle() == "tsn_toy"
    axes = [ax for ax in figure.axes if ax.get_visible()]
    assert [(ax.get_xlabel(), ax.get_ylabel()) for ax in axes] == [("training iteration", "loss"),
                                                                    ("training iteration", "acc/top1")]


def test_a_work_dir_with_test_runs_only_is_a_clear_error(registry, tmp_path: Path, capsys):
    Runner(make_cfg(tmp_path / "wd", **TEST_SPLIT), registry=registry).test()
    assert main(["plot", str(tmp_path / "wd")]) == 2
    assert capsys.readouterr().err.strip() == (f"vidcore: error: {tmp_path / 'wd'}: no training run found (its 1 "
                                               "run(s) logged no training lines)")
