"""mmaction2 0.x and 1.x keys -> vidcore keys (mapping only; fitting to installed components is tested apart)."""

from __future__ import annotations

import pytest
from vidcore_tsn.interop.migrate import migrate_config


@pytest.fixture
def migrate(write_files):
    """`migrate(text)` -> (vidcore config, diagnostics) for a one-file mmaction2 config."""
    def run(text: str):
        path = write_files({"cfg.py": text})["cfg.py"]
        result = migrate_config(path, check_components=False)
        return result.config, result.diagnostics

    return run


def warning_texts(diagnostics) -> str:
    return " | ".join(str(item) for item in diagnostics.warnings)


def test_v0_config_maps_every_key(v0_config):
    result = migrate_config(v0_config, check_components=False)
    cfg = result.config
    assert not result.diagnostics.warnings, warning_texts(result.diagnostics)
    assert list(cfg) == ["model", "train_dataloader", "val_dataloader", "test_dataloader", "val_evaluator",
                         "test_evaluator", "optim_wrapper", "param_scheduler", "train_cfg", "val_cfg", "test_cfg",
                         "default_hooks", "env_cfg", "work_dir", "load_from"]
    model = cfg["model"]
    assert model["cls_head"]["num_classes"] == 101
    assert model["test_cfg"] == {"average_clips": None}
    assert "train_cfg" not in model
    assert model["data_preprocessor"] == {"type": "ActionDataPreprocessor", "mean": [123.675, 116.28, 103.53],
                                          "std": [58.395, 57.12, 57.375], "format_shape": "NCHW"}
    train, val, test = (cfg[f"{split}_dataloader"] for split in ("train", "val", "test"))
    assert (train["batch_size"], train["num_workers"], test["batch_size"]) == (32, 2, 1)
    assert train["sampler"] == {"type": "DefaultSampler", "shuffle": True}
    assert val["sampler"] == {"type": "DefaultSampler", "shuffle": False}
    assert train["dataset"]["data_prefix"] == "data/kinetics400/videos_train"
    assert val["dataset"]["test_mode"] is True and "test_mode" not in train["dataset"]
    types = [step["type"] for step in train["dataset"]["pipeline"]]
    assert types == ["DecordInit", "SampleFrames", "DecordDecode", "Resize", "MultiScaleCrop", "Resize", "Flip",
                     "FormatShape", "PackActionInputs"]
    assert train["dataset"]["pipeline"][3]["scale"] == [-1, 256]
    assert cfg["val_evaluator"] == {"type": "AccMetric", "metric_list": ["top_k_accuracy", "mean_class_accuracy"]}
    assert cfg["optim_wrapper"] == {"optimizer": {"type": "SGD", "lr": 0.00128, "momentum": 0.9,
                                                  "weight_decay": 0.0005},
                                    "clip_grad": {"max_norm": 40, "norm_type": 2}}
    assert cfg["param_scheduler"] == [
        {"type": "LinearLR", "start_factor": 0.1, "end_factor": 1.0, "by_epoch": True, "begin": 0, "end": 5,
         "convert_to_iter_based": True},
        {"type": "CosineAnnealingLR", "T_max": 50, "by_epoch": True, "begin": 0, "end": 50, "eta_min": 0},
    ]
    assert cfg["train_cfg"] == {"type": "EpochBasedTrainLoop", "max_epochs": 50, "val_interval": 5}
    assert cfg["default_hooks"] == {"checkpoint": {"type": "CheckpointHook", "save_best": "acc/top1", "interval": 1},
                                    "logger": {"type": "LoggerHook", "interval": 20}}
    assert cfg["env_cfg"] == {"mp_cfg": {"mp_start_method": "fork", "opencv_num_threads": 0}}
    notes = " | ".join(str(item) for item in result.diagnostics.notes)
    assert "Normalize moved to model.data_preprocessor" in notes and "dist_params: dropped" in notes
    assert "img_norm_cfg" not in cfg and "train_pipeline" in notes


