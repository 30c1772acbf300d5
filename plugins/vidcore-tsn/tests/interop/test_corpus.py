"""A corpus of mmaction2-style configs (0.x and 1.x, TSN and TSM) that migrate with the training they describe.

Each case is a child config over the usual `_base_` files; the test migrates it, checks what its training
semantics became (schedules, validation, resume, constructors, warnings and the summary), and runs
`vidcore config check` on the YAML. A representative subset also trains for one iteration on synthetic
videos through the `vidcore` CLI, and a mutation fuzz feeds values of every type to the mapping.
"""

from __future__ import annotations

import copy
import random
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from vidcore.cli._main import main
from vidcore.errors import VidcoreError
from vidcore_tsn.interop.migrate import migrate_config, render_yaml

V0_BASES = ("_base_ = ['../_base_/models/tsn_r50.py', '../_base_/schedules/sgd_100e.py', "
            "'../_base_/default_runtime.py']\n")
V0_RUN_BASES = "_base_ = ['../_base_/schedules/sgd_100e.py', '../_base_/default_runtime.py']\n"
V1_BASES = V0_BASES
V1_RUN_BASES = "_base_ = ['../_base_/schedules/sgd_100e.py', '../_base_/default_runtime.py']\n"

_TRAIN_STEPS = """
    dict(type='SampleFrames', clip_len=1, frame_interval=1, num_clips=NUM_CLIPS),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(-1, 256)),
    dict(type='MultiScaleCrop', input_size=224, scales=(1, 0.875, 0.75, 0.66), random_crop=False,
         max_wh_scale_gap=1),
    dict(type='Resize', scale=(224, 224), keep_ratio=False),
    dict(type='Flip', flip_ratio=0.5),"""
_VAL_STEPS = """
    dict(type='SampleFrames', clip_len=1, frame_interval=1, num_clips=NUM_CLIPS, test_mode=True),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(-1, 256)),
    dict(type='CenterCrop', crop_size=224),"""
_V0_END = """
    dict(type='Normalize', **img_norm_cfg),
    dict(type='FormatShape', input_format='NCHW'),
    dict(type='Collect', keys=['imgs', 'label'], meta_keys=[]),
    dict(type='ToTensor', keys=['imgs', 'label'])
]
"""
_V1_END = """
    dict(type='FormatShape', input_format='NCHW'),
    dict(type='PackActionInputs')
]
"""

V0_DATA = f"""
dataset_type = 'VideoDataset'
img_norm_cfg = dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], to_bgr=False)
train_pipeline = [
    dict(type='DecordInit'),{_TRAIN_STEPS}{_V0_END}
val_pipeline = [
    dict(type='DecordInit'),{_VAL_STEPS}{_V0_END}
data = dict(
    videos_per_gpu=8,
    workers_per_gpu=2,
    test_dataloader=dict(videos_per_gpu=1),
    train=dict(type=dataset_type, ann_file='data/train.txt', data_prefix='data/train', pipeline=train_pipeline),
    val=dict(type=dataset_type, ann_file='data/val.txt', data_prefix='data/val', pipeline=val_pipeline),
    test=dict(type=dataset_type, ann_file='data/val.txt', data_prefix='data/val', pipeline=val_pipeline))
evaluation = dict(interval=1, metrics=['top_k_accuracy', 'mean_class_accuracy'])
"""

V0_RAWFRAMES = f"""
dataset_type = 'RawframeDataset'
img_norm_cfg = dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], to_bgr=False)
train_pipeline = [
    dict(type='SampleFrames', clip_len=1, frame_interval=1, num_clips=8),
    dict(type='RawFrameDecode'),
    dict(type='Resize', scale=(-1, 256)),
    dict(type='RandomResizedCrop'),
    dict(type='Resize', scale=(224, 224), keep_ratio=False),
    dict(type='Flip', flip_ratio=0.5),{_V0_END}data = dict(
    videos_per_gpu=8,
    workers_per_gpu=2,
    train=dict(type=dataset_type, ann_file='data/rawframes.txt', data_prefix='data/rawframes',
               filename_tmpl='img_{{:05}}.jpg', pipeline=train_pipeline))
"""

