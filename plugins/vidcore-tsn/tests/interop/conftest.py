"""mmaction2-style config trees (0.x and 1.x, with `_base_` chains), written into tmp_path by the tests."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
import yaml

# --- mmaction2 0.x ------------------------------------------------------------------------------------
V0_MODEL = """
model = dict(
    type='Recognizer2D',
    backbone=dict(
        type='ResNet',
        pretrained='torchvision://resnet50',
        depth=50,
        norm_eval=False,
        conv_cfg=dict(type='Conv'),
        norm_cfg=dict(type='BN2d', requires_grad=True)),
    cls_head=dict(
        type='TSNHead',
        num_classes=400,
        in_channels=2048,
        spatial_type='avg',
        consensus=dict(type='AvgConsensus', dim=1),
        dropout_ratio=0.4,
        init_std=0.01),
    train_cfg=None,
    test_cfg=dict(average_clips=None))
"""

V0_SCHEDULE = """
optimizer = dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=0.0001)
optimizer_config = dict(grad_clip=dict(max_norm=40, norm_type=2))
lr_config = dict(policy='step', step=[40, 80])
total_epochs = 100
"""

V0_RUNTIME = """
checkpoint_config = dict(interval=1)
log_config = dict(
    interval=20,
    hooks=[
        dict(type='TextLoggerHook'),
        # dict(type='TensorboardLoggerHook'),
    ])
dist_params = dict(backend='nccl')
log_level = 'INFO'
load_from = None
resume_from = None
workflow = [('train', 1)]
opencv_num_threads = 0
mp_start_method = 'fork'
"""

V0_CHILD = """
_base_ = [
    '../_base_/models/tsn_r50.py', '../_base_/schedules/sgd_100e.py',
    '../_base_/default_runtime.py'
]

# dataset settings
dataset_type = 'VideoDataset'
data_root = 'data/kinetics400/videos_train'
data_root_val = 'data/kinetics400/videos_val'
ann_file_train = 'data/kinetics400/kinetics400_train_list_videos.txt'
ann_file_val = 'data/kinetics400/kinetics400_val_list_videos.txt'
img_norm_cfg = dict(
    mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], to_bgr=False)
train_pipeline = [
    dict(type='DecordInit'),
    dict(type='SampleFrames', clip_len=1, frame_interval=1, num_clips=3),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(-1, 256)),
    dict(type='MultiScaleCrop', input_size=224, scales=(1, 0.875, 0.75, 0.66), random_crop=False,
         max_wh_scale_gap=1),
    dict(type='Resize', scale=(224, 224), keep_ratio=False),
    dict(type='Flip', flip_ratio=0.5),
    dict(type='Normalize', **img_norm_cfg),
    dict(type='FormatShape', input_format='NCHW'),
    dict(type='Collect', keys=['imgs', 'label'], meta_keys=[]),
    dict(type='ToTensor', keys=['imgs', 'label'])
]
val_pipeline = [
    dict(type='DecordInit'),
    dict(type='SampleFrames', clip_len=1, frame_interval=1, num_clips=3, test_mode=True),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(-1, 256)),
    dict(type='CenterCrop', crop_size=224),
    dict(type='Normalize', **img_norm_cfg),
    dict(type='FormatShape', input_format='NCHW'),
    dict(type='Collect', keys=['imgs', 'label'], meta_keys=[]),
    dict(type='ToTensor', keys=['imgs'])
]
data = dict(
    videos_per_gpu=32,
    workers_per_gpu=2,
    test_dataloader=dict(videos_per_gpu=1),
    train=dict(type=dataset_type, ann_file=ann_file_train, data_prefix=data_root, pipeline=train_pipeline),
    val=dict(type=dataset_type, ann_file=ann_file_val, data_prefix=data_root_val, pipeline=val_pipeline),
    test=dict(type=dataset_type, ann_file=ann_file_val, data_prefix=data_root_val, pipeline=val_pipeline))