def test_v1_config_passes_through_and_flattens_data_prefix(v1_config):
    result = migrate_config(v1_config, check_components=False)
    cfg = result.config
    assert not result.diagnostics.warnings, warning_texts(result.diagnostics)
    assert cfg["model"]["data_preprocessor"]["type"] == "ActionDataPreprocessor"
    assert cfg["model"]["backbone"]["pretrained"] == "torchvision://ResNet50_Weights.IMAGENET1K_V2"
    assert cfg["train_dataloader"]["dataset"]["data_prefix"] == "data/kinetics400/videos_train"
    assert cfg["train_dataloader"]["dataset"]["pipeline"][0] == {"type": "DecordInit", "io_backend": "disk"}
    assert cfg["test_dataloader"]["dataset"]["pipeline"] == cfg["val_dataloader"]["dataset"]["pipeline"]
    assert cfg["test_evaluator"] == {"type": "AccMetric"}
    assert cfg["default_hooks"]["checkpoint"] == {"type": "CheckpointHook", "interval": 3, "save_best": "auto",
                                                  "max_keep_ckpts": 3}
    assert cfg["default_hooks"]["sync_buffers"] == {"type": "SyncBuffersHook"}
    assert cfg["visualizer"] == {"vis_backends": [{"type": "LocalVisBackend"}]}
    assert cfg["env_cfg"]["dist_cfg"] == {"backend": "nccl"}
    assert cfg["resume"] is False and cfg["load_from"] is None
    assert "default_scope" not in cfg and "log_processor" not in cfg
    assert cfg["auto_scale_lr"] == {"enable": False, "base_batch_size": 256}


def test_read_base_config_maps(read_base_config):
    result = migrate_config(read_base_config, check_components=False)
    assert not result.diagnostics.warnings
    assert result.config["model"]["cls_head"]["num_classes"] == 51
    assert result.config["optim_wrapper"]["optimizer"]["type"] == "SGD"


@pytest.mark.parametrize("lr_config, total, expected", [
    ("dict(policy='step', step=[3, 6], gamma=0.5, warmup='linear', warmup_iters=100, warmup_ratio=0.01)", 8, [
        {"type": "LinearLR", "start_factor": 0.01, "end_factor": 1.0, "by_epoch": False, "begin": 0, "end": 101},
        {"type": "MultiStepLR", "milestones": [3, 6], "gamma": 0.5, "by_epoch": True, "begin": 0, "end": 8}]),
    ("dict(policy='step', step=2)", 8, [
        {"type": "StepLR", "step_size": 2, "gamma": 0.1, "by_epoch": True, "begin": 0, "end": 8}]),
    ("dict(policy='CosineRestart', periods=[4, 4], restart_weights=[1, 0.5], min_lr_ratio=0.01)", 8, [
        {"type": "CosineRestartLR", "periods": [4, 4], "restart_weights": [1, 0.5], "by_epoch": True, "begin": 0,
         "end": 8, "eta_min_ratio": 0.01}]),
    ("dict(policy='CosineAnnealing', min_lr=1e-5, by_epoch=False)", 8, [
        {"type": "CosineAnnealingLR", "T_max": 8, "by_epoch": True, "convert_to_iter_based": True, "begin": 0,
         "end": 8, "eta_min": 1e-5}]),
    ("dict(policy='poly', power=0.9, min_lr=1e-4)", 8, [
        {"type": "PolyLR", "power": 0.9, "eta_min": 1e-4, "by_epoch": True, "begin": 0, "end": 8}]),
    ("dict(policy='step', step=[1], warmup='constant', warmup_iters=2, warmup_ratio=0.3, warmup_by_epoch=True)", 4, [
        {"type": "ConstantLR", "factor": 0.3, "by_epoch": True, "begin": 0, "end": 2, "convert_to_iter_based": True},
        {"type": "MultiStepLR", "milestones": [1], "gamma": 0.1, "by_epoch": True, "begin": 0, "end": 4}]),
])
def test_lr_config_policies(migrate, lr_config, total, expected):
    cfg, diagnostics = migrate(f"lr_config = {lr_config}\ntotal_epochs = {total}\n")
    assert not diagnostics.warnings, warning_texts(diagnostics)
    assert cfg["param_scheduler"] == expected