V0_TSM_MODEL = """
model = dict(
    type='Recognizer2D',
    backbone=dict(type='ResNetTSM', pretrained='torchvision://resnet50', depth=50, norm_eval=False, shift_div=8,
                  num_segments=8),
    cls_head=dict(type='TSMHead', num_classes=400, in_channels=2048, spatial_type='avg',
                  consensus=dict(type='AvgConsensus', dim=1), dropout_ratio=0.5, init_std=0.001, is_shift=True,
                  num_segments=8),
    train_cfg=None,
    test_cfg=dict(average_clips='prob'))
"""

V1_DATA = f"""
dataset_type = 'VideoDataset'
train_pipeline = [
    dict(type='DecordInit', io_backend='disk'),{_TRAIN_STEPS}{_V1_END}
val_pipeline = [
    dict(type='DecordInit', io_backend='disk'),{_VAL_STEPS}{_V1_END}
train_dataloader = dict(
    batch_size=8, num_workers=2, persistent_workers=True, sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type=dataset_type, ann_file='data/train.txt', data_prefix=dict(video='data/train'),
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=8, num_workers=2, persistent_workers=True, sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, ann_file='data/val.txt', data_prefix=dict(video='data/val'),
                 pipeline=val_pipeline, test_mode=True))
test_dataloader = val_dataloader
val_evaluator = dict(type='AccMetric')
test_evaluator = val_evaluator
"""

V1_TSM_MODEL = """
model = dict(
    type='Recognizer2D',
    backbone=dict(type='ResNetTSM', pretrained='torchvision://resnet50', depth=50, norm_eval=False, shift_div=8),
    cls_head=dict(type='TSMHead', num_classes=400, in_channels=2048, spatial_type='avg',
                  consensus=dict(type='AvgConsensus', dim=1), dropout_ratio=0.5, init_std=0.001, is_shift=True,
                  average_clips='prob'),
    data_preprocessor=dict(type='ActionDataPreprocessor', mean=[123.675, 116.28, 103.53],
                           std=[58.395, 57.12, 57.375], format_shape='NCHW'),
    train_cfg=None,
    test_cfg=None)
"""


@dataclass
class Case:
    """One corpus config: its text (after the `_base_` line), what the migrated YAML must hold (`expect`:
    key path -> value, `absent`: key paths), the warnings it must give (substrings; `clean`: none at all)."""

    name: str
    version: str  # "0.x" or "1.x"
    text: str
    expect: dict[str, Any] = field(default_factory=dict)
    absent: tuple[str, ...] = ()
    warns: tuple[str, ...] = ()
    clean: bool = False
    bases: str = ""
    num_clips: int = 3

    def source(self) -> str:
        default = V0_BASES if self.version == "0.x" else V1_BASES
        return (self.bases or default) + self.text.replace("NUM_CLIPS", str(self.num_clips))


def v0(name: str, extra: str = "", **kwargs: Any) -> Case:
    return Case(name, "0.x", V0_DATA + extra, **kwargs)


def v1(name: str, extra: str = "", **kwargs: Any) -> Case:
    return Case(name, "1.x", V1_DATA + extra, **kwargs)


