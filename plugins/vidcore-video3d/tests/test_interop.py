"""mmaction2 interop through vidcore-tsn's commands: I3D, SlowOnly and SlowFast checkpoints convert with
equal logits; mmaction2 3D configs migrate and check clean.

`MMPathway` below re-implements mmaction2's ResNet3d module layout independently (mmcv `ConvModule`s
holding `conv` and `bn`, `downsample` as a ConvModule, SlowFast laterals `conv1_lateral`/`layer{i}_lateral`,
`cls_head.fc_cls`), so its state dict carries mmaction2's key names without mmaction2 installed.
"""

from __future__ import annotations

import textwrap

import pytest
import torch
from torch import nn
from torch.nn import functional as F


class ConvModule(nn.Module):
    def __init__(self, cin, cout, kernel, stride=(1, 1, 1), padding=(0, 0, 0), act=True, norm=True):
        super().__init__()
        self.conv = nn.Conv3d(cin, cout, kernel, stride, padding, bias=False)
        if norm:
            self.bn = nn.BatchNorm3d(cout)
        self.act = act

    def forward(self, x):
        x = self.conv(x)
        x = self.bn(x) if hasattr(self, "bn") else x
        return F.relu(x) if self.act else x


class Bottleneck(nn.Module):
    def __init__(self, cin, planes, stride, inflated, downsample):
        super().__init__()
        self.conv1 = ConvModule(cin, planes, (3, 1, 1) if inflated else 1, padding=(1, 0, 0) if inflated else 0)
        self.conv2 = ConvModule(planes, planes, (1, 3, 3), (1, stride, stride), (0, 1, 1))
        self.conv3 = ConvModule(planes, planes * 4, 1, act=False)
        self.downsample = downsample

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        return F.relu(self.conv3(self.conv2(self.conv1(x))) + identity)


