"""`auto_scale_lr`: the lr follows world size x batch size / base_batch_size, off unless enabled."""

from __future__ import annotations

import logging
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from vidcore.errors import ConfigError
from vidcore.optim import OptimWrapper
from vidcore.runner import Runner
from vidcore.runner._scale_lr import scale_lr
from vidcore_runner_toys import make_cfg, read_json_lines


def train_lrs(registry, work_dir: Path, capsys, **overrides) -> tuple[list[float], str]:
    cfg = make_cfg(work_dir, val_dataloader=None, val_evaluator=None,
                   train_cfg={"type": "EpochBasedTrainLoop", "max_epochs": 1},
                   default_hooks={"logger": {"interval": 1}, "checkpoint": None}, **overrides)
    Runner(cfg, registry=registry).train()
    log = capsys.readouterr().out  # logged while building, before the run's log file opens
    return [line["lr"] for line in read_json_lines(work_dir) if line["mode"] == "train"], log


def test_enabled_scales_the_lr_before_the_schedulers(registry, tmp_path: Path, capsys):
    lrs, log = train_lrs(registry, tmp_path / "on", capsys, auto_scale_lr={"enable": True, "base_batch_size": 16},
                         param_scheduler={"type": "LinearLR", "start_factor": 0.5, "end": 3, "by_epoch": False})
    # batch 4 of base 16 -> lr 0.1 x 0.25; the warmup starts from the scaled lr
    assert lrs == pytest.approx([0.025 * 0.5, 0.025 * 0.75, 0.025, 0.025, 0.025, 0.025])
    assert "auto_scale_lr: lr x 0.25 = 1 process(es) x batch size 4 / base_batch_size 16" in log


def test_disabled_by_default_and_when_enable_is_false(registry, tmp_path: Path, capsys):
    lrs, log = train_lrs(registry, tmp_path / "off", capsys, auto_scale_lr={"base_batch_size": 16})
    assert lrs == [0.1] * 6 and "auto_scale_lr" not in log


def test_world_size_counts(tmp_path: Path):
    optim_wrapper = OptimWrapper(torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1))
    runner = SimpleNamespace(cfg={"auto_scale_lr": {"enable": True, "base_batch_size": 64}}, world_size=8,
                             train_dataloader=SimpleNamespace(batch_size=16), optim_wrapper=optim_wrapper,
                             logger=logging.getLogger("test_auto_scale_lr"), where=lambda *path: ".".join(path))
    assert scale_lr(runner) == 2.0
    assert optim_wrapper.param_groups[0]["lr"] == pytest.approx(0.2)


@pytest.mark.parametrize("value, message", [
    ({"enable": True}, r"auto_scale_lr\.base_batch_size: missing"),
    ({"enable": True, "base_batch_size": 0}, r"auto_scale_lr\.base_batch_size: expected a positive integer"),
    ({"enabled": True, "base_batch_size": 8}, r"auto_scale_lr\.enabled: unknown key \(accepted: enable, "),
    ({"enable": "yes", "base_batch_size": 8}, r"auto_scale_lr\.enable: expected true or false"),
    (256, r"auto_scale_lr: expected a mapping"),
])
def test_bad_values_are_config_errors(registry, tmp_path: Path, value, message):
    with pytest.raises(ConfigError, match=message):
        Runner(make_cfg(tmp_path, auto_scale_lr=value), filename="cfg.yaml", registry=registry).train()
    assert not list(tmp_path.glob("*/*.log"))  # nothing written