CASES = [
    # --- mmaction2 0.x: the common TSN recipes ------------------------------------------------------------
    v0("v0_tsn_step", clean=True, expect={
        "param_scheduler": [{"type": "MultiStepLR", "milestones": [40, 80], "gamma": 0.1, "by_epoch": True,
                             "begin": 0, "end": 100}],
        "train_cfg": {"type": "EpochBasedTrainLoop", "max_epochs": 100, "val_interval": 1}}),
    v0("v0_tsn_cosine_epoch_warmup", "lr_config = dict(_delete_=True, policy='CosineAnnealing', min_lr=0, "
       "warmup='linear', warmup_by_epoch=True, warmup_iters=5, warmup_ratio=0.1)\ntotal_epochs = 50\n", clean=True,
       expect={"param_scheduler[0]": {"type": "LinearLR", "start_factor": 0.1, "end_factor": 1.0, "by_epoch": True,
                                      "begin": 0, "end": 5, "convert_to_iter_based": True},
               "param_scheduler[1]": {"type": "CosineAnnealingLR", "T_max": 50, "by_epoch": True, "begin": 0,
                                      "end": 50, "eta_min": 0}}),
    Case("v0_tsn_rawframes", "0.x", V0_RAWFRAMES, clean=True, expect={
        "train_dataloader.dataset.type": "RawframeDataset",
        "train_dataloader.dataset.filename_tmpl": "img_{:05}.jpg"}),
    v0("v0_tsn_8_segments", num_clips=8, clean=True,
       expect={"train_dataloader.dataset.pipeline[1].num_clips": 8}),
    v0("v0_tsn_adam_grad_clip", "optimizer = dict(_delete_=True, type='Adam', lr=0.001, weight_decay=0.0001)\n"
       "optimizer_config = dict(grad_clip=dict(max_norm=20, norm_type=2))\n", clean=True,
       expect={"optim_wrapper": {"optimizer": {"type": "Adam", "lr": 0.001, "weight_decay": 0.0001},
                                 "clip_grad": {"max_norm": 20, "norm_type": 2}}}),
    v0("v0_fp16", "fp16 = dict(loss_scale=512.)\n", clean=True,
       expect={"optim_wrapper.type": "AmpOptimWrapper", "optim_wrapper.loss_scale": 512.0}),
    v0("v0_gradient_cumulative", "optimizer_config = dict(_delete_=True, type='GradientCumulativeOptimizerHook', "
       "cumulative_iters=4)\n", clean=True, expect={"optim_wrapper.accumulative_counts": 4}),
    # --- iteration-based validation and schedules --------------------------------------------------------
    v0("v0_eval_every_500_iterations", "evaluation = dict(interval=500, by_epoch=False, metrics=['top_k_accuracy'])\n",
       warns=("validation every 500 iterations cannot be expressed",),
       expect={"train_cfg": {"type": "EpochBasedTrainLoop", "max_epochs": 100}}),
    v0("v0_iter_based_runner", "runner = dict(type='IterBasedRunner', max_iters=120)\n"
       "evaluation = dict(interval=40, by_epoch=False, metrics=['top_k_accuracy'])\n"
       "lr_config = dict(policy='step', step=[40, 80], by_epoch=False)\n"
       "checkpoint_config = dict(interval=40, by_epoch=False)\n", clean=True,
       expect={"train_cfg": {"type": "IterBasedTrainLoop", "max_iters": 120, "val_interval": 40},
               "param_scheduler": [{"type": "MultiStepLR", "milestones": [40, 80], "gamma": 0.1, "by_epoch": False,
                                    "begin": 0, "end": 120}],
               "default_hooks.checkpoint.by_epoch": False},
       absent=("train_cfg.max_epochs",)),
    v0("v0_cosine_by_iteration", "lr_config = dict(_delete_=True, policy='CosineAnnealing', by_epoch=False, min_lr=0)\n"
       "total_epochs = 30\n", clean=True,
       expect={"param_scheduler": [{"type": "CosineAnnealingLR", "T_max": 30, "by_epoch": True,
                                    "convert_to_iter_based": True, "begin": 0, "end": 30, "eta_min": 0}]}),
    v0("v0_step_by_iteration", "lr_config = dict(policy='step', step=[40, 80], by_epoch=False)\n", clean=True,
       expect={"param_scheduler": [{"type": "MultiStepLR", "milestones": [40, 80], "gamma": 0.1, "by_epoch": False,
                                    "begin": 0}]}),
    v0("v0_cosine_iteration_warmup", "lr_config = dict(_delete_=True, policy='CosineAnnealing', by_epoch=False, "
       "warmup='linear', warmup_iters=1, warmup_by_epoch=True, min_lr=0)\ntotal_epochs = 40\n", clean=True,
       expect={"param_scheduler[0].convert_to_iter_based": True, "param_scheduler[0].end": 1,
               "param_scheduler[1].T_max": 40, "param_scheduler[1].convert_to_iter_based": True}),
    v0("v0_poly_by_iteration", "lr_config = dict(_delete_=True, policy='poly', power=0.9, min_lr=1e-4, "
       "by_epoch=False)\n", clean=True,
       expect={"param_scheduler": [{"type": "PolyLR", "power": 0.9, "eta_min": 1e-4, "by_epoch": True,
                                    "convert_to_iter_based": True, "begin": 0, "end": 100}]}),
    v0("v0_exp_by_iteration", "lr_config = dict(_delete_=True, policy='exp', gamma=0.999, by_epoch=False)\n",
       clean=True,
       expect={"param_scheduler": [{"type": "ExponentialLR", "gamma": 0.999, "by_epoch": False, "begin": 0}]}),
    v0("v0_cosine_restart", "lr_config = dict(_delete_=True, policy='CosineRestart', periods=[50, 50], "
       "restart_weights=[1, 0.5], min_lr_ratio=0.01)\n", clean=True,
       expect={"param_scheduler": [{"type": "CosineRestartLR", "periods": [50, 50], "restart_weights": [1, 0.5],
                                    "by_epoch": True, "begin": 0, "end": 100, "eta_min_ratio": 0.01}]}),
    v0("v0_step_min_lr", "lr_config = dict(policy='step', step=[3, 6], gamma=0.5, min_lr=1e-4)\n", clean=True,
       expect={"param_scheduler[0].min_lr": 1e-4, "param_scheduler[0].milestones": [3, 6]}),
    v0("v0_step_int_warmup_iters", "lr_config = dict(policy='step', step=30, warmup='linear', warmup_iters=100, "
       "warmup_ratio=0.01)\n", clean=True,
       expect={"param_scheduler": [
           {"type": "LinearLR", "start_factor": 0.01, "end_factor": 1.0, "by_epoch": False, "begin": 0, "end": 101},
           {"type": "StepLR", "step_size": 30, "gamma": 0.1, "by_epoch": True, "begin": 0, "end": 100}]}),
    v0("v0_exp_warmup", "lr_config = dict(policy='step', step=[40], warmup='exp', warmup_iters=10)\n", clean=True,
       expect={"param_scheduler[0]": {"type": "ExponentialWarmupLR", "start_factor": 0.1, "end_factor": 1.0,
                                      "by_epoch": False, "begin": 0, "end": 11}}),
    v0("v0_one_cycle", "lr_config = dict(_delete_=True, policy='OneCycle', max_lr=0.1)\n", clean=True,
       expect={"param_scheduler": [{"type": "OneCycleLR", "eta_max": 0.1, "by_epoch": True,
                                    "convert_to_iter_based": True, "begin": 0, "end": 100}]}),
    v0("v0_repeat_dataset_and_auto_scale_lr", "data['train'] = dict(type='RepeatDataset', times=3, "
       "dataset=data['train'])\nauto_scale_lr = dict(enable=True, base_batch_size=64)\n", clean=True,
       expect={"train_dataloader.dataset.type": "RepeatDataset", "train_dataloader.dataset.times": 3,
               "train_dataloader.dataset.dataset.type": "VideoDataset",
               "auto_scale_lr": {"enable": True, "base_batch_size": 64}}),
    # --- validation details, logging, resume ---------------------------------------------------------------
    v0("v0_eval_start_and_topk", "evaluation = dict(interval=5, start=18, topk=(1, 3), save_best='top1_acc')\n",
       warns=("mmaction2 0.x validated at 18, 23",),
       expect={"train_cfg.val_interval": 5, "train_cfg.val_begin": 18, "default_hooks.checkpoint.save_best": "acc/top1",
               "val_evaluator.metric_options": {"top_k_accuracy": {"topk": [1, 3]}}}),
    v0("v0_text_logger_ignore_last", "log_config = dict(interval=5, hooks=[dict(type='TextLoggerHook', "
       "ignore_last=False)])\n", clean=True,
       expect={"default_hooks.logger": {"type": "LoggerHook", "interval": 5, "ignore_last": False}}),
    v0("v0_resume_from", "resume_from = 'work_dirs/previous/epoch_3.pth'\n", clean=True,
       expect={"resume": "work_dirs/previous/epoch_3.pth"}),
    v0("v0_train_cfg_none_top_level", "train_cfg = None\ntest_cfg = dict(average_clips='prob')\n"
       "model = dict(test_cfg=None)\n",
       warns=("train_cfg = None (mmaction2 0.x: no model training settings); dropped",),
       expect={"model.test_cfg": {"average_clips": "prob"}, "train_cfg.type": "EpochBasedTrainLoop",
               "test_cfg": {"type": "TestLoop"}}),
    v0("v0_multigrid_and_precise_bn", "train_cfg = None\nmultigrid = dict(long_cycle=True, short_cycle=True)\n"
       "precise_bn = dict(num_iters=200, interval=3)\n",
       warns=("multigrid: multigrid training", "precise_bn: PreciseBN", "train_cfg = None"),
       absent=("multigrid", "precise_bn")),
    # --- constructors -----------------------------------------------------------------------------------
    Case("v0_tsm_constructor_fc_lr5", "0.x", V0_TSM_MODEL + V0_DATA + "optimizer = dict(_delete_=True, type='SGD', "
         "constructor='TSMOptimizerConstructor', paramwise_cfg=dict(fc_lr5=True), lr=0.01, momentum=0.9, "
         "weight_decay=0.0001)\n", bases=V0_RUN_BASES, num_clips=8, clean=True,
         expect={"optim_wrapper.constructor": "TSMOptimWrapperConstructor",
                 "optim_wrapper.paramwise_cfg": {"fc_lr5": True}, "model.backbone.type": "ResNetTSM"}),
    v0("v0_unknown_constructor", "optimizer = dict(constructor='SwinOptimizerConstructor', "
       "paramwise_cfg=dict(absolute_pos_embed=dict(decay_mult=0.)))\n",
       warns=("'SwinOptimWrapperConstructor' is not a registered vidcore optimizer constructor; dropped",
              "paramwise_cfg.absolute_pos_embed: DefaultOptimWrapperConstructor does not take it"),
       absent=("optim_wrapper.constructor", "optim_wrapper.paramwise_cfg")),
    v0("v0_fc_lr5_without_tsm_constructor", "optimizer = dict(paramwise_cfg=dict(fc_lr5=True, bias_lr_mult=2.))\n",
       warns=("optim_wrapper.paramwise_cfg.fc_lr5: DefaultOptimWrapperConstructor does not take it",),
       expect={"optim_wrapper.paramwise_cfg": {"bias_lr_mult": 2.0}}),
    # --- mmaction2 1.x ------------------------------------------------------------------------------------
    v1("v1_tsn", "default_hooks = dict(checkpoint=dict(interval=3, max_keep_ckpts=3))\n"
       "auto_scale_lr = dict(enable=False, base_batch_size=256)\n", clean=True,
       expect={"train_dataloader.dataset.data_prefix": "data/train", "default_hooks.logger.ignore_last": False,
               "resume": False}),
    v1("v1_tsn_cosine_warmup", "param_scheduler = [\n"
       "    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=5, convert_to_iter_based=True),\n"
       "    dict(type='CosineAnnealingLR', T_max=45, eta_min=0, by_epoch=True, begin=5, end=50)]\n"
       "train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=50, val_begin=1, val_interval=5)\n", clean=True,
       expect={"param_scheduler[1].begin": 5, "train_cfg.val_interval": 5}),
    v1("v1_iter_based_loop", "train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=120, "
       "val_interval=40)\nparam_scheduler = [dict(type='MultiStepLR', milestones=[40, 80], by_epoch=False, "
       "begin=0, end=120)]\n", clean=True,
       expect={"train_cfg": {"type": "IterBasedTrainLoop", "max_iters": 120, "val_interval": 40}}),
    v1("v1_resume_with_load_from", "load_from = 'work_dirs/previous/epoch_3.pth'\nresume = True\n", clean=True,
       expect={"resume": "work_dirs/previous/epoch_3.pth"}),
    v1("v1_resume_auto", "resume = True\n", clean=True, expect={"resume": True}),
    Case("v1_tsm_constructor", "1.x", V1_TSM_MODEL + V1_DATA + "optim_wrapper = dict(constructor="
         "'TSMOptimWrapperConstructor', paramwise_cfg=dict(fc_lr5=True))\n", bases=V1_RUN_BASES, num_clips=8,
         clean=True, expect={"optim_wrapper.constructor": "TSMOptimWrapperConstructor",
                             "optim_wrapper.paramwise_cfg": {"fc_lr5": True}}),
    v1("v1_unknown_constructor", "optim_wrapper = dict(constructor='LearningRateDecayOptimizerConstructor', "
       "paramwise_cfg=dict(decay_rate=0.75, decay_type='layer_wise', num_layers=12))\n",
       warns=("'LearningRateDecayOptimizerConstructor' is not a registered vidcore optimizer constructor",
              "paramwise_cfg.decay_rate", "paramwise_cfg.decay_type", "paramwise_cfg.num_layers"),
       absent=("optim_wrapper.constructor", "optim_wrapper.paramwise_cfg")),
    v1("v1_read_base_style", "from mmaction.models import TSNHead\n"
       "model = dict(cls_head=dict(type=TSNHead, num_classes=51))\n", clean=True,
       expect={"model.cls_head.type": "TSNHead", "model.cls_head.num_classes": 51}),
    v1("v1_unknown_key_is_warned", "log_procesor = dict(window_size=10)\n",
       warns=("log_procesor: not an mmaction2 setting vidcore knows",), absent=("log_procesor",)),
]
RUN = {  # name -> batch size of the one training iteration (v0_cosine_iteration_warmup: in the resume test)
    "v0_iter_based_runner": 2, "v1_tsm_constructor": 4,
}