def test_unmappable_schedule_settings_are_warned(migrate):
    cfg, diagnostics = migrate("lr_config = dict(policy='Cyclic', target_ratio=(10, 1e-4), warmup='sine', "
                               "warmup_iters=3)\nmomentum_config = dict(policy='cyclic')\ntotal_epochs = 3\n")
    text = warning_texts(diagnostics)
    assert "lr_config.policy: lr policy 'Cyclic'" in text and "lr_config.warmup: warmup 'sine'" in text
    assert "momentum_config" in text and "param_scheduler" not in cfg


@pytest.mark.parametrize("runner, expected", [
    ("total_epochs = 3", {"type": "OneCycleLR", "eta_max": 0.1, "pct_start": 0.25, "by_epoch": True,
                          "convert_to_iter_based": True, "begin": 0, "end": 3}),
    ("runner = dict(type='IterBasedRunner', max_iters=90)", {"type": "OneCycleLR", "eta_max": 0.1, "pct_start": 0.25,
                                                             "by_epoch": False, "begin": 0, "end": 90}),
])
def test_one_cycle_spans_the_run_in_iterations(migrate, runner, expected):
    cfg, diagnostics = migrate(f"lr_config = dict(policy='OneCycle', max_lr=0.1, pct_start=0.25)\n{runner}\n")
    assert not diagnostics.warnings, warning_texts(diagnostics)
    assert cfg["param_scheduler"] == [expected]


def test_iter_based_runner(migrate):
    cfg, diagnostics = migrate("runner = dict(type='IterBasedRunner', max_iters=1000)\n"
                               "lr_config = dict(policy='step', step=[500])\n")
    assert cfg["train_cfg"] == {"type": "IterBasedTrainLoop", "max_iters": 1000}
    assert cfg["param_scheduler"][0]["by_epoch"] is False and cfg["param_scheduler"][0]["end"] == 1000


def test_optimizer_config_variants(migrate):
    cfg, _ = migrate("optimizer = dict(type='SGD', lr=0.1, constructor='TSMOptimizerConstructor',\n"
                     "                 paramwise_cfg=dict(fc_lr5=True))\n"
                     "optimizer_config = dict(type='Fp16OptimizerHook', loss_scale=512., cumulative_iters=4,\n"
                     "                        grad_clip=None)\n")
    assert cfg["optim_wrapper"] == {"constructor": "TSMOptimWrapperConstructor", "paramwise_cfg": {"fc_lr5": True},
                                    "optimizer": {"type": "SGD", "lr": 0.1}, "accumulative_counts": 4,
                                    "type": "AmpOptimWrapper", "loss_scale": 512.0}
    cfg, _ = migrate("optimizer = dict(type='AdamW', lr=1e-3)\nfp16 = dict(loss_scale='dynamic')\n")
    assert cfg["optim_wrapper"]["type"] == "AmpOptimWrapper" and cfg["optim_wrapper"]["loss_scale"] == "dynamic"


def test_log_config_hooks_become_visualizer_backends(migrate):
    cfg, diagnostics = migrate(
        "log_config = dict(interval=5, hooks=[dict(type='TextLoggerHook'), dict(type='TensorboardLoggerHook'),\n"
        "    dict(type='WandbLoggerHook', init_kwargs=dict(project='p')), dict(type='MlflowLoggerHook')])\n")
    assert cfg["default_hooks"]["logger"] == {"type": "LoggerHook", "interval": 5}
    assert cfg["visualizer"] == {"vis_backends": [{"type": "TensorboardVisBackend"},
                                                  {"type": "WandbVisBackend", "init_kwargs": {"project": "p"}}]}
    assert "log_config.hooks[3]: logger hook MlflowLoggerHook" in warning_texts(diagnostics)


