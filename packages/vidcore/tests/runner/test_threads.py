"""`env_cfg.torch_threads`: the main process's torch threads leave a core to each DataLoader worker, for the
phase only; a number or null overrides it, OMP_NUM_THREADS wins over `auto`, bad values are config errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from vidcore.errors import ConfigError
from vidcore.hooks import Hook
from vidcore.runner import Runner
from vidcore.runner._threads import choose_torch_threads
from vidcore_runner_toys import make_cfg


@pytest.mark.parametrize(("setting", "workers", "cores", "on_accelerator", "expected"), [
    ("auto", 2, 2, True, 1), ("auto", 14, 16, True, 2), ("auto", 6, 4, True, 1), ("auto", 0, 8, True, None),
    ("auto", 1, 2, False, None), (3, 2, 2, False, 3), (None, 4, 8, True, None),
])
def test_choose_torch_threads(setting, workers, cores, on_accelerator, expected):
    assert choose_torch_threads(setting, workers, cores, on_accelerator) == expected


class ThreadsSeen(Hook):
    def __init__(self) -> None:
        self.threads: list[int] = []

    def before_train_iter(self, runner, batch_idx, data_batch=None) -> None:
        self.threads.append(torch.get_num_threads())


def train_with(registry, tmp_path: Path, env_cfg: dict, workers: int = 1) -> tuple[list[int], str]:
    cfg = make_cfg(tmp_path, env_cfg=env_cfg)
    cfg["train_dataloader"]["num_workers"] = workers
    cfg["train_cfg"]["max_epochs"] = 1
    seen = ThreadsSeen()
    with Runner(cfg, registry=registry) as runner:
        runner.register_hook(seen)
        runner.train()
    log = next(tmp_path.glob("*/*.log")).read_text()
    return seen.threads, log


def test_threads_during_training_only_and_logged(registry, tmp_path: Path, monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    before = torch.get_num_threads()
    threads, log = train_with(registry, tmp_path, {"torch_threads": before + 1})
    assert set(threads) == {before + 1} and torch.get_num_threads() == before
    assert f"torch threads: {before + 1} (" in log and "up to 1 DataLoader workers; env_cfg.torch_threads)" in log


def test_auto_keeps_torch_threads_when_the_model_runs_on_the_cpu(registry, tmp_path: Path, monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    before = torch.get_num_threads()
    threads, log = train_with(registry, tmp_path, {}, workers=1)
    assert set(threads) == {before} and "torch threads" not in log


def test_omp_num_threads_wins_over_auto(monkeypatch):
    from vidcore.runner._threads import torch_threads_for

    loaders = [{"num_workers": 3}]
    assert torch_threads_for("auto", loaders, "cfg.yaml: env_cfg.torch_threads", on_accelerator=True)[0] is not None
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert torch_threads_for("auto", loaders, "cfg.yaml: env_cfg.torch_threads", on_accelerator=True) == (None, "")


def test_bad_torch_threads_is_a_config_error(registry, tmp_path: Path):
    with pytest.raises(ConfigError, match=r"env_cfg.torch_threads: expected 'auto', a positive integer or null, "
                                          r"got 0"):
        Runner(make_cfg(tmp_path, env_cfg={"torch_threads": 0}), registry=registry)
