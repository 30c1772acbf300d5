"""mmaction2 interop through vidcore-tsn's commands: TSM checkpoints convert with equal logits, TSM configs
migrate and check clean.

`MMTSM` below re-implements mmaction2's TSM-R18 module layout independently (mmcv `ConvModule`s holding
`conv` and `bn`; `TemporalShift` wrappers holding `net`, around `conv1.conv` ('blockres') or the whole
block ('block'); a `TemporalPool` wrapper around layer2; `cls_head.fc_cls`), so its state dict carries
mmaction2's key names without mmaction2 installed.
"""

from __future__ import annotations

import textwrap

import pytest
import torch
import yaml
from torch import nn


def mm_shift(x, num_segments, shift_div):
    """mmaction2's formulation: split the channels, concatenate zero frames at the ends."""
    n, c, h, w = x.shape
    x = x.view(-1, num_segments, c, h * w)
    fold = c // shift_div
    left, mid, right = x[:, :, :fold], x[:, :, fold:2 * fold], x[:, :, 2 * fold:]
    left = torch.cat((left[:, 1:], torch.zeros_like(left[:, :1])), 1)
    mid = torch.cat((torch.zeros_like(mid[:, :1]), mid[:, :-1]), 1)
    return torch.cat((left, mid, right), 2).view(n, c, h, w)


class TemporalShift(nn.Module):
    def __init__(self, net, num_segments, shift_div=8):
        super().__init__()
        self.net, self.num_segments, self.shift_div = net, num_segments, shift_div

    def forward(self, x):
        return self.net(mm_shift(x, self.num_segments, self.shift_div))