evaluation = dict(interval=5, metrics=['top_k_accuracy', 'mean_class_accuracy'], save_best='top1_acc')

# runtime settings: {{_base_.x}} reads the merged bases, _delete_ replaces a base dict
model = dict(cls_head=dict(num_classes=101, init_std={{_base_.model.cls_head.init_std}}))
optimizer = dict(_delete_=True, type='SGD', lr=0.00128, momentum=0.9, weight_decay=0.0005)
lr_config = dict(_delete_=True, policy='CosineAnnealing', min_lr=0, warmup='linear', warmup_by_epoch=True,
                 warmup_iters=5, warmup_ratio=0.1)
total_epochs = {{_base_.total_epochs}} - 50
work_dir = './work_dirs/tsn_r50_video_1x1x3_50e_kinetics400_rgb/'
"""

# --- mmaction2 1.x ------------------------------------------------------------------------------------
V1_MODEL = """
model = dict(
    type='Recognizer2D',
    backbone=dict(
        type='ResNet',
        pretrained='https://download.pytorch.org/models/resnet50-11ad3fa6.pth',
        depth=50,
        norm_eval=False),
    cls_head=dict(
        type='TSNHead',
        num_classes=400,
        in_channels=2048,
        spatial_type='avg',
        consensus=dict(type='AvgConsensus', dim=1),
        dropout_ratio=0.4,
        init_std=0.01,
        average_clips='prob'),
    data_preprocessor=dict(
        type='ActionDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        format_shape='NCHW'),
    train_cfg=None,
    test_cfg=None)
"""

V1_SCHEDULE = """
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=100, val_begin=1, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

param_scheduler = [
    dict(type='MultiStepLR', begin=0, end=100, by_epoch=True, milestones=[40, 80], gamma=0.1)
]

optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=0.0001),
    clip_grad=dict(max_norm=40, norm_type=2))
"""

V1_RUNTIME = """
default_scope = 'mmaction'

default_hooks = dict(
    runtime_info=dict(type='RuntimeInfoHook'),
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=20, ignore_last=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', interval=1, save_best='auto'),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    sync_buffers=dict(type='SyncBuffersHook'))

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'))

log_processor = dict(type='LogProcessor', window_size=20, by_epoch=True)

vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='ActionVisualizer', vis_backends=vis_backends)

log_level = 'INFO'
load_from = None
resume = False
"""

V1_CHILD = """
_base_ = [
    '../../_base_/models/tsn_r50.py', '../../_base_/schedules/sgd_100e.py',
    '../../_base_/default_runtime.py'
]

# dataset settings
dataset_type = 'VideoDataset'
data_root = 'data/kinetics400/videos_train'
data_root_val = 'data/kinetics400/videos_val'
ann_file_train = 'data/kinetics400/kinetics400_train_list_videos.txt'
ann_file_val = 'data/kinetics400/kinetics400_val_list_videos.txt'

file_client_args = dict(io_backend='disk')

train_pipeline = [
    dict(type='DecordInit', **file_client_args),
    dict(type='SampleFrames', clip_len=1, frame_interval=1, num_clips=3),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(-1, 256)),
    dict(type='MultiScaleCrop', input_size=224, scales=(1, 0.875, 0.75, 0.66), random_crop=False,
         max_wh_scale_gap=1),
    dict(type='Resize', scale=(224, 224), keep_ratio=False),
    dict(type='Flip', flip_ratio=0.5),
    dict(type='FormatShape', input_format='NCHW'),
    dict(type='PackActionInputs')
]
val_pipeline = [
    dict(type='DecordInit', **file_client_args),
    dict(type='SampleFrames', clip_len=1, frame_interval=1, num_clips=3, test_mode=True),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(-1, 256)),
    dict(type='CenterCrop', crop_size=224),
    dict(type='FormatShape', input_format='NCHW'),
    dict(type='PackActionInputs')
]
test_pipeline = val_pipeline

