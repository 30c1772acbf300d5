"""Runner: building from a config, the phases, hook order, the files a run writes, and config errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from vidcore.errors import BuildError, ConfigError, RegistryError
from vidcore.hooks import HOOK_POINTS, Hook
from vidcore.runner import EpochBasedTrainLoop, IterBasedTrainLoop, Runner
from vidcore_runner_toys import make_cfg, read_json_lines


class Recorder(Hook):
    """Records every hook point it sees, with the runner's counters."""

    def __init__(self, name: str = "recorder") -> None:
        self.name = name
        self.calls: list[tuple[str, int, int]] = []


for _point in HOOK_POINTS:
    def _record(self, runner, *args, _point=_point, **kwargs):
        self.calls.append((_point, runner.epoch, runner.iter))
    setattr(Recorder, _point, _record)


def test_train_val_test_and_files_written(registry, tmp_path: Path):
    cfg = make_cfg(tmp_path / "run", test_dataloader={"batch_size": 8, "dataset": {"type": "ToyDataset", "size": 8}},
                   test_evaluator=[{"type": "ToyAccuracy"}])
    with Runner(cfg, filename=str(tmp_path / "toy_cfg.yaml"), registry=registry) as runner:
        runner.train()
        assert runner.test_loop_configured
        metrics = runner.test(dump=str(tmp_path / "predictions.json"))
    assert set(metrics) == {"acc/top1"}
    work_dir = tmp_path / "run"
    assert yaml.safe_load((work_dir / "toy_cfg.yaml").read_text())["train_cfg"]["max_epochs"] == 2
    log_dirs = [p for p in work_dir.iterdir() if p.is_dir()]
    assert len(log_dirs) == 1 and len(log_dirs[0].name) == len("YYYYmmdd_HHMMSS")
    log_dir = log_dirs[0]
    assert (log_dir / f"{log_dir.name}.log").read_text().count("Epoch(train)") == 6
    assert yaml.safe_load((log_dir / "vis_data" / "config.yaml").read_text())["model"] == {"type": "ToyModel"}
    assert sorted(p.name for p in work_dir.glob("*.pth")) == ["epoch_1.pth", "epoch_2.pth"]
    assert (work_dir / "last_checkpoint").read_text() == "epoch_2.pth"  # relative to the work dir
    predictions = json.loads((tmp_path / "predictions.json").read_text())
    assert [item["index"] for item in predictions] == list(range(8))


def test_json_lines_format(registry, tmp_path: Path):
    cfg = make_cfg(tmp_path, test_dataloader={"batch_size": 8, "dataset": {"type": "ToyDataset", "size": 8}},
                   test_evaluator={"type": "ToyAccuracy"})
    with Runner(cfg, registry=registry) as runner:
        runner.train()
        runner.test()
    lines = read_json_lines(tmp_path)
    train = [line for line in lines if line["mode"] == "train"]
    # 24 samples / batch 4 = 6 iterations per epoch, logged every 2
    assert [(line["epoch"], line["iter"], line["step"]) for line in train] == [
        (1, 2, 2), (1, 4, 4), (1, 6, 6), (2, 8, 8), (2, 10, 10), (2, 12, 12)]
    assert list(train[0])[:4] == ["mode", "epoch", "iter", "step"]
    for key in ("lr", "loss", "loss_cls", "acc", "data_time", "time"):
        assert isinstance(train[0][key], float), key
    assert train[0]["lr"] == 0.1
    val = [line for line in lines if line["mode"] == "val"]
    assert [(line["epoch"], line["iter"], line["step"]) for line in val] == [(1, 6, 6), (2, 12, 12)]
    assert 0.0 <= val[0]["acc/top1"] <= 1.0 and "time" in val[0]
    test = [line for line in lines if line["mode"] == "test"]
    assert [(line["epoch"], line["iter"], line["step"]) for line in test] == [(2, 12, 12)]