def test_evaluation_settings(migrate):
    cfg, diagnostics = migrate(
        "data = dict(videos_per_gpu=2, workers_per_gpu=0, train=dict(type='VideoDataset', ann_file='a'),\n"
        "            val=dict(type='VideoDataset', ann_file='b'))\n"
        "evaluation = dict(interval=2, start=3, save_best='auto', rule='greater', metrics='top_k_accuracy',\n"
        "                  metric_options=dict(top_k_accuracy=dict(topk=(1, 3))), gpu_collect=True)\n"
        "total_epochs = 10\n")
    assert cfg["train_cfg"] == {"type": "EpochBasedTrainLoop", "max_epochs": 10, "val_interval": 2, "val_begin": 3}
    assert cfg["val_evaluator"] == {"type": "AccMetric", "metric_list": ["top_k_accuracy"],
                                    "metric_options": {"top_k_accuracy": {"topk": [1, 3]}}}
    assert cfg["val_cfg"] == {"type": "ValLoop"} and "test_cfg" not in cfg
    assert cfg["default_hooks"]["checkpoint"] == {"type": "CheckpointHook", "save_best": "auto", "rule": "greater"}
    assert "evaluation.gpu_collect" in warning_texts(diagnostics)


def test_val_data_without_evaluation_validates_every_epoch(migrate):
    cfg, diagnostics = migrate("data = dict(val=dict(type='VideoDataset', ann_file='b'))\n")
    assert cfg["val_evaluator"] == {"type": "AccMetric"} and cfg["val_cfg"] == {"type": "ValLoop"}
    assert cfg["val_dataloader"]["batch_size"] == 1


def test_dataset_wrappers_decoders_and_prefixes(migrate):
    cfg, diagnostics = migrate(
        "data = dict(videos_per_gpu=4, train=dict(type='RepeatDataset', times=3, dataset=dict(\n"
        "    type='RawframeDataset', ann_file='a', data_prefix=dict(img='frames'),\n"
        "    pipeline=[dict(type='OpenCVInit'), dict(type='OpenCVDecode'),\n"
        "              dict(type='Collect', keys=['imgs', 'label', 'x'])])),\n"
        "    omni_videos_per_gpu=[4, 8])\n")
    dataset = cfg["train_dataloader"]["dataset"]
    assert dataset["type"] == "RepeatDataset" and dataset["times"] == 3
    dataset = dataset["dataset"]
    assert dataset["type"] == "RawframeDataset" and dataset["data_prefix"] == "frames"
    assert [step["type"] for step in dataset["pipeline"]] == ["DecordInit", "DecordDecode", "PackActionInputs"]
    text = warning_texts(diagnostics)
    assert "RepeatDataset" not in text and "OpenCVInit replaced by DecordInit" in text
    assert "Collect keys ['x']" in text and "data.omni_videos_per_gpu" in text


def test_lazy_pipelines_become_eager(migrate):
    cfg, diagnostics = migrate(
        "data = dict(train=dict(type='VideoDataset', pipeline=[\n"
        "    dict(type='MultiScaleCrop', input_size=224, lazy=True), dict(type='Flip', lazy=True),\n"
        "    dict(type='Fuse'), dict(type='PackActionInputs')]))\n")
    steps = cfg["train_dataloader"]["dataset"]["pipeline"]
    assert steps == [{"type": "MultiScaleCrop", "input_size": 224}, {"type": "Flip"}, {"type": "PackActionInputs"}]
    assert not diagnostics.warnings