class TemporalPool(nn.Module):
    def __init__(self, net, num_segments):
        super().__init__()
        self.net, self.num_segments = net, num_segments

    def forward(self, x):
        n, c, h, w = x.shape
        x = x.view(n // self.num_segments, self.num_segments, c, h, w).transpose(1, 2)
        x = nn.functional.max_pool3d(x, (3, 1, 1), (2, 1, 1), (1, 0, 0))
        return self.net(x.transpose(1, 2).contiguous().view(n // 2, c, h, w))


class ConvModule(nn.Module):
    def __init__(self, cin, cout, kernel, stride=1, padding=0, act=True):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, kernel, stride, padding, bias=False)
        self.bn = nn.BatchNorm2d(cout)
        self.act = act

    def forward(self, x):
        x = self.bn(self.conv(x))
        return torch.relu(x) if self.act else x


class BasicBlock(nn.Module):
    def __init__(self, cin, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = ConvModule(cin, planes, 3, stride, 1)
        self.conv2 = ConvModule(planes, planes, 3, 1, 1, act=False)
        self.downsample = downsample

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        return torch.relu(self.conv2(self.conv1(x)) + identity)


class MMTSM(nn.Module):
    def __init__(self, num_segments, shift_place, temporal_pool, num_classes=5):
        super().__init__()
        backbone = nn.Module()
        backbone.conv1 = ConvModule(3, 64, 7, 2, 3)
        cin = 64
        segments = [num_segments] + [num_segments // 2 if temporal_pool else num_segments] * 3
        for index, planes in enumerate((64, 128, 256, 512)):
            stride = 1 if index == 0 else 2
            blocks = []
            for number in range(2):
                downsample = ConvModule(cin, planes, 1, stride, act=False) if number == 0 and index else None
                block = BasicBlock(cin, planes, stride if number == 0 else 1, downsample)
                if shift_place == "blockres":
                    block.conv1.conv = TemporalShift(block.conv1.conv, segments[index])
                else:
                    block = TemporalShift(block, segments[index])
                blocks.append(block)
                cin = planes
            layer = nn.Sequential(*blocks)
            setattr(backbone, f"layer{index + 1}", TemporalPool(layer, num_segments) if temporal_pool and index == 1
                    else layer)
        self.backbone = backbone
        self.cls_head = nn.Module()
        self.cls_head.fc_cls = nn.Linear(512, num_classes)
        self.frames = num_segments // 2 if temporal_pool else num_segments

    def forward(self, inputs):
        b = self.backbone
        x = nn.functional.max_pool2d(b.conv1(inputs.flatten(0, 1)), 3, 2, 1)
        x = b.layer4(b.layer3(b.layer2(b.layer1(x))))
        scores = self.cls_head.fc_cls(nn.functional.adaptive_avg_pool2d(x, 1).flatten(1))
        return scores.view(-1, self.frames, scores.shape[-1]).mean(dim=1)


def randomized(model):
    """Random weights and BN statistics, so that a wrong mapping changes the logits."""
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for name, tensor in model.state_dict().items():
            if tensor.dtype.is_floating_point:
                values = torch.rand(tensor.shape, generator=generator)
                tensor.copy_(values * 0.5 + 0.75 if name.endswith("running_var") else (values - 0.5) * 0.2)
    return model.eval()


CONFIG = """
model:
  type: Recognizer2D
  backbone: {{type: ResNetTSM, depth: 18, pretrained: torchvision://resnet18, num_segments: 4,
             shift_place: {place}, temporal_pool: {pool}}}
  cls_head: {{type: TSMHead, num_classes: 5, in_channels: 512, num_segments: 4, temporal_pool: {pool},
             dropout_ratio: 0.0}}
"""


@pytest.mark.vidcore_plugins("vidcore-video", "vidcore-tsn", "vidcore-tsm")
@pytest.mark.parametrize("place,pool", [("blockres", False), ("block", True)])
def test_convert_checkpoint_gives_the_same_logits(place, pool, run_vidcore, tmp_path, vidcore_registry):
    reference = randomized(MMTSM(4, place, pool))
    keys = list(reference.state_dict())
    assert ("backbone.layer1.0.conv1.conv.net.weight" in keys) == (place == "blockres")
    assert ("backbone.layer1.0.net.conv1.conv.weight" in keys) == (place == "block")
    assert ("backbone.layer2.net.0.conv1.conv.net.weight" in keys) == (pool and place == "blockres")
    assert ("backbone.layer2.net.0.net.conv1.conv.weight" in keys) == (pool and place == "block")
    source = tmp_path / "tsm_mmaction2.pth"
    torch.save({"meta": {"epoch": 50}, "state_dict": reference.state_dict()}, source)
    config = tmp_path / "tsm.yaml"
    config.write_text(textwrap.dedent(CONFIG.format(place=place, pool=str(pool).lower())))

    result = run_vidcore("convert-checkpoint", str(source), str(tmp_path / "tsm_vidcore.pth"), "--config",
                         str(config), "--strict")
    assert result.returncode == 0, result.stderr

    from vidcore_tsn import init_recognizer

    model = init_recognizer(str(config), str(tmp_path / "tsm_vidcore.pth"))
    inputs = torch.randn(2, 4, 3, 64, 64)
    with torch.no_grad():
        assert torch.allclose(model(inputs, mode="tensor"), reference(inputs), atol=1e-5)


@pytest.mark.vidcore_plugins("vidcore-video", "vidcore-tsn", "vidcore-tsm")
def test_a_checkpoint_of_another_layout_is_refused(run_vidcore, tmp_path, vidcore_registry):
    reference = randomized(MMTSM(4, "block", False))
    source = tmp_path / "tsm_block.pth"
    torch.save({"state_dict": reference.state_dict()}, source)
    config = tmp_path / "tsm.yaml"
    config.write_text(textwrap.dedent(CONFIG.format(place="blockres", pool="false")).replace("ResNetTSM, depth: 18",
                                                                                            "ResNetTSM, depth: 34"))
    result = run_vidcore("convert-checkpoint", str(source), str(tmp_path / "out.pth"), "--config", str(config))
    assert result.returncode == 2 and "does not fit the model" in result.stderr
    assert not (tmp_path / "out.pth").exists()


MM_CONFIG = """
_base_ = ['./tsm_r50.py']
train_pipeline = [
    dict(type='DecordInit', io_backend='disk'),
    dict(type='SampleFrames', clip_len=1, frame_interval=1, num_clips=8),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(-1, 256)),
    dict(type='MultiScaleCrop', input_size=224, scales=(1, 0.875, 0.75, 0.66), random_crop=False,
         max_wh_scale_gap=1, num_fixed_crops=13),
    dict(type='Resize', scale=(224, 224), keep_ratio=False),
    dict(type='Flip', flip_ratio=0.5),
    dict(type='FormatShape', input_format='NCHW'),
    dict(type='PackActionInputs')
]
test_pipeline = [
    dict(type='DecordInit', io_backend='disk'),
    dict(type='SampleFrames', clip_len=1, frame_interval=1, num_clips=8, test_mode=True, twice_sample=True),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(-1, 256)),
    dict(type='ThreeCrop', crop_size=256),
    dict(type='FormatShape', input_format='NCHW'),
    dict(type='PackActionInputs')
]
train_dataloader = dict(batch_size=16, num_workers=8, sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type='VideoDataset', ann_file='train.txt', data_prefix=dict(video='videos'),
                 pipeline=train_pipeline))
test_dataloader = dict(batch_size=1, num_workers=8, sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='VideoDataset', ann_file='val.txt', data_prefix=dict(video='videos'),
                 pipeline=test_pipeline, test_mode=True))
test_evaluator = dict(type='AccMetric')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(constructor='TSMOptimWrapperConstructor', paramwise_cfg=dict(fc_lr5=True),
    optimizer=dict(type='SGD', lr=0.02, momentum=0.9, weight_decay=0.0001), clip_grad=dict(max_norm=20, norm_type=2))
"""

MM_MODEL = """
model = dict(
    type='Recognizer2D',
    backbone=dict(type='ResNetTSM', pretrained='https://download.pytorch.org/models/resnet50-11ad3fa6.pth',
                  depth=50, norm_eval=False, shift_div=8, num_segments=8, non_local=(0, 0, 0, 0)),
    cls_head=dict(type='TSMHead', num_classes=400, in_channels=2048, spatial_type='avg',
                  consensus=dict(type='AvgConsensus', dim=1), dropout_ratio=0.5, init_std=0.001, is_shift=True,
                  average_clips='prob'),
    data_preprocessor=dict(type='ActionDataPreprocessor', mean=[123.675, 116.28, 103.53],
                           std=[58.395, 57.12, 57.375], format_shape='NCHW'),
    train_cfg=None, test_cfg=None)
"""


def migrate(run_vidcore, folder, config):
    """`vidcore migrate --strict` of `config` (which bases on MM_MODEL): the migrated config as data."""
    (folder / "tsm_r50.py").write_text(MM_MODEL)
    (folder / "tsm.py").write_text(config)
    result = run_vidcore("migrate", str(folder / "tsm.py"), "-o", str(folder / "tsm.yaml"), "--strict")
    assert result.returncode == 0, result.stderr
    return yaml.safe_load((folder / "tsm.yaml").read_text())


@pytest.mark.vidcore_plugins("vidcore-video", "vidcore-tsn", "vidcore-tsm")
def test_migrate_maps_an_mmaction2_tsm_config_that_then_checks_clean(run_vidcore, tmp_path, vidcore_registry):
    cfg = migrate(run_vidcore, tmp_path, MM_CONFIG)
    assert cfg["model"]["backbone"]["type"] == "ResNetTSM" and cfg["model"]["cls_head"]["type"] == "TSMHead"
    assert cfg["model"]["backbone"]["pretrained"] == "torchvision://ResNet50_Weights.IMAGENET1K_V2"
    assert cfg["optim_wrapper"]["constructor"] == "TSMOptimWrapperConstructor"
    assert cfg["optim_wrapper"]["paramwise_cfg"] == {"fc_lr5": True}
    assert cfg["test_dataloader"]["dataset"]["pipeline"][1]["twice_sample"] is True
    check = run_vidcore("config", "check", str(tmp_path / "tsm.yaml"))
    assert check.returncode == 0, check.stderr + check.stdout


MM_0X_CONFIG = """
_base_ = ['./tsm_r50.py']
optimizer = dict(type='SGD', constructor='TSMOptimizerConstructor', paramwise_cfg=dict(fc_lr5=True), lr=0.01,
                 momentum=0.9, weight_decay=0.0001)
optimizer_config = dict(grad_clip=dict(max_norm=20, norm_type=2))
lr_config = dict(policy='step', step=[20, 40])
total_epochs = 50
"""


@pytest.mark.vidcore_plugins("vidcore-video", "vidcore-tsn", "vidcore-tsm")
def test_migrate_renames_the_0x_optimizer_constructor(run_vidcore, tmp_path, vidcore_registry):
    wrapper = migrate(run_vidcore, tmp_path, MM_0X_CONFIG)["optim_wrapper"]
    assert wrapper["constructor"] == "TSMOptimWrapperConstructor" and wrapper["paramwise_cfg"] == {"fc_lr5": True}