@pytest.fixture
def write_case(mmaction_tree):
    """`write_case(case, root)`: the case's config over its version's `_base_` files, under `root`."""
    def write(case: Case, root: Path) -> Path:
        name = f"recognition/{case.name}.py"
        return mmaction_tree(case.version, root, {name: case.source()})[name]

    return write


def lookup(cfg: Any, path: str) -> Any:
    """`cfg` at a key path such as `param_scheduler[1].by_epoch` (KeyError when absent)."""
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", path):
        cfg = cfg[int(part[1:-1])] if part.startswith("[") else cfg[part]
    return cfg


def migrate_case(case: Case, root: Path, write_case) -> tuple[Path, Any]:
    migration = migrate_config(write_case(case, root))
    output = root / f"{case.name}.yaml"
    output.write_text(render_yaml(migration), encoding="utf-8")
    return output, migration


def test_the_corpus_covers_both_versions_and_tsm():
    assert len(CASES) >= 30 and len({case.name for case in CASES}) == len(CASES)
    assert {case.version for case in CASES} == {"0.x", "1.x"}
    assert sum("TSM" in case.text for case in CASES) >= 2


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_corpus_config_migrates_with_its_semantics_and_checks(case, tmp_path, capsys, write_case):
    output, migration = migrate_case(case, tmp_path, write_case)
    cfg = yaml.safe_load(output.read_text())
    warnings = " | ".join(str(item) for item in migration.diagnostics.warnings)
    if case.clean:
        assert not migration.diagnostics.warnings, warnings
    for text in case.warns:
        assert text in warnings
    for path, value in case.expect.items():
        assert lookup(cfg, path) == value, path
    for path in case.absent:
        with pytest.raises((KeyError, IndexError)):
            lookup(cfg, path)
    header = output.read_text().split("\nmodel:")[0]
    nothing_lost = not migration.diagnostics.warnings and not any(item.dropped for item in migration.diagnostics.items)
    assert ("Everything was mapped" in header) == nothing_lost
    assert f"; {len(migration.diagnostics.warnings)} warning(s)" in header
    capsys.readouterr()
    assert main(["config", "check", str(output)]) == 0, capsys.readouterr().err
    assert "OK" in capsys.readouterr().out


