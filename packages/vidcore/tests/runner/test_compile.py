"""`compile`: torch.compile of the model's forward, off by default; checkpoints stay plain (no `_orig_mod.`)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
import torch
from vidcore.checkpoint import load_checkpoint, load_state_dict
from vidcore.errors import ConfigError
from vidcore.hooks import Hook
from vidcore.runner import Runner
from vidcore_runner_toys import ToyModel, make_cfg, model_weights, read_json_lines

AOT_EAGER = {"backend": "aot_eager"}  # traces and runs through AOTAutograd, with no C++ build: fast
EVAL = {"test_dataloader": {"batch_size": 8, "dataset": {"type": "ToyDataset", "size": 16, "seed": 1, "noise": 0.0}},
        "test_evaluator": {"type": "ToyAccuracy"}}
PLAIN_KEYS = list(ToyModel().state_dict())


@pytest.fixture(autouse=True)
def fresh_dynamo():
    """Each test compiles from scratch (dynamo's caches and recompile counts are per process)."""
    import torch._dynamo

    torch._dynamo.reset()
    yield
    torch._dynamo.reset()


class StopAfterEpoch(Hook):
    """Simulates an interruption after `count` epochs."""

    priority = "LOWEST"

    def __init__(self, count: int) -> None:
        self.count = count

    def after_train_epoch(self, runner):
        if runner.epoch + 1 >= self.count:
            runner.train_loop.stop_training = True


def train(registry, work_dir: Path, stop_after: int | None = None, **overrides: Any) -> Runner:
    runner = Runner(make_cfg(work_dir, custom_hooks=[{"type": "EMAHook", "momentum": 0.1}], **overrides),
                    filename="toy.yaml", registry=registry)
    if stop_after is not None:
        runner.register_hook(StopAfterEpoch(stop_after))
    runner.train()
    return runner


def compiled_graphs() -> int:
    from torch._dynamo.utils import counters

    return counters["stats"]["unique_graphs"]


def train_losses(work_dir: Path) -> list[float]:
    return [line["loss"] for line in read_json_lines(work_dir) if line["mode"] == "train"]


def assert_close_weights(left: dict[str, torch.Tensor], right: dict[str, torch.Tensor]) -> None:
    assert list(left) == list(right)
    for key in left:
        assert torch.allclose(left[key], right[key], atol=1e-6), key


def test_compile_is_off_by_default(registry, tmp_path: Path):
    for value in (None, False):
        runner = Runner(make_cfg(tmp_path, compile=value), registry=registry)
        assert runner.model._compiled_call_impl is None


def test_aot_eager_trains_like_eager_and_writes_plain_checkpoints(registry, tmp_path: Path):
    eager = train(registry, tmp_path / "eager")
    compiled = train(registry, tmp_path / "compiled", compile=AOT_EAGER)
    assert compiled_graphs() > 0
    assert type(compiled.model) is ToyModel and compiled.model._compiled_call_impl is not None  # compiled in place
    ema = next(hook for hook in compiled.hooks if type(hook).__name__ == "EMAHook")
    assert ema.ema.module._compiled_call_impl is None  # the EMA copy runs eagerly, on its own weights

    assert train_losses(tmp_path / "compiled") == pytest.approx(train_losses(tmp_path / "eager"), rel=1e-6)
    assert_close_weights(model_weights(compiled), model_weights(eager))
    checkpoint = load_checkpoint(tmp_path / "compiled" / "epoch_2.pth")
    assert list(checkpoint["state_dict"]) == PLAIN_KEYS and list(checkpoint["ema_state_dict"]) == PLAIN_KEYS
    assert load_state_dict(ToyModel(), checkpoint, strict=True).ok  # loadable without compile


def test_resume_and_strict_test_with_compile(registry, tmp_path: Path):
    whole = train(registry, tmp_path / "whole")
    train(registry, tmp_path / "split", stop_after=1, compile=AOT_EAGER)
    resumed = train(registry, tmp_path / "split", resume=True, compile=AOT_EAGER)
    assert resumed.model._compiled_call_impl is not None
    assert_close_weights(model_weights(resumed), model_weights(whole))
    assert train_losses(tmp_path / "split") == pytest.approx(train_losses(tmp_path / "whole"), rel=1e-6)

    # what `vidcore test CFG CKPT` does: load_from, strictly, then test; compiled and eager agree
    def test_metrics(compile_cfg: Any) -> dict[str, float]:
        cfg = make_cfg(tmp_path / "test", load_from=str(tmp_path / "split" / "epoch_2.pth"), resume=False,
                       compile=compile_cfg, **EVAL)
        runner = Runner(cfg, filename="toy.yaml", registry=registry)
        runner.strict_load_from = True
        return runner.test()

    assert test_metrics(AOT_EAGER) == test_metrics(None)


@pytest.mark.parametrize(("value", "message"), [
    (3, r"toy\.yaml: compile: expected true, false or a mapping of torch\.compile arguments \(.*backend, mode"),
    ("yes", r"toy\.yaml: compile: expected true, false or a mapping"),
    ({"backend": "aot_eager", "fulgraph": True}, r"toy\.yaml: compile\.fulgraph: unknown key \(accepted: .*fullgraph"),
    ({"backend": "no_such_backend"}, r"toy\.yaml: compile\.backend: unknown backend 'no_such_backend' "
                                     r"\(available: .*inductor.*aot_eager"),
    ({"backend": "aot_eagr"}, r"compile\.backend: unknown backend 'aot_eagr'; did you mean 'aot_eager'\?"),
    ({"fullgraph": "yes"}, r"toy\.yaml: compile\.fullgraph: expected true or false, got 'yes'"),
    ({"dynamic": 1}, r"toy\.yaml: compile\.dynamic: expected true, false or null, got 1"),
    ({"backend": 7}, r"toy\.yaml: compile\.backend: expected a backend name, got 7"),
    ({"backend": "aot_eager", "mode": "max-autotune", "options": {"debug": True}},
     r"toy\.yaml: compile: torch\.compile rejected backend='aot_eager', mode='max-autotune', .*: "
     r"Either mode or options"),
])
def test_bad_values_are_one_line_config_errors(registry, tmp_path: Path, value: Any, message: str):
    with pytest.raises(ConfigError, match=message) as info:
        Runner(make_cfg(tmp_path / "work", compile=value), filename="toy.yaml", registry=registry)
    assert "\n" not in str(info.value)
    assert not (tmp_path / "work").exists()


@pytest.mark.skipif(not os.environ.get("VIDCORE_TEST_INDUCTOR"),
                    reason="inductor's first C++ build takes ~40 s on the 2-core dev machine, over this file's "
                           "budget; set VIDCORE_TEST_INDUCTOR=1 to run it")
@pytest.mark.skipif(not any(shutil.which(name) for name in (os.environ.get("CXX") or "g++", "c++", "clang++")),
                    reason="inductor on CPU needs a C++ compiler and none is installed")
def test_default_inductor_backend_trains_like_eager(registry, tmp_path: Path):
    overrides: dict[str, Any] = {"model": {"type": "ToyModel", "dropout": 0.0},  # inductor draws its own dropout masks
                                 "val_dataloader": None, "val_evaluator": None}
    eager = train(registry, tmp_path / "eager", **overrides)
    compiled = train(registry, tmp_path / "compiled", compile=True, **overrides)
    assert compiled_graphs() > 0
    assert_close_weights(model_weights(compiled), model_weights(eager))
    assert list(load_checkpoint(tmp_path / "compiled" / "epoch_2.pth")["state_dict"]) == PLAIN_KEYS