train_dataloader = dict(
    batch_size=32,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        ann_file=ann_file_train,
        data_prefix=dict(video=data_root),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=32,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        ann_file=ann_file_val,
        data_prefix=dict(video=data_root_val),
        pipeline=val_pipeline,
        test_mode=True))
test_dataloader = dict(
    batch_size=1,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        ann_file=ann_file_val,
        data_prefix=dict(video=data_root_val),
        pipeline=test_pipeline,
        test_mode=True))

val_evaluator = dict(type='AccMetric')
test_evaluator = val_evaluator

default_hooks = dict(checkpoint=dict(interval=3, max_keep_ckpts=3))

auto_scale_lr = dict(enable=False, base_batch_size=256)
"""

V1_READ_BASE = """
from mmengine.config import read_base

with read_base():
    from .._base_.models.tsn_r50 import *
    from .._base_.schedules.sgd_100e import *

from mmaction.models import TSNHead
from torch.optim import SGD

model.cls_head.update(dict(type=TSNHead, num_classes=51))
optim_wrapper.optimizer = dict(type=SGD, lr=0.005, momentum=0.9, weight_decay=0.0001)
train_cfg.max_epochs = 12
param_scheduler[0]['end'] = 12
"""


def write_tree(root: Path, files: dict[str, str]) -> dict[str, Path]:
    """Write `{relative path: text}` under `root`; return the paths by the same keys."""
    paths = {}
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
        paths[relative] = path
    return paths


def to_mmaction_names(state: dict) -> dict:
    """A vidcore-tsn state dict under mmaction2's names (written by hand, independent of the converter)."""
    renamed = {}
    for key, value in state.items():
        new = key.replace("backbone.conv1.weight", "backbone.conv1.conv.weight")
        new = new.replace("backbone.bn1.", "backbone.conv1.bn.")
        new = new.replace(".downsample.0.", ".downsample.conv.").replace(".downsample.1.", ".downsample.bn.")
        for index in "123":
            new = new.replace(f".conv{index}.weight", f".conv{index}.conv.weight")
            new = new.replace(f".bn{index}.", f".conv{index}.bn.")
        renamed[new] = value
    return renamed


@pytest.fixture
def mmaction_names():
    """`mmaction_names(state_dict)`: vidcore-tsn names -> mmaction2 names."""
    return to_mmaction_names


@pytest.fixture
def write_files(tmp_path: Path):
    """`write_files({relative path: text})` writes under tmp_path and returns the paths by the same keys."""
    return lambda files: write_tree(tmp_path, files)


@pytest.fixture
def v0_config(tmp_path: Path) -> Path:
    """An mmaction2 0.x TSN config with three `_base_` files."""
    paths = write_tree(tmp_path / "mm0", {
        "_base_/models/tsn_r50.py": V0_MODEL,
        "_base_/schedules/sgd_100e.py": V0_SCHEDULE,
        "_base_/default_runtime.py": V0_RUNTIME,
        "tsn/tsn_r50_video_1x1x3_50e_ucf101_rgb.py": V0_CHILD,
    })
    return paths["tsn/tsn_r50_video_1x1x3_50e_ucf101_rgb.py"]


@pytest.fixture
def v1_config(tmp_path: Path) -> Path:
    """An mmaction2 1.x TSN config with three `_base_` files."""
    paths = write_tree(tmp_path / "mm1", {
        "_base_/models/tsn_r50.py": V1_MODEL,
        "_base_/schedules/sgd_100e.py": V1_SCHEDULE,
        "_base_/default_runtime.py": V1_RUNTIME,
        "recognition/tsn/tsn_r50_8xb32-1x1x3-100e_kinetics400-rgb.py": V1_CHILD,
    })
    return paths["recognition/tsn/tsn_r50_8xb32-1x1x3-100e_kinetics400-rgb.py"]