def vidcore(*args: Any) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "vidcore", *map(str, args)], capture_output=True, text=True,
                          timeout=600)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(RUN))
def test_corpus_config_trains_one_iteration(name, tmp_path, synthetic_roots, tiny_options, write_case):
    case = next(case for case in CASES if case.name == name)
    output, _ = migrate_case(case, tmp_path, write_case)
    work_dir = tmp_path / "work"
    ran = vidcore("run", output, "--work-dir", work_dir, "--cfg-options",
                  *tiny_options(output, synthetic_roots, train_batch=RUN[name]))
    assert ran.returncode == 0, ran.stderr[-3000:]
    assert "acc/top1" in ran.stdout + ran.stderr
    assert list(work_dir.glob("*.pth"))


@pytest.mark.slow
def test_resume_from_continues_from_that_checkpoint_in_an_empty_work_dir(tmp_path, synthetic_roots, tiny_options,
                                                                         write_case):
    """mmaction2's `resume_from` resumes from the file even when the work dir is new: it never starts over.
    The first run trains an iteration-based cosine schedule with an epoch-based warmup (convert_to_iter_based)."""
    first = next(case for case in CASES if case.name == "v0_cosine_iteration_warmup")
    output, _ = migrate_case(first, tmp_path, write_case)
    options = tiny_options(output, synthetic_roots, train_batch=4)
    assert vidcore("run", output, "--work-dir", tmp_path / "first", "--cfg-options", *options).returncode == 0
    checkpoint = tmp_path / "first" / "epoch_1.pth"
    assert checkpoint.is_file()

    resumed = Case("v0_resume_run", "0.x", first.text + f"resume_from = {str(checkpoint)!r}\n")
    output, _ = migrate_case(resumed, tmp_path / "resumed", write_case)
    assert yaml.safe_load(output.read_text())["resume"] == str(checkpoint)
    options = [option.replace("train_cfg.max_epochs=1", "train_cfg.max_epochs=2") for option in
               tiny_options(output, synthetic_roots, train_batch=4)]
    ran = vidcore("run", output, "--work-dir", tmp_path / "second", "--cfg-options", *options)
    assert ran.returncode == 0, ran.stderr[-3000:]
    assert f"resumed from {checkpoint}" in ran.stdout + ran.stderr
    assert (tmp_path / "second" / "epoch_2.pth").is_file() and not (tmp_path / "second" / "epoch_1.pth").exists()