def test_img_norm_cfg_without_normalize_and_bgr(migrate):
    cfg, diagnostics = migrate("model = dict(type='Recognizer2D')\n"
                               "img_norm_cfg = dict(mean=[1, 2, 3], std=[4, 5, 6], to_bgr=True)\n")
    assert cfg["model"]["data_preprocessor"] == {"type": "ActionDataPreprocessor", "mean": [1, 2, 3],
                                                 "std": [4, 5, 6], "to_rgb": True, "format_shape": "NCHW"}
    assert not diagnostics.warnings


def test_differing_normalize_between_splits_is_warned(migrate):
    cfg, diagnostics = migrate(
        "model = dict(type='Recognizer2D')\n"
        "data = dict(train=dict(type='VideoDataset', pipeline=[dict(type='Normalize', mean=[1], std=[2])]),\n"
        "            val=dict(type='VideoDataset', pipeline=[dict(type='Normalize', mean=[9], std=[2])]))\n")
    assert cfg["model"]["data_preprocessor"]["mean"] == [1]
    assert "data.val.pipeline[0]: Normalize" in warning_texts(diagnostics)


def test_model_specifics(migrate):
    cfg, diagnostics = migrate(
        "model = dict(type='Recognizer2D', backbone=dict(type='torchvision.resnet18', pretrained=True),\n"
        "             neck=dict(type='TPN'), cls_head=dict(type='TSNHead', multi_class=True),\n"
        "             train_cfg=dict(blending=dict(type='MixupBlending', num_classes=4, alpha=0.2), aux_info=['x']),\n"
        "             test_cfg=dict(average_clips='prob', max_testing_views=4, fcn_test=True))\n"
        "img_norm_cfg = dict(mean=[1, 2, 3], std=[4, 5, 6])\n")
    model = cfg["model"]
    assert model["backbone"] == {"type": "ResNet", "depth": 18, "pretrained": "torchvision://resnet18"}
    assert "neck" not in model
    assert model["test_cfg"] == {"average_clips": "prob", "max_testing_views": 4}
    assert model["data_preprocessor"]["blending"] == {"type": "MixupBlending", "num_classes": 4, "alpha": 0.2}
    text = warning_texts(diagnostics)
    for key in ("model.neck", "model.cls_head.multi_class", "model.train_cfg.aux_info", "model.test_cfg.fcn_test"):
        assert key in text


def test_pretrained_sources(migrate):
    cfg, diagnostics = migrate(
        "model = dict(backbone=dict(type='ResNet', pretrained='https://download.pytorch.org/models/resnet18-f37072fd.pth'))\n")
    assert cfg["model"]["backbone"]["pretrained"] == "torchvision://resnet18"
    cfg, diagnostics = migrate("model = dict(backbone=dict(type='ResNet', pretrained='open-mmlab://resnet50_v1c'))\n")
    assert "open-mmlab://resnet50_v1c cannot be loaded" in warning_texts(diagnostics)


def test_runtime_keys(migrate):
    cfg, diagnostics = migrate(
        "resume_from = 'work/epoch_3.pth'\nworkflow = [('train', 1), ('val', 1)]\ncudnn_benchmark = True\n"
        "seed = 3\ndeterministic = True\ngpu_ids = range(1)\nfind_unused_parameters = True\n"
        "custom_imports = dict(imports=['my_module'])\nlauncher = 'pytorch'\nsomething_else = 1\n"
        "auto_scale_lr = dict(enable=True, base_batch_size=64)\n")
    assert cfg["resume"] == "work/epoch_3.pth" and "load_from" not in cfg  # resumes from that file, not the work dir
    assert cfg["env_cfg"] == {"cudnn_benchmark": True}
    assert cfg["randomness"] == {"seed": 3, "deterministic": True}
    text = warning_texts(diagnostics)
    for key in ("gpu_ids: call", "find_unused_parameters", "custom_imports", "something_else"):
        assert key in text
    assert cfg["auto_scale_lr"] == {"enable": True, "base_batch_size": 64} and "auto_scale_lr" not in text
    assert "launcher" not in text and "workflow" in " ".join(str(n) for n in diagnostics.notes)


