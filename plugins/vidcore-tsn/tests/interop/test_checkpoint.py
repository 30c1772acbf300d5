"""Checkpoint conversion: mmaction2's module naming -> vidcore-tsn's, verified by equal logits.

`MMResNet`/`MMTSN` below re-implement mmaction2's TSN module layout independently (mmcv `ConvModule`s
holding `conv` and `bn`, a `downsample` ConvModule, `cls_head.fc_cls`), so the state dict carries
mmaction2's documented names without mmaction2 installed.
"""

from __future__ import annotations

import argparse
import textwrap

import pytest
import torch
from torch import nn
from vidcore.errors import CheckpointError
from vidcore_tsn.interop.checkpoint_convert import convert_checkpoint, read_checkpoint
from vidcore_tsn.interop.checkpoint_mapping import map_keys, rename_key


class ConvModule(nn.Module):
    """mmcv's ConvModule: conv (no bias) -> bn -> optional ReLU."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int = 1, padding: int = 0, act: bool = True):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, kernel, stride, padding, bias=False)
        self.bn = nn.BatchNorm2d(cout)
        self.act = act

    def forward(self, x):
        x = self.bn(self.conv(x))
        return torch.relu(x) if self.act else x


class MMBasicBlock(nn.Module):
    expansion = 1

    def __init__(self, cin, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = ConvModule(cin, planes, 3, stride, 1)
        self.conv2 = ConvModule(planes, planes, 3, 1, 1, act=False)
        self.downsample = downsample

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        return torch.relu(self.conv2(self.conv1(x)) + identity)


class MMBottleneck(nn.Module):
    expansion = 4

    def __init__(self, cin, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = ConvModule(cin, planes, 1)
        self.conv2 = ConvModule(planes, planes, 3, stride, 1)  # 'pytorch' style: stride on the 3x3
        self.conv3 = ConvModule(planes, planes * 4, 1, act=False)
        self.downsample = downsample

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        return torch.relu(self.conv3(self.conv2(self.conv1(x))) + identity)


class MMResNet(nn.Module):
    """mmaction2's ResNet layout: `conv1` ConvModule, max-pool, `layer1..4`."""

    def __init__(self, depth: int):
        super().__init__()
        block, layers = {18: (MMBasicBlock, [2, 2, 2, 2]), 50: (MMBottleneck, [3, 4, 6, 3])}[depth]
        self.conv1 = ConvModule(3, 64, 7, 2, 3)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        cin = 64
        for index, (planes, count) in enumerate(zip((64, 128, 256, 512), layers)):
            stride = 1 if index == 0 else 2
            blocks = []
            for number in range(count):
                downsample = None
                if number == 0 and (stride != 1 or cin != planes * block.expansion):
                    downsample = ConvModule(cin, planes * block.expansion, 1, stride, act=False)
                blocks.append(block(cin, planes, stride if number == 0 else 1, downsample))
                cin = planes * block.expansion
            setattr(self, f"layer{index + 1}", nn.Sequential(*blocks))
        self.feat_dim = cin

    def forward(self, x):
        x = self.maxpool(self.conv1(x))
        return self.layer4(self.layer3(self.layer2(self.layer1(x))))


class MMTSNHead(nn.Module):
    def __init__(self, num_classes, in_channels):
        super().__init__()
        self.fc_cls = nn.Linear(in_channels, num_classes)

    def forward(self, x, num_segs):
        x = nn.functional.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.fc_cls(x.view(-1, num_segs, x.shape[-1]).mean(dim=1))


class MMTSN(nn.Module):
    def __init__(self, depth: int, num_classes: int):
        super().__init__()
        self.backbone = MMResNet(depth)
        self.cls_head = MMTSNHead(num_classes, self.backbone.feat_dim)

    def forward(self, inputs):
        num_segs = inputs.shape[1]
        return self.cls_head(self.backbone(inputs.flatten(0, 1)), num_segs)


def randomized(model: nn.Module) -> nn.Module:
    """Random weights and BN statistics, so that a wrong mapping changes the logits."""
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for name, tensor in model.state_dict().items():
            if tensor.dtype.is_floating_point:
                values = torch.rand(tensor.shape, generator=generator)
                tensor.copy_(values * 0.5 + 0.75 if name.endswith("running_var") else (values - 0.5) * 0.2)
    return model.eval()


VIDCORE_TSN = """
model:
  type: Recognizer2D
  backbone: {{type: ResNet, depth: {depth}, pretrained: torchvision://resnet{depth}}}
  cls_head: {{type: TSNHead, num_classes: 5, in_channels: {channels}, dropout_ratio: 0.0}}
"""


@pytest.fixture
def tsn_config(tmp_path):
    def write(depth: int = 18, channels: int = 512):
        path = tmp_path / f"tsn_r{depth}.yaml"
        path.write_text(textwrap.dedent(VIDCORE_TSN.format(depth=depth, channels=channels)), encoding="utf-8")
        return path

    return write


@pytest.fixture
def mm_checkpoint(tmp_path):
    model = randomized(MMTSN(18, 5))
    path = tmp_path / "tsn_r18_mmaction2.pth"
    torch.save({"meta": {"mmaction2_version": "0.24.1", "epoch": 100, "CLASSES": ["a", "b"]},
                "state_dict": model.state_dict()}, path)
    return model, path


def vidcore_model(config):
    from vidcore.config import load_config
    from vidcore.plugins import default_registry

    cfg = load_config(config).to_dict()["model"]
    cfg["backbone"]["pretrained"] = None
    return default_registry().build(cfg, "models")