_FUZZ_VALUES = [None, 0, -1, 2.5, True, "x", "", [], [1, "a"], {}, {"type": 3}, {"a": None}, ("t",),
                {"type": "Unknown"}, [{"type": None}]]


def _key_paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    paths = [prefix] if prefix else []
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        paths += _key_paths(item, prefix + (key,))
    return paths


def test_mutated_configs_never_raise_anything_but_user_errors(tmp_path, write_case):
    """Keys of the corpus (25 drawn per config, at every depth), replaced by values of every type: migrate
    warns or refuses, never crashes. (A wider run over mmaction2's 442 configs found the cases kept here.)"""
    from vidcore.plugins import default_registry
    from vidcore_tsn.interop.config_mapping import drop_empty, map_config
    from vidcore_tsn.interop.diagnostics import Diagnostics, Reporter
    from vidcore_tsn.interop.py_config import load_py_config
    from vidcore_tsn.interop.registry_fit import fit_to_registry

    rng = random.Random(0)
    registry = default_registry()
    loaded = [load_py_config(write_case(case, tmp_path / case.name)) for case in CASES]
    runs = 0
    for source in loaded:
        paths = _key_paths(source.data)
        for path in rng.sample(paths, min(25, len(paths))):
            data = copy.deepcopy(source.data)
            parent = lookup(data, "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in path[:-1])
                            .lstrip(".")) if len(path) > 1 else data
            parent[path[-1]] = copy.deepcopy(rng.choice(_FUZZ_VALUES))
            reporter = Reporter(Diagnostics(), source.origins)
            try:
                drop_empty(fit_to_registry(map_config(data, source.referenced, reporter), registry, reporter))
            except VidcoreError:
                pass
            runs += 1
    assert runs >= 25 * len(CASES)