class MMPathway(nn.Module):
    """A ResNet-50-shaped 3D ResNet with `base` stem channels and (1, 1, 2, 1) blocks per stage."""

    def __init__(self, base, kernel_t, stride_t, inflate, pool2, lateral_in=(0, 0, 0, 0)):
        super().__init__()
        self.conv1 = ConvModule(3, base, (kernel_t, 7, 7), (stride_t, 2, 2), ((kernel_t - 1) // 2, 3, 3))
        self.stride_t, self.pool2 = stride_t, pool2
        cin = base
        for index, blocks in enumerate((1, 1, 2, 1)):
            planes, stride = base * 2 ** index, 1 if index == 0 else 2
            layer = []
            for number in range(blocks):
                first_in = cin + lateral_in[index] if number == 0 else planes * 4
                downsample = None if number else ConvModule(first_in, planes * 4, 1, (1, stride, stride), act=False)
                layer.append(Bottleneck(first_in, planes, stride if number == 0 else 1, inflate[index], downsample))
            cin = planes * 4
            setattr(self, f"layer{index + 1}", nn.Sequential(*layer))

    def stem(self, x):
        return F.max_pool3d(self.conv1(x), (1, 3, 3), (self.stride_t, 2, 2), (0, 1, 1))

    def forward(self, x):
        x = self.layer1(self.stem(x))
        x = F.max_pool3d(x, (2, 1, 1), (2, 1, 1)) if self.pool2 else x
        return self.layer4(self.layer3(self.layer2(x)))


class MMRecognizer(nn.Module):
    def __init__(self, kind, num_classes=5):
        super().__init__()
        if kind == "i3d":
            self.backbone = MMPathway(16, 5, 2, (1, 1, 1, 0), pool2=True)
            channels = 16 * 8 * 4
        elif kind == "slowonly":
            self.backbone = MMPathway(16, 1, 1, (0, 0, 1, 1), pool2=False)
            channels = 16 * 8 * 4
        else:  # SlowFast: alpha 4, beta 8, fast base 2; laterals (5, 1, 1) stride 4, 2x channels
            lateral = (4, 16, 32, 64)  # channels the laterals add per stage: 2 * fast channels
            self.backbone = nn.Module()
            self.backbone.slow_path = MMPathway(16, 1, 1, (0, 0, 1, 1), pool2=False, lateral_in=lateral)
            self.backbone.fast_path = MMPathway(2, 5, 1, (1, 1, 1, 1), pool2=False)
            slow = self.backbone.slow_path
            slow.conv1_lateral = ConvModule(2, 4, (5, 1, 1), (4, 1, 1), (2, 0, 0), act=False, norm=False)
            for index, fast_channels in enumerate((8, 16, 32)):
                setattr(slow, f"layer{index + 1}_lateral",
                        ConvModule(fast_channels, 2 * fast_channels, (5, 1, 1), (4, 1, 1), (2, 0, 0), act=False,
                                   norm=False))
            channels = 16 * 8 * 4 + 2 * 8 * 4
        self.kind = kind
        self.cls_head = nn.Module()
        self.cls_head.fc_cls = nn.Linear(channels, num_classes)

    def features(self, x):
        if self.kind != "slowfast":
            return [self.backbone(x)]
        slow_path, fast_path = self.backbone.slow_path, self.backbone.fast_path
        x_slow = slow_path.stem(F.interpolate(x, scale_factor=(1 / 16, 1, 1), mode="nearest"))
        x_fast = fast_path.stem(F.interpolate(x, scale_factor=(1 / 4, 1, 1), mode="nearest"))
        x_slow = torch.cat((x_slow, slow_path.conv1_lateral(x_fast)), 1)
        for index in range(1, 5):
            x_slow = getattr(slow_path, f"layer{index}")(x_slow)
            x_fast = getattr(fast_path, f"layer{index}")(x_fast)
            if index < 4:
                x_slow = torch.cat((x_slow, getattr(slow_path, f"layer{index}_lateral")(x_fast)), 1)
        return [x_fast, x_slow]

    def forward(self, x):
        pooled = torch.cat([F.adaptive_avg_pool3d(f, 1).flatten(1) for f in self.features(x)], 1)
        return self.cls_head.fc_cls(pooled)


def randomized(model):
    """He-initialised convolutions, random batch-norm weights and statistics and a large classifier, so that
    the logits depend on every layer and a wrong mapping or wrong semantics changes them."""
    torch.manual_seed(0)
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.Conv3d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
        for name, tensor in model.state_dict().items():
            if not tensor.dtype.is_floating_point or name.endswith("conv.weight"):
                continue
            values = torch.rand(tensor.shape, generator=generator)
            if name.endswith("running_var") or name.endswith("bn.weight"):
                tensor.copy_(values * 0.5 + 0.5)
            else:
                tensor.copy_((values - 0.5) * 0.2)
        nn.init.normal_(model.cls_head.fc_cls.weight, std=10.0)
    return model.eval()


HEAD = "{type: I3DHead, num_classes: 5, in_channels: 512, dropout_ratio: 0.0}"
CONFIGS = {
    "i3d": f"""
model:
  type: Recognizer3D
  backbone: {{type: ResNet3d, depth: 50, base_channels: 16, stage_blocks: [1, 1, 2, 1], pretrained2d: true,
             pretrained: torchvision://resnet50, conv1_kernel: [5, 7, 7], conv1_stride_t: 2, pool1_stride_t: 2,
             inflate: [1, 1, 1, 0], zero_init_residual: false}}
  cls_head: {HEAD}
""",
    "slowonly": f"""
model:
  type: Recognizer3D
  backbone: {{type: ResNet3dSlowOnly, depth: 50, base_channels: 16, stage_blocks: [1, 1, 2, 1],
             pretrained: torchvision://resnet50, lateral: false}}
  cls_head: {HEAD}
""",
    "slowfast": """
model:
  type: Recognizer3D
  backbone:
    type: ResNet3dSlowFast
    resample_rate: 16
    speed_ratio: 4
    channel_ratio: 8
    slow_pathway: {type: resnet3d, depth: 50, base_channels: 16, stage_blocks: [1, 1, 2, 1], pretrained: null,
                   lateral: true, conv1_kernel: [1, 7, 7], inflate: [0, 0, 1, 1], with_pool2: false}
    fast_pathway: {type: resnet3d, depth: 50, base_channels: 2, stage_blocks: [1, 1, 2, 1], pretrained: null,
                   lateral: false, conv1_kernel: [5, 7, 7], with_pool2: false}
  cls_head: {type: SlowFastHead, num_classes: 5, in_channels: 576, dropout_ratio: 0.0}
""",
}


@pytest.mark.vidcore_plugins("vidcore-video", "vidcore-tsn", "vidcore-video3d")
@pytest.mark.parametrize("kind", ["i3d", "slowonly", "slowfast"])
def test_convert_checkpoint_gives_the_same_logits(kind, run_vidcore, tmp_path, vidcore_registry):
    reference = randomized(MMRecognizer(kind))
    source = tmp_path / f"{kind}_mmaction2.pth"
    torch.save({"meta": {"epoch": 100}, "state_dict": {f"module.{k}": v for k, v in reference.state_dict().items()}},
               source)
    config = tmp_path / f"{kind}.yaml"
    config.write_text(textwrap.dedent(CONFIGS[kind]))

    result = run_vidcore("convert-checkpoint", str(source), str(tmp_path / "vidcore.pth"), "--config", str(config),
                         "--strict")
    assert result.returncode == 0, result.stderr

    from vidcore_tsn import init_recognizer

    model = init_recognizer(str(config), str(tmp_path / "vidcore.pth"))
    inputs = torch.randn(2, 1, 3, 16, 32, 32, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        expected = reference(inputs.flatten(0, 1))
        assert (expected[0] - expected[1]).abs().max() > 0.1  # the logits depend on the input
        assert torch.allclose(model(inputs, mode="tensor"), expected, atol=1e-4, rtol=1e-4)


MM_MODEL = """
model = dict(
    type='Recognizer3D',
    backbone=dict(type='ResNet3dSlowOnly', depth=50, pretrained='https://download.pytorch.org/models/resnet50-11ad3fa6.pth',
                  lateral=False, conv1_kernel=(1, 7, 7), conv1_stride_t=1, pool1_stride_t=1, inflate=(0, 0, 1, 1),
                  norm_eval=False, conv_cfg=dict(type='Conv3d'), norm_cfg=dict(type='BN3d', requires_grad=True),
                  act_cfg=dict(type='ReLU', inplace=True)),
    cls_head=dict(type='I3DHead', in_channels=2048, num_classes=400, spatial_type='avg', dropout_ratio=0.5,
                  average_clips='prob'),
    data_preprocessor=dict(type='ActionDataPreprocessor', mean=[123.675, 116.28, 103.53],
                           std=[58.395, 57.12, 57.375], format_shape='NCTHW'))
"""
MM_CONFIG = """
_base_ = ['./slowonly_r50.py']
test_pipeline = [
    dict(type='DecordInit', io_backend='disk'),
    dict(type='SampleFrames', clip_len=8, frame_interval=8, num_clips=10, test_mode=True),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(-1, 256)),
    dict(type='ThreeCrop', crop_size=256),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]
test_dataloader = dict(batch_size=1, num_workers=8, sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='VideoDataset', ann_file='val.txt', data_prefix=dict(video='videos'),
                 pipeline=test_pipeline, test_mode=True))
test_evaluator = dict(type='AccMetric')
model = dict(test_cfg=dict(max_testing_views=10))
"""


@pytest.mark.vidcore_plugins("vidcore-video", "vidcore-tsn", "vidcore-video3d")
def test_mmaction2_slowonly_config_migrates_and_checks_clean(run_vidcore, tmp_path, vidcore_registry):
    (tmp_path / "slowonly_r50.py").write_text(MM_MODEL)
    (tmp_path / "slowonly_test.py").write_text(MM_CONFIG)
    result = run_vidcore("migrate", str(tmp_path / "slowonly_test.py"), "-o", str(tmp_path / "out.yaml"), "--strict")
    assert result.returncode == 0, result.stderr
    import yaml

    cfg = yaml.safe_load((tmp_path / "out.yaml").read_text())
    backbone = cfg["model"]["backbone"]
    assert backbone["type"] == "ResNet3dSlowOnly" and backbone["norm_cfg"] == {"type": "BN3d", "requires_grad": True}
    assert backbone["pretrained"] == "torchvision://ResNet50_Weights.IMAGENET1K_V2"
    assert cfg["model"]["test_cfg"] == {"max_testing_views": 10}
    check = run_vidcore("config", "check", str(tmp_path / "out.yaml"))
    assert check.returncode == 0, check.stderr
    (tmp_path / "nl.yaml").write_text((tmp_path / "out.yaml").read_text().replace(
        "lateral: false", "lateral: false\n    non_local: [0, 1, 1, 0]\n    non_local_cfg: {mode: concatenation}"))
    refused = run_vidcore("config", "check", str(tmp_path / "nl.yaml"))
    assert refused.returncode == 2 and "model.backbone.non_local_cfg.mode" in refused.stderr