@pytest.fixture
def read_base_config(tmp_path: Path) -> Path:
    """An mmengine pure-Python (read_base) config over 1.x base files."""
    paths = write_tree(tmp_path / "mmpy", {
        "_base_/models/tsn_r50.py": V1_MODEL,
        "_base_/schedules/sgd_100e.py": V1_SCHEDULE,
        "tsn/tsn_hmdb51.py": V1_READ_BASE,
    })
    return paths["tsn/tsn_hmdb51.py"]


@pytest.fixture(scope="session")
def synthetic_roots(tmp_path_factory) -> dict[str, str]:
    """Folders of tiny encoded videos (2 classes x 2 videos, 8 frames), with `annotations.txt`, per split;
    made once per test session."""
    from vidcore_video.datasets.synthetic import SyntheticVideoDataset

    base = tmp_path_factory.mktemp("synthetic")
    return {split: SyntheticVideoDataset(pipeline=[], num_classes=2, videos_per_class=2, num_frames=8,
                                         size=(64, 48), split=split, data_root=str(base / split)).data_root
            for split in ("train", "val")}


_SMALL = {("Resize", "scale"): [-1, 64], ("MultiScaleCrop", "input_size"): 56, ("CenterCrop", "crop_size"): 56}


def tiny_run_options(config: Path, roots: dict[str, str], train_batch: int = 2) -> list[str]:
    """--cfg-options that shrink a migrated config (ResNet-18 without pretrained weights, 56-pixel crops, one
    epoch or iteration) and point every split at the synthetic videos."""
    cfg = yaml.safe_load(config.read_text())
    options = ["model.backbone.depth=18", "model.backbone.pretrained=null", "model.cls_head.in_channels=512",
               "model.cls_head.num_classes=2", "train_cfg.val_interval=1"]
    options.append("train_cfg.max_iters=1" if cfg["train_cfg"].get("type") == "IterBasedTrainLoop"
                   else "train_cfg.max_epochs=1")
    for split in ("train", "val", "test"):
        loader = cfg.get(f"{split}_dataloader")
        if not loader:
            continue
        root = roots["train" if split == "train" else "val"]
        key = f"{split}_dataloader"
        options += [f"{key}.batch_size={train_batch if split == 'train' else 2}", f"{key}.num_workers=0",
                    f"{key}.persistent_workers=false",
                    f"{key}.dataset.ann_file={root}/annotations.txt", f"{key}.dataset.data_prefix={root}"]
        for index, step in enumerate(loader["dataset"]["pipeline"]):
            for (name, arg), value in _SMALL.items():
                if step["type"] == name and arg in step:
                    small = [56, 56] if name == "Resize" and step[arg][0] != -1 else value
                    options.append(f"{key}.dataset.pipeline[{index}].{arg}={json.dumps(small)}")
    return options


@pytest.fixture
def tiny_options():
    """`tiny_options(migrated_yaml, synthetic_roots)`: see `tiny_run_options`."""
    return tiny_run_options


_BASES = {
    "0.x": {"_base_/models/tsn_r50.py": V0_MODEL, "_base_/schedules/sgd_100e.py": V0_SCHEDULE,
            "_base_/default_runtime.py": V0_RUNTIME},
    "1.x": {"_base_/models/tsn_r50.py": V1_MODEL, "_base_/schedules/sgd_100e.py": V1_SCHEDULE,
            "_base_/default_runtime.py": V1_RUNTIME},
}


@pytest.fixture
def mmaction_tree():
    """`mmaction_tree(version, root, {relative path: text})`: the files written under `root` next to the
    `_base_/{models/tsn_r50,schedules/sgd_100e,default_runtime}.py` files of mmaction2 `version` ("0.x" or
    "1.x"); returns the paths of the given files by the same keys."""
    def write(version: str, root: Path, files: dict[str, str]) -> dict[str, Path]:
        paths = write_tree(root, {**_BASES[version], **files})
        return {relative: paths[relative] for relative in files}

    return write