def test_logged_loss_is_the_window_mean(registry, tmp_path: Path):
    class Losses(Hook):
        def __init__(self):
            self.values = []

        def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
            self.values.append(float(outputs["loss"]))

    runner = Runner(make_cfg(tmp_path, val_dataloader=None, val_evaluator=None), registry=registry)
    recorder = Losses()
    runner.register_hook(recorder)
    runner.train()
    logged = [line["loss"] for line in read_json_lines(tmp_path) if line["mode"] == "train"]
    expected = [(recorder.values[i] + recorder.values[i + 1]) / 2 for i in range(0, 12, 2)]
    assert logged == pytest.approx(expected, rel=1e-6)


def test_hook_points_in_order(registry, tmp_path: Path):
    runner = Runner(make_cfg(tmp_path, train_cfg={"type": "EpochBasedTrainLoop", "max_epochs": 1},
                             train_dataloader={"batch_size": 12, "dataset": {"type": "ToyDataset"}}),
                    registry=registry)
    recorder = Recorder()
    runner.register_hook(recorder)
    runner.train()
    points = [call[0] for call in recorder.calls]
    assert points == [
        "before_run", "before_train", "before_train_epoch",
        "before_train_iter", "after_train_iter", "before_train_iter", "after_train_iter",
        "after_train_epoch",
        "before_val", "before_val_epoch", "before_val_iter", "after_val_iter", "before_val_iter",
        "after_val_iter", "after_val_epoch", "after_val",
        "before_save_checkpoint",  # the epoch's checkpoint is written after validation (CheckpointHook: VERY_LOW)
        "after_train", "after_run"]
    # counters as in mmengine: 0-based during the iteration, incremented after it
    assert recorder.calls[points.index("after_train_iter")][1:] == (0, 0)
    assert recorder.calls[points.index("after_train_epoch")][1:] == (0, 2)
    assert recorder.calls[points.index("before_val")][1:] == (1, 2)


def test_priorities_order_hooks_and_equal_ones_keep_registration_order(registry, tmp_path: Path):
    order: list[str] = []

    class Named(Hook):
        def __init__(self, name):
            self.name = name

        def before_run(self, runner):
            order.append(self.name)

    runner = Runner(make_cfg(tmp_path), registry=registry)
    runner.register_hook(Named("normal-1"))
    runner.register_hook(Named("lowest"), "LOWEST")
    runner.register_hook(Named("very-high"), "VERY_HIGH")
    runner.register_hook(Named("normal-2"), 50)
    runner.register_hook(Named("highest"), 0)
    runner.call_hook("before_run")
    assert order == ["highest", "very-high", "normal-1", "normal-2", "lowest"]
    builtin = [type(hook).__name__ for hook in runner.hooks if not isinstance(hook, Named)]
    assert builtin == ["RuntimeInfoHook", "IterTimerHook", "DistSamplerSeedHook", "LoggerHook",
                       "ParamSchedulerHook", "CheckpointHook"]


def test_default_hooks_null_removes_and_partial_config_keeps_the_type(registry, tmp_path: Path):
    cfg = make_cfg(tmp_path, default_hooks={"checkpoint": None, "logger": {"interval": 5}, "timer": None})
    runner = Runner(cfg, registry=registry)
    names = [type(hook).__name__ for hook in runner.hooks]
    assert "CheckpointHook" not in names and "IterTimerHook" not in names
    assert [hook.interval for hook in runner.hooks if type(hook).__name__ == "LoggerHook"] == [5]
    runner.train()
    assert not list(tmp_path.glob("*.pth"))


def test_custom_hooks_from_config_with_priority(registry, tmp_path: Path):
    registry.register("hooks", "Recorder", Recorder, dist="tests")
    cfg = make_cfg(tmp_path, custom_hooks=[{"type": "Recorder", "name": "late", "priority": "LOWEST"},
                                           {"type": "Recorder", "name": "early", "priority": 5}])
    runner = Runner(cfg, registry=registry)
    names = [getattr(hook, "name", type(hook).__name__) for hook in runner.hooks]
    assert names[0] == "early" and names[-1] == "late"


