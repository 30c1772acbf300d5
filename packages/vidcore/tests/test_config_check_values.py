"""Strict top-level keys and the values `vidcore config check` (and every run) validates before building."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest
from vidcore.config import load_config
from vidcore.plugins import PluginEntryPoint, PluginManager
from vidcore.plugins import _manager as manager
from vidcore.runner import check_config

COMPONENTS = '''
from typing import Literal

import vidcore
from vidcore.evaluation import BaseMetric


@vidcore.register("models")
class TinyNet:
    def __init__(self, depth: int = 18, mode: Literal["fast", "exact"] = "fast"):
        self.depth = depth

    @classmethod
    def check_config(cls, args):
        depth = args.get("depth", 18)
        return [] if depth in (18, 34) else [("depth", f"must be 18 or 34, got {depth!r}")]


@vidcore.register("datasets")
class TinyData:
    def __init__(self, ann_file: str):
        self.ann_file = ann_file

    @classmethod
    def config_warnings(cls, args):
        import os
        return [] if os.path.exists(args["ann_file"]) else [("ann_file", f"{args['ann_file']} does not exist")]


@vidcore.register("metrics")
class TinyAcc(BaseMetric):
    default_prefix = "acc"

    def __init__(self, topk=(1,), prefix=None):
        super().__init__(prefix=prefix)

    @classmethod
    def metric_names(cls, args):
        return [f"top{k}" for k in args.get("topk", (1,))]

    def process(self, data_batch, data_samples):
        pass

    def compute_metrics(self, results):
        return {}
'''

GOOD = """
custom_imports: {imports: [tiny_check_components]}
model: {type: TinyNet, depth: 18}
train_dataloader: {batch_size: 2, num_workers: 0, dataset: {type: TinyData, ann_file: train.txt}}
val_dataloader: {batch_size: 2, dataset: {type: TinyData, ann_file: train.txt}}
val_evaluator: {type: TinyAcc, topk: [1, 5]}
optim_wrapper: {optimizer: {type: SGD, lr: 0.1, momentum: 0.9, weight_decay: 0.0001}, clip_grad: {max_norm: 40}}
param_scheduler: [{type: LinearLR, begin: 0, end: 2, by_epoch: true}]
train_cfg: {type: EpochBasedTrainLoop, max_epochs: 4}
default_hooks: {checkpoint: {save_best: acc/top5}}
"""


@pytest.fixture
def write(tmp_path, monkeypatch):
    """Write a config (and the tiny components module it imports) into tmp_path, the current directory."""
    (tmp_path / "tiny_check_components.py").write_text(COMPONENTS)
    (tmp_path / "train.txt").write_text("a.mp4 0\n")
    monkeypatch.chdir(tmp_path)
    yield lambda body, name="cfg.yaml": _write(tmp_path / name, body)
    sys.modules.pop("tiny_check_components", None)


def _write(path: Path, body: str) -> Path:
    path.write_text(textwrap.dedent(body))
    return path


def messages(path: Path, *options: str) -> tuple[list[str], list[str]]:
    warnings: list[str] = []
    errors, _ = check_config(load_config(path, options), warnings)
    return [str(error) for error in errors], warnings


def test_a_good_config_passes(write, vidcore_registry):
    assert messages(write(GOOD)) == ([], [])


def test_unknown_top_level_keys_are_errors_with_the_fix(write, vidcore_registry):
    cfg = write(GOOD + "trian_cfg: {max_epochs: 3}\ntotal_epochs: 7\ndefault_scope: mmaction\n")
    errors, _ = messages(cfg)
    assert len(errors) == 3, errors
    assert any("cfg.yaml: trian_cfg: unknown top-level key; did you mean 'train_cfg'?" in e for e in errors)
    assert any("total_epochs: 'total_epochs' is an mmaction2 key that vidcore does not read; use train_cfg.max_epochs;"
               " `vidcore migrate" in e for e in errors)
    assert any("default_scope: " in e and "remove it (vidcore has one namespace per component kind)" in e
               for e in errors)


def test_variables_used_by_references_and_underscore_keys_are_allowed(write, vidcore_registry):
    cfg = write(GOOD.replace("max_epochs: 4", "max_epochs: '${epochs}'")
                + "epochs: 4\n_anchors:\n  lr: &lr 0.1\nunused_variable: 3\n")
    errors, _ = messages(cfg)
    assert len(errors) == 1 and "unused_variable: unknown top-level key" in errors[0], errors
    assert load_config(cfg).variables == {"epochs"}


@pytest.mark.parametrize("value", ["abc", "0", "2.5", "[1,2]", "1e23", "true", str(2**24 + 1)])
def test_bad_batch_sizes(write, vidcore_registry, value):
    errors, _ = messages(write(GOOD), f"train_dataloader.batch_size={value}")
    assert len(errors) == 1 and "--cfg-options: train_dataloader.batch_size: expected a positive integer" in errors[0]


def test_every_bad_value_is_reported_at_once(write, vidcore_registry):
    errors, warnings = messages(write(GOOD), "train_dataloader.num_workers=-1", "train_dataloader.shuffle=true",
                                "val_dataloader.pin_memory=2", "optim_wrapper.clip_grad.max_norm=big",
                                "optim_wrapper.optimizer.lr=-0.1", "optim_wrapper.optimizer.momentum=abc",
                                "default_hooks.checkpoint.save_best=acc/top3", "model.depth=50",
                                "param_scheduler.0.end=0")
    expected = [
        "train_dataloader.num_workers: expected an integer >= 0, got int -1",
        "train_dataloader.shuffle: unknown DataLoader key; it goes in sampler.shuffle",
        "val_dataloader.pin_memory: expected true, false or null",
        "optim_wrapper.clip_grad.max_norm (OptimWrapper): must be a positive number, got str 'big'",
        "optim_wrapper.optimizer.lr: expected a number >= 0, got float -0.1",
        "optim_wrapper.optimizer.momentum: SGD argument 'momentum' expects float, got str 'abc'",
        "default_hooks.checkpoint.save_best: metric 'acc/top3' is not among the validation metrics: acc/top1, acc/top5",
        "model.depth (TinyNet): must be 18 or 34, got 50",
        "param_scheduler[0] (LinearLR): end must be larger than begin, got begin=0, end=0",
    ]
    for text in expected:
        assert sum(text in error for error in errors) == 1, f"{text!r} not in {errors}"
    assert len(errors) == len(expected), errors
    assert [error for error in errors if not error.startswith("--cfg-options: ")] == [  # named by the scheduler
        f"{Path('cfg.yaml').resolve()}: param_scheduler[0] (LinearLR): end must be larger than begin, got begin=0, "
        "end=0"]
    assert warnings == []
    literal, _ = messages(write(GOOD), "model.mode=slow")
    assert literal == ["--cfg-options: model.mode: TinyNet argument 'mode' expects one of 'fast', 'exact', got str "
                       "'slow'"]


def test_runtime_values(write, vidcore_registry):
    errors, _ = messages(write(GOOD), "log_level=verbose", "randomness={seed: x, determinstic: true}",
                         "env_cfg={cudnn_benchmark: 1, torch_threads: 0, dist_cfg: {backend: mpi, timeout: -5}}",
                         "resume=3", "work_dir=[a]")
    assert [error.split(": ", 2)[1] for error in errors] == [
        "randomness.determinstic", "randomness.seed", "env_cfg.cudnn_benchmark", "env_cfg.torch_threads",
        "env_cfg.dist_cfg.backend", "env_cfg.dist_cfg.timeout", "log_level", "work_dir", "resume"]
    assert "log_level: expected a logging level (DEBUG, INFO, WARNING, ERROR, CRITICAL), got str 'verbose'" in errors[6]


def test_schedules_against_the_training_length(write, vidcore_registry):
    cfg = write(GOOD)
    _, warnings = messages(cfg, "param_scheduler.0.end=10", "train_cfg.max_epochs=4")
    assert warnings == ["--cfg-options: param_scheduler[0].end (LinearLR): end 10 is after the end of training "
                        "(4 epochs); it is clipped there"]
    _, warnings = messages(cfg, "param_scheduler.0.begin=5", "param_scheduler.0.end=8")
    assert len(warnings) == 1
    assert "param_scheduler[0].begin (LinearLR): begins at 5, when training has ended (after 4 epochs)" in warnings[0]
    errors, _ = messages(cfg, "train_cfg={type: IterBasedTrainLoop, max_iters: 100}")
    assert len(errors) == 1 and errors[0].endswith("param_scheduler[0].by_epoch: the train loop is iteration-based "
                                                   "and has no epochs; set by_epoch: false, or convert_to_iter_based: "
                                                   "true"), errors


def test_missing_files_are_warnings(write, vidcore_registry):
    errors, warnings = messages(write(GOOD), "train_dataloader.dataset.ann_file=missing.txt")
    assert errors == []
    assert warnings == ["--cfg-options: train_dataloader.dataset.ann_file (TinyData): missing.txt does not exist"]


def test_plugins_declare_top_level_keys(tmp_path, monkeypatch, write, vidcore_registry):
    (tmp_path / "keys_plugin.py").write_text(textwrap.dedent("""
        from vidcore import hookimpl

        @hookimpl
        def vidcore_config_keys():
            return {"keys_plugin": "options of the keys plugin"}
        """))
    (tmp_path / "broken_keys_plugin.py").write_text(textwrap.dedent("""
        from vidcore import hookimpl

        @hookimpl
        def vidcore_config_keys():
            return ["not", "a", "dict"]
        """))
    monkeypatch.syspath_prepend(str(tmp_path))
    plugins = PluginManager(entry_points=[PluginEntryPoint("keys", "keys_plugin", "vidcore-keys", "1.0"),
                                          PluginEntryPoint("broken", "broken_keys_plugin", "vidcore-broken", "1.0")],
                            allow=None, block=[])
    monkeypatch.setattr(manager, "_MANAGER", plugins)
    assert plugins.config_keys() == {"keys_plugin": ("options of the keys plugin", "vidcore-keys")}
    assert "vidcore_config_keys" in plugins.plugins["vidcore-broken:broken"].hook_errors
    assert messages(write(GOOD + "keys_plugin: {verbose: true}\n")) == ([], [])
    for name in ("keys_plugin", "broken_keys_plugin"):
        sys.modules.pop(name, None)


def test_cli_check_and_run_print_one_line_per_problem(write, run_vidcore, tmp_path):
    cfg = write(GOOD + "lr_config: {policy: step}\n")
    options = ["--cfg-options", "train_dataloader.batch_size=abc", "train_dataloader.num_workers=-1"]
    check = run_vidcore("config", "check", str(cfg), *options, cwd=tmp_path)
    run = run_vidcore("run", str(cfg), "--work-dir", str(tmp_path / "wd"), *options, cwd=tmp_path)
    for result in (check, run):
        assert result.returncode == 2, result.stderr
        assert "Traceback" not in result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 3, result.stderr
        assert all(line.startswith("vidcore: error: ") for line in lines)
        assert "lr_config: 'lr_config' is an mmaction2 key that vidcore does not read; use param_scheduler" in lines[0]
        assert "batch_size: expected a positive integer (at most 16777216), got str 'abc'" in lines[1]
        assert lines[2].endswith("got int -1 (3 problems in " + str(cfg.resolve()) + ")")
    assert not (tmp_path / "wd").exists()

    warned = run_vidcore("config", "check", str(write(GOOD)), "--cfg-options",
                         "val_dataloader.dataset.ann_file=nowhere.txt", cwd=tmp_path)
    assert warned.returncode == 0, warned.stderr
    assert warned.stderr.strip() == ("vidcore: warning: --cfg-options: val_dataloader.dataset.ann_file (TinyData): "
                                     "nowhere.txt does not exist")
    assert warned.stdout.strip().endswith("OK, 10 components checked, 1 warning")
    keys = run_vidcore("config", "keys", cwd=tmp_path)
    assert keys.returncode == 0, keys.stderr
    assert any(line.split() == ["auto_scale_lr", "scales", "optimizer", "lr", "by", "world", "size", "x", "batch",
                                "size", "/", "base_batch_size"] for line in keys.stdout.splitlines()), keys.stdout
