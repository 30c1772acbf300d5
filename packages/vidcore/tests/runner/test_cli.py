"""`vidcore run` / `vidcore test` as a user runs them: a YAML config whose toy components come from a local
module through `custom_imports`, in a subprocess."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

HERE = Path(__file__).parent

CONFIG = """
custom_imports:
  imports: [local_toys]
model: {type: ToyModel}
train_dataloader:
  batch_size: 4
  num_workers: 0
  sampler: {type: DefaultSampler, shuffle: true}
  dataset: {type: ToyDataset, size: 16}
val_dataloader:
  batch_size: 8
  dataset: {type: ToyDataset, size: 8, seed: 1, noise: 0.0}
val_evaluator: {type: ToyAccuracy}
test_dataloader:
  batch_size: 8
  dataset: {type: ToyDataset, size: 8, seed: 2, noise: 0.0}
test_evaluator: [{type: ToyAccuracy}]
optim_wrapper:
  optimizer: {type: SGD, lr: 0.1, momentum: 0.9}
param_scheduler:
  - {type: LinearLR, start_factor: 0.5, by_epoch: false, end: 3}
train_cfg: {by_epoch: true, max_epochs: 2}
default_hooks:
  logger: {interval: 2}
  checkpoint: {interval: 1, save_best: auto}
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """A folder with the config and the local module it imports; one training run shared by the tests."""
    root = tmp_path_factory.mktemp("cli")
    (root / "toy_cfg.yaml").write_text(CONFIG)
    (root / "bad_cfg.yaml").write_text("_base_: toy_cfg.yaml\ntrain_cfg: {max_epoch: 3}\n")
    (root / "local_toys.py").write_text("from vidcore_runner_toys import register_in_default_registry\n\n"
                                        "register_in_default_registry()\n")
    return root


def vidcore(project: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]),
               VIDCORE_PLUGINS="")
    return subprocess.run([str(Path(sys.executable).parent / "vidcore"), *args], cwd=project, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def trained(project: Path) -> Path:
    result = vidcore(project, "run", "toy_cfg.yaml", "--amp", "--seed", "7")
    assert result.returncode == 0, result.stderr
    return project / "work_dirs" / "toy_cfg"


def test_run_trains_validates_tests_and_writes_the_run(trained: Path):
    assert len(list(trained.glob("best_acc_top1_epoch_*.pth"))) == 1
    assert {"epoch_1.pth", "epoch_2.pth"} <= {p.name for p in trained.glob("*.pth")}
    dumped = yaml.safe_load((trained / "toy_cfg.yaml").read_text())
    assert dumped["optim_wrapper"]["type"] == "AmpOptimWrapper"
    assert dumped["randomness"]["seed"] == 7
    [log] = list(trained.glob("*/vis_data/scalars.json"))
    modes = [json.loads(line)["mode"] for line in log.read_text().splitlines()]
    assert modes.count("train") == 4 and modes.count("val") == 2 and modes[-1] == "test"


def test_test_command_dumps_predictions(project: Path, trained: Path):
    result = vidcore(project, "test", "toy_cfg.yaml", str(trained / "epoch_2.pth"), "--dump", "out/preds.pkl",
                     "--work-dir", "work_dirs/eval")
    assert result.returncode == 0, result.stderr
    predictions = pickle.loads((project / "out" / "preds.pkl").read_bytes())
    assert [item["index"] for item in predictions] == list(range(8))
    assert "Epoch(test)" in result.stdout


def test_missing_checkpoint_is_one_line_and_exit_2(project: Path):
    result = vidcore(project, "test", "toy_cfg.yaml", "missing.pth")
    assert result.returncode == 2
    assert result.stderr.strip() == "vidcore: error: missing.pth: checkpoint file not found"


def test_config_error_names_file_and_key_and_writes_nothing(project: Path, monkeypatch, capsys):
    """In-process (`main`), to spare a torch import: the same code path as the command line."""
    from vidcore.cli._main import main
    from vidcore.plugins import reset_default_registry

    monkeypatch.chdir(project)
    monkeypatch.syspath_prepend(str(HERE))
    monkeypatch.delitem(sys.modules, "local_toys", raising=False)
    reset_default_registry()
    try:
        status = main(["run", "bad_cfg.yaml", "--work-dir", "work_dirs/bad"])
    finally:
        reset_default_registry()
    lines = capsys.readouterr().err.strip().splitlines()
    assert status == 2 and len(lines) == 1
    assert lines[0].startswith(f"vidcore: error: {project / 'bad_cfg.yaml'}: train_cfg.max_epoch")
    assert "did you mean 'max_epochs'" in lines[0]
    assert not list((project / "work_dirs" / "bad").glob("**/*.pth"))


def test_bad_dump_suffix(project: Path, trained: Path):
    result = vidcore(project, "test", "toy_cfg.yaml", str(trained / "epoch_2.pth"), "--dump", "preds.csv")
    assert result.returncode == 2
    assert result.stderr.strip() == "vidcore: error: --dump preds.csv: expected a .json or .pkl file name"