def test_mmengine_style_train_cfg(registry, tmp_path: Path):
    runner = Runner(make_cfg(tmp_path, train_cfg={"by_epoch": True, "max_epochs": 1}), registry=registry)
    runner.train()
    assert isinstance(runner.train_loop, EpochBasedTrainLoop) and runner.epoch == 1
    runner = Runner(make_cfg(tmp_path / "iters", train_cfg={"by_epoch": False, "max_iters": 3, "val_interval": 2}),
                    registry=registry)
    runner.train()
    assert isinstance(runner.train_loop, IterBasedTrainLoop) and runner.iter == 3
    val = [line["iter"] for line in read_json_lines(tmp_path / "iters") if line["mode"] == "val"]
    assert val == [2, 3]
    assert sorted(p.name for p in (tmp_path / "iters").glob("*.pth")) == ["iter_1.pth", "iter_2.pth", "iter_3.pth"]


def test_val_begin_and_interval(registry, tmp_path: Path):
    runner = Runner(make_cfg(tmp_path, train_cfg={"type": "EpochBasedTrainLoop", "max_epochs": 5, "val_begin": 2,
                                                  "val_interval": 2},
                             train_dataloader={"batch_size": 24, "dataset": {"type": "ToyDataset"}}),
                    registry=registry)
    runner.train()
    assert [line["epoch"] for line in read_json_lines(tmp_path) if line["mode"] == "val"] == [2, 4, 5]


def test_early_stopping(registry, tmp_path: Path):
    cfg = make_cfg(tmp_path, val_evaluator={"type": "ToyLossMetric", "values": [1.0, 0.5, 0.5, 0.5, 0.5]},
                   train_cfg={"type": "EpochBasedTrainLoop", "max_epochs": 10},
                   train_dataloader={"batch_size": 24, "dataset": {"type": "ToyDataset"}},
                   custom_hooks=[{"type": "EarlyStoppingHook", "monitor": "val/loss", "patience": 2, "min_delta": 0.0}])
    runner = Runner(cfg, registry=registry)
    runner.train()
    assert runner.epoch == 4  # best at epoch 2, no improvement at epochs 3 and 4


def test_checkpoint_hook_interval_max_keep_and_best_rule_inferred_as_less(registry, tmp_path: Path):
    cfg = make_cfg(tmp_path, val_evaluator={"type": "ToyLossMetric", "values": [0.9, 0.3, 0.6, 0.2, 0.8]},
                   train_cfg={"type": "EpochBasedTrainLoop", "max_epochs": 5},
                   train_dataloader={"batch_size": 24, "dataset": {"type": "ToyDataset"}},
                   default_hooks={"checkpoint": {"interval": 2, "max_keep_ckpts": 1, "save_best": "val/loss"}})
    Runner(cfg, registry=registry).train()
    assert sorted(p.name for p in tmp_path.glob("*.pth")) == ["best_val_loss_epoch_4.pth", "epoch_5.pth"]


def test_save_best_on_an_unknown_metric_names_the_metrics(registry, tmp_path: Path):
    cfg = make_cfg(tmp_path, default_hooks={"checkpoint": {"save_best": "acc/top5"}})
    with pytest.raises(ConfigError, match=r"metric 'acc/top5' is not among the validation metrics: acc/top1"):
        Runner(cfg, registry=registry).train()


