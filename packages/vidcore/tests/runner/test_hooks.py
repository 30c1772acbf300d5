"""Hook building blocks: priorities, metric rules, EMA, the message hub, the evaluator, config check slots."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from vidcore.checkpoint import load_checkpoint
from vidcore.errors import ConfigError
from vidcore.evaluation import Evaluator
from vidcore.hooks import HOOK_POINTS, Hook, Priority, get_priority
from vidcore.hooks._metric_rule import infer_rule, resolve_rule
from vidcore.runner import MessageHub, Runner
from vidcore_runner_toys import ToyAccuracy, make_cfg, model_weights


def test_there_are_22_hook_points_and_a_hook_reports_what_it_overrides():
    assert len(HOOK_POINTS) == len(set(HOOK_POINTS)) == 22

    class OnlyRun(Hook):
        def before_run(self, runner):
            pass

    assert OnlyRun().implements("before_run") and not OnlyRun().implements("after_run")


@pytest.mark.parametrize("value, expected", [(0, 0), (100, 100), ("NORMAL", 50), ("very_low", 90),
                                             (Priority.ABOVE_NORMAL, 40), ("HIGH", 30), ("BELOW_NORMAL", 60)])
def test_priorities(value, expected):
    assert get_priority(value) == expected


@pytest.mark.parametrize("value", [-1, 101, "SOON", True, 1.5])
def test_invalid_priorities(value):
    with pytest.raises(ConfigError):
        get_priority(value)


@pytest.mark.parametrize("metric, rule", [
    ("acc/top1", "greater"), ("top5", "greater"), ("mAP", "greater"), ("precision", "greater"),
    ("recall", "greater"), ("f1_score", "greater"), ("val/loss", "less"), ("error_rate", "less"),
    ("mean_class_accuracy", "greater"), ("throughput", None)])
def test_rule_inference(metric, rule):
    assert infer_rule(metric) == rule


def test_unknown_rule_asks_for_one():
    with pytest.raises(ConfigError, match="set rule: greater or rule: less"):
        resolve_rule("throughput", None, "save_best")
    assert resolve_rule("throughput", "greater", "save_best") == "greater"


def test_message_hub_resolves_tensors_lazily_and_weights_counts():
    hub = MessageHub()
    hub.update_scalar("train/loss", torch.tensor(1.0))
    hub.update_scalar("train/loss", 3.0)
    hub.update_scalar("train/loss", torch.tensor(5.0))
    assert hub.get_scalar("train/loss").mean() == 3.0
    assert hub.get_scalar("train/loss").mean(2) == 4.0
    assert hub.get_scalar("train/loss").current() == 5.0
    hub.update_scalar("val/acc", 1.0, count=3)
    hub.update_scalar("val/acc", 0.0, count=1)
    assert hub.get_scalar("val/acc").mean() == 0.75


def test_evaluator_merges_metrics_and_refuses_duplicate_keys():
    class Plus(ToyAccuracy):
        default_prefix = "plus"

    samples = [{"pred": 1, "label": 1}, {"pred": 0, "label": 1}]
    evaluator = Evaluator([ToyAccuracy(), Plus()])
    evaluator.process(samples)
    assert evaluator.evaluate(2) == {"acc/top1": 0.5, "plus/top1": 0.5}
    clash = Evaluator([ToyAccuracy(), ToyAccuracy()])
    clash.process(samples)
    with pytest.raises(ConfigError, match="two metrics both produce 'acc/top1'"):
        clash.evaluate(2)


def test_ema_hook_validates_on_and_saves_the_average(registry, tmp_path: Path):
    seen: list[torch.Tensor] = []

    class Spy(Hook):
        def before_val_iter(self, runner, batch_idx, data_batch=None):
            seen.append(runner.model.head.weight.detach().clone())

    cfg = make_cfg(tmp_path, custom_hooks=[{"type": "EMAHook", "momentum": 0.5}],
                   train_cfg={"type": "EpochBasedTrainLoop", "max_epochs": 1})
    runner = Runner(cfg, registry=registry)
    runner.register_hook(Spy())
    runner.train()
    ema = [hook for hook in runner.hooks if type(hook).__name__ == "EMAHook"][0].ema.module
    trained = model_weights(runner)
    assert torch.equal(seen[0], ema.head.weight)  # validation ran on the average ...
    assert not torch.equal(seen[0], trained["head.weight"])  # ... not on the training weights
    checkpoint = load_checkpoint(tmp_path / "epoch_1.pth")
    assert torch.equal(checkpoint["state_dict"]["head.weight"], ema.head.weight)
    assert torch.equal(checkpoint["ema_state_dict"]["head.weight"], trained["head.weight"])


def test_config_check_knows_the_runner_layout(registry, tmp_path: Path, monkeypatch):
    """`vidcore config check` validates with the same slots the runner builds from."""
    from vidcore.config import Config
    from vidcore.runner import _config_check as check_module

    cfg = make_cfg(tmp_path, train_cfg={"by_epoch": True, "max_epochs": 1},
                   default_hooks={"checkpoint": {"interval": 2}, "logger": None},
                   custom_hooks=[{"type": "EMAHook", "priority": "LOW"}],
                   param_scheduler=[{"type": "LinearLR", "end": 3}],
                   visualizer={"vis_backends": [{"type": "LocalVisBackend"}]},
                   optim_wrapper={"type": "AmpOptimWrapper", "optimizer": {"type": "SGD", "lr": 0.1},
                                  "paramwise_cfg": {"norm_decay_mult": 0.0}})
    cfg["train_dataloader"]["collate_fn"] = {"type": "pseudo_collate"}
    monkeypatch.setattr(check_module, "default_registry", lambda: registry)
    errors, checked = check_module.check_config(Config(cfg, "cfg.yaml"))
    assert errors == [] and checked >= 12

    cfg["default_hooks"]["checkpoint"] = {"intervall": 2}
    cfg["param_scheduler"][0]["ends"] = 3
    errors, _ = check_module.check_config(Config(cfg, "cfg.yaml"))
    messages = [str(error) for error in errors]
    assert any("default_hooks.checkpoint.intervall" in message for message in messages)
    assert any("param_scheduler[0].ends" in message for message in messages)