def test_rules_cover_mmaction2_resnet_names():
    assert rename_key("backbone.conv1.conv.weight") == "backbone.conv1.weight"
    assert rename_key("backbone.conv1.bn.running_var") == "backbone.bn1.running_var"
    assert rename_key("backbone.layer3.1.conv2.conv.weight") == "backbone.layer3.1.conv2.weight"
    assert rename_key("backbone.layer1.0.conv3.bn.num_batches_tracked") == "backbone.layer1.0.bn3.num_batches_tracked"
    assert rename_key("backbone.layer2.0.downsample.conv.weight") == "backbone.layer2.0.downsample.0.weight"
    assert rename_key("backbone.layer2.0.downsample.bn.bias") == "backbone.layer2.0.downsample.1.bias"
    assert rename_key("module.cls_head.fc_cls.weight") == "cls_head.fc_cls.weight"
    assert rename_key("backbone.fc.weight") is None


@pytest.mark.parametrize("depth, channels", [(18, 512), (50, 2048)])
def test_key_mapping_is_complete(tsn_config, depth, channels):
    source = MMTSN(depth, 5).state_dict()
    target = vidcore_model(tsn_config(depth, channels)).state_dict()
    mapping = map_keys(source, target)
    assert mapping.complete, (mapping.unmapped[:5], mapping.missing[:5])
    assert len(mapping.renamed) == len(source) == len(target)
    for key, new in mapping.renamed.items():
        assert source[key].shape == target[new].shape, key


def test_converted_checkpoint_gives_the_same_logits(tmp_path, tsn_config, mm_checkpoint):
    mm_model, source = mm_checkpoint
    config = tsn_config()
    output = tmp_path / "out" / "tsn_r18_vidcore.pth"
    report = convert_checkpoint(source, output, config)
    assert report.mapping.complete and not report.filled
    assert any("pretrained" in note for note in report.notes)

    saved = torch.load(output, map_location="cpu", weights_only=True)
    assert set(saved) == {"meta", "state_dict"}
    assert saved["meta"]["converted_from"] == str(source)
    assert saved["meta"]["source_meta"] == {"mmaction2_version": "0.24.1", "epoch": 100, "CLASSES": ["a", "b"]}
    assert saved["meta"]["cfg"]["model"]["type"] == "Recognizer2D"

    model = vidcore_model(config)
    model.load_state_dict(saved["state_dict"], strict=True)
    model.eval()
    inputs = torch.randn(2, 3, 3, 64, 64, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        expected = mm_model(inputs)
        logits = model(inputs, mode="tensor")
    assert logits.shape == (2, 5)
    torch.testing.assert_close(logits, expected, rtol=1e-4, atol=1e-5)


def test_a_model_that_does_not_fit_is_refused(tmp_path, tsn_config, mm_checkpoint):
    _, source = mm_checkpoint
    with pytest.raises(CheckpointError, match="shape"):
        convert_checkpoint(source, tmp_path / "o.pth", tsn_config(18, 512).parent / _other(tmp_path, classes=7))
    with pytest.raises(CheckpointError, match="have no counterpart"):
        convert_checkpoint(source, tmp_path / "o.pth", tsn_config(34, 512))
    assert not (tmp_path / "o.pth").exists()


def _other(tmp_path, classes):
    path = tmp_path / "classes.yaml"
    path.write_text(VIDCORE_TSN.format(depth=18, channels=512).replace("num_classes: 5", f"num_classes: {classes}"))
    return path.name


def test_unmapped_keys_are_reported_and_strict_refuses_them(tmp_path, tsn_config, mm_checkpoint):
    mm_model, _ = mm_checkpoint
    state = dict(mm_model.state_dict())
    state["backbone.extra.weight"] = torch.zeros(3)
    del state["backbone.layer1.0.conv1.bn.num_batches_tracked"]
    source = tmp_path / "extra.pth"
    torch.save(state, source)  # a bare state dict is accepted too
    report = convert_checkpoint(source, tmp_path / "o.pth", tsn_config())
    assert report.mapping.unmapped == ["backbone.extra.weight"]
    assert report.filled == ["backbone.layer1.0.bn1.num_batches_tracked"]
    text = "\n".join(report.lines())
    assert "backbone.extra.weight" in text and "kept from the fresh model" in text
    with pytest.raises(CheckpointError, match="--strict: 1 input tensors are not mapped"):
        convert_checkpoint(source, tmp_path / "o2.pth", tsn_config(), strict=True)


def test_pickled_objects_need_unsafe_load(tmp_path, mm_checkpoint, tsn_config):
    mm_model, _ = mm_checkpoint
    source = tmp_path / "objects.pth"
    torch.save({"meta": {"args": argparse.Namespace(lr=0.1), "epoch": 3}, "state_dict": mm_model.state_dict()}, source)
    with pytest.raises(CheckpointError, match=r"argparse.Namespace.*--unsafe-load"):
        read_checkpoint(source)
    state, meta = read_checkpoint(source, unsafe_load=True)
    assert meta == {"epoch": 3} and "cls_head.fc_cls.weight" in state
    convert_checkpoint(source, tmp_path / "o.pth", tsn_config(), unsafe_load=True)


def test_unreadable_inputs(tmp_path, tsn_config):
    corrupt = tmp_path / "corrupt.pth"
    corrupt.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="not a readable checkpoint"):
        read_checkpoint(corrupt)
    with pytest.raises(CheckpointError, match="not found"):
        read_checkpoint(tmp_path / "missing.pth")
    odd = tmp_path / "odd.pth"
    torch.save({"state_dict": {"a": 1}}, odd)
    with pytest.raises(CheckpointError, match="non-tensor"):
        read_checkpoint(odd)
    with pytest.raises(CheckpointError, match="overwrite the input"):
        convert_checkpoint(corrupt, corrupt, tsn_config())