def test_gradient_accumulation_matches_a_large_batch(registry, tmp_path: Path):
    def final_weights(batch_size, accumulate, work_dir):
        cfg = make_cfg(work_dir, model={"type": "ToyModel", "dropout": 0.0},
                       train_dataloader={"batch_size": batch_size,
                                         "dataset": {"type": "ToyDataset", "noise": 0.0},
                                         "sampler": {"type": "DefaultSampler", "shuffle": False}},
                       optim_wrapper={"optimizer": {"type": "SGD", "lr": 0.1}, "accumulative_counts": accumulate},
                       train_cfg={"type": "EpochBasedTrainLoop", "max_epochs": 1}, val_dataloader=None,
                       val_evaluator=None, default_hooks={"checkpoint": None})
        runner = Runner(cfg, registry=registry)
        runner.train()
        return runner.model.head.weight.detach().clone()

    # 24 samples: 2 steps with batches of 12, or batches of 4 accumulated 3 at a time
    assert final_weights(12, 1, tmp_path / "a").allclose(final_weights(4, 3, tmp_path / "b"), atol=1e-6)
    assert not final_weights(12, 1, tmp_path / "c").allclose(final_weights(4, 1, tmp_path / "d"), atol=1e-4)


def test_clip_grad_logs_grad_norm(registry, tmp_path: Path):
    cfg = make_cfg(tmp_path, optim_wrapper={"optimizer": {"type": "SGD", "lr": 0.1},
                                            "clip_grad": {"max_norm": 0.01}})
    Runner(cfg, registry=registry).train()
    train = [line for line in read_json_lines(tmp_path) if line["mode"] == "train"]
    assert all("grad_norm" in line for line in train)


def test_amp_bfloat16_on_cpu(registry, tmp_path: Path):
    cfg = make_cfg(tmp_path, optim_wrapper={"type": "AmpOptimWrapper", "optimizer": {"type": "SGD", "lr": 0.1}})
    runner = Runner(cfg, registry=registry)
    before = runner.model.head.weight.detach().clone()
    runner.train()
    assert type(runner.optim_wrapper).__name__ == "AmpOptimWrapper"
    import torch

    assert runner.optim_wrapper.dtype is torch.bfloat16 and runner.optim_wrapper.loss_scaler is None
    assert runner.model.head.weight.dtype is torch.float32
    assert not torch.equal(before, runner.model.head.weight)
    # the last forward of training ran under autocast; validation (predict) does not use it
    assert runner.model.last_dtype is torch.float32


def test_amp_forward_runs_in_bfloat16(registry, tmp_path: Path):
    import torch

    class DtypeSpy(Hook):
        dtypes: list = []

        def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
            self.dtypes.append(runner.model.last_dtype)

    cfg = make_cfg(tmp_path, optim_wrapper={"type": "AmpOptimWrapper", "optimizer": {"type": "SGD", "lr": 0.1}},
                   val_dataloader=None, val_evaluator=None)
    runner = Runner(cfg, registry=registry)
    spy = DtypeSpy()
    runner.register_hook(spy)
    runner.train()
    assert set(spy.dtypes) == {torch.bfloat16}


def test_paramwise_cfg_sets_group_lr_and_decay(registry, tmp_path: Path):
    cfg = make_cfg(tmp_path, optim_wrapper={
        "optimizer": {"type": "SGD", "lr": 0.1, "weight_decay": 1e-4},
        "paramwise_cfg": {"custom_keys": {"head": {"lr_mult": 0.5}}, "bias_decay_mult": 0.0}})
    runner = Runner(cfg, registry=registry)
    runner.train()
    groups = runner.optim_wrapper.param_groups
    by_param = {id(param): group for group in groups for param in group["params"]}
    model = runner.model
    assert by_param[id(model.head.weight)]["lr"] == pytest.approx(0.05)
    assert by_param[id(model.head.bias)]["lr"] == pytest.approx(0.05)
    assert by_param[id(model.backbone[0].bias)]["weight_decay"] == 0.0
    assert by_param[id(model.backbone[0].weight)]["weight_decay"] == 1e-4
    assert len(groups) == 3  # equal settings share a group