def test_warnings_carry_the_file_and_line_of_their_key(migrate):
    _, diagnostics = migrate("x = 1\n\nevaluation = dict(interval=1, weird=True)\n")
    assert any(str(item).endswith("cfg.py:3: evaluation.weird: no vidcore equivalent; dropped")
               for item in diagnostics.warnings)


def _mmcv_lr(lr_config: dict, base: float, iteration: int, epoch_length: int, epochs: int) -> float:
    """mmcv's learning rate at `iteration` for the policies below (written from mmcv's formulas)."""
    import math

    by_epoch = lr_config.get("by_epoch", True)
    progress, total = (iteration // epoch_length, epochs) if by_epoch else (iteration, epochs * epoch_length)
    policy, min_lr = lr_config["policy"], lr_config.get("min_lr", 0.0)
    if policy == "step":
        lr = max(base * 0.1 ** sum(progress >= step for step in lr_config["step"]), min_lr)
    else:  # CosineAnnealing
        lr = min_lr + (base - min_lr) * (1 + math.cos(math.pi * progress / total)) / 2
    warmup_iters = lr_config.get("warmup_iters", 0)
    if lr_config.get("warmup") == "linear" and iteration < warmup_iters:
        lr *= 1 - (1 - iteration / warmup_iters) * (1 - lr_config["warmup_ratio"])
    if lr_config.get("warmup") == "exp" and iteration < warmup_iters:
        lr *= lr_config["warmup_ratio"] ** (1 - iteration / warmup_iters)
    return lr


@pytest.mark.parametrize("lr_config", [
    dict(policy="CosineAnnealing", by_epoch=False, min_lr=0.001),
    dict(policy="CosineAnnealing", by_epoch=False, min_lr=0, warmup="linear", warmup_iters=5, warmup_ratio=0.1),
    dict(policy="CosineAnnealing", min_lr=0, warmup="linear", warmup_iters=5, warmup_ratio=0.1),
    dict(policy="step", step=[5, 9], by_epoch=False, min_lr=0.0015),
    dict(policy="step", step=[2], warmup="linear", warmup_iters=3, warmup_ratio=0.01),
    dict(policy="step", step=[2], warmup="exp", warmup_iters=6, warmup_ratio=0.1),
], ids=["cosine-by-iteration", "cosine-by-iteration-warmup", "cosine-by-epoch-warmup", "step-by-iteration-min-lr",
        "step-by-epoch-iteration-warmup", "step-by-epoch-exp-warmup"])
def test_migrated_schedules_give_mmcv_learning_rate_at_every_iteration(migrate, lr_config):
    """3 epochs of 4 iterations, stepped as vidcore's ParamSchedulerHook does, against mmcv's formulas."""
    import torch
    from vidcore.plugins import default_registry

    epochs, epoch_length, base = 3, 4, 0.1
    cfg, diagnostics = migrate(f"lr_config = {lr_config!r}\ntotal_epochs = {epochs}\n")
    assert not diagnostics.warnings, warning_texts(diagnostics)
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=base)
    schedulers = [default_registry().build(dict(item), "param_schedulers",
                                           default_args={"optimizer": optimizer, "epoch_length": epoch_length})
                  for item in cfg["param_scheduler"]]
    for iteration in range(epochs * epoch_length):
        expected = _mmcv_lr(lr_config, base, iteration, epoch_length, epochs)
        assert optimizer.param_groups[0]["lr"] == pytest.approx(expected, rel=1e-6, abs=1e-9), iteration
        for scheduler in schedulers:
            if not scheduler.by_epoch:
                scheduler.step()
        if (iteration + 1) % epoch_length == 0:
            for scheduler in schedulers:
                if scheduler.by_epoch:
                    scheduler.step()