def test_param_scheduler_in_an_iteration_loop_defaults_to_iterations(registry, tmp_path: Path):
    cfg = make_cfg(tmp_path, train_cfg={"type": "IterBasedTrainLoop", "max_iters": 4, "val_interval": 10},
                   param_scheduler={"type": "StepLR", "step_size": 2, "gamma": 0.5},
                   default_hooks={"logger": {"interval": 1}, "checkpoint": None})
    Runner(cfg, registry=registry).train()
    lrs = [line["lr"] for line in read_json_lines(tmp_path) if line["mode"] == "train"]
    assert lrs == [0.1, 0.1, 0.05, 0.05]


def test_by_epoch_scheduler_in_an_iteration_loop_is_a_config_error(registry, tmp_path: Path):
    cfg = make_cfg(tmp_path, train_cfg={"type": "IterBasedTrainLoop", "max_iters": 4},
                   param_scheduler=[{"type": "StepLR", "step_size": 2, "by_epoch": True}])
    with pytest.raises(ConfigError, match=r"param_scheduler\[0\]\.by_epoch: the train loop is iteration-based"):
        Runner(cfg, registry=registry).train()


def test_convert_to_iter_based_uses_the_epoch_length(registry, tmp_path: Path):
    cfg = make_cfg(tmp_path, param_scheduler=[{"type": "StepLR", "step_size": 1, "gamma": 0.5,
                                               "convert_to_iter_based": True}],
                   default_hooks={"logger": {"interval": 3}})
    Runner(cfg, registry=registry).train()
    lrs = [line["lr"] for line in read_json_lines(tmp_path) if line["mode"] == "train"]
    assert lrs == [0.1, 0.1, 0.05, 0.05]  # logged at iterations 3, 6 (epoch 1) and 9, 12 (epoch 2)


@pytest.mark.parametrize("overrides, error, message", [
    ({"train_cfg": None}, ConfigError, r"training needs train_cfg"),
    ({"train_dataloader": {"batch_size": 2, "datset": {}}}, ConfigError,
     r"train_dataloader\.datset: unknown DataLoader key; did you mean 'dataset'\?"),
    ({"val_evaluator": None}, ConfigError, r"val_dataloader is set but val_evaluator is not"),
    ({"test_evaluator": {"type": "ToyAccuracy"}}, ConfigError, r"test_evaluator is set but test_dataloader is not"),
    ({"train_cfg": {"type": "EpochBasedTrainLoop", "max_epoch": 2}}, BuildError,
     r"train_cfg\.max_epoch: .*did you mean 'max_epochs'"),
    ({"optim_wrapper": {"optimizer": {"type": "SDG", "lr": 0.1}}}, RegistryError,
     r"optim_wrapper\.optimizer\.type: unknown optimizers type 'SDG'; did you mean 'SGD'"),
    ({"randomness": {"seed": "x"}}, ConfigError, r"randomness\.seed: expected an integer"),
    ({"custom_hooks": [{"type": "EMAHook", "priority": "SOMETIMES"}]}, ConfigError,
     r"custom_hooks\[0\]\.priority: unknown priority 'SOMETIMES'"),
    ({"train_dataloader": {"batch_size": 4, "dataset": {"type": "ToyDataset"}, "collate_fn": {"type": "pseudo"}}},
     RegistryError, r"train_dataloader\.collate_fn\.type: .*did you mean 'pseudo_collate'"),
])
def test_config_errors_name_the_key(registry, tmp_path: Path, overrides, error, message):
    with pytest.raises(error, match=message):
        Runner(make_cfg(tmp_path / "run", **overrides), filename="cfg.yaml", registry=registry).train()


def test_default_work_dir_is_named_after_the_config(registry, tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cfg = make_cfg(tmp_path)
    del cfg["work_dir"]
    runner = Runner(cfg, filename=str(tmp_path / "configs" / "my_exp.yaml"), registry=registry)
    assert runner.work_dir == str(Path("work_dirs") / "my_exp")
    assert not (tmp_path / "work_dirs").exists()  # nothing is written before a phase starts
