"""ResNet backbone: torchvision layout, shapes, freezing options, pretrained weights."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch
import torchvision
import vidcore
from torch import nn
from vidcore import BuildError, CheckpointError, ConfigError
from vidcore_tsn.backbones.resnet import ResNet


def _bn(model):
    return [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]


def test_torchvision_module_layout_and_keys():
    model = ResNet(depth=18)
    assert [name for name, _ in model.named_children()] == [
        "conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4"]
    reference = torchvision.models.resnet18().state_dict()
    assert set(model.state_dict()) == {key for key in reference if not key.startswith("fc.")}
    assert "layer2.0.downsample.0.weight" in model.state_dict()
    assert ResNet(depth=50).state_dict()["layer1.0.downsample.0.weight"].shape == (256, 64, 1, 1)


@pytest.mark.parametrize("depth,channels", [(18, 512), (34, 512), (50, 2048)])
def test_output_shape(depth, channels):
    model = ResNet(depth=depth).eval()
    with torch.no_grad():
        assert model(torch.randn(2, 3, 64, 64)).shape == (2, channels, 2, 2)
    assert model.feat_dim == channels


def test_out_indices_returns_each_stage():
    outs = ResNet(depth=18, out_indices=(0, 1, 2, 3)).eval()(torch.randn(1, 3, 64, 64))
    assert [tuple(o.shape) for o in outs] == [(1, 64, 16, 16), (1, 128, 8, 8), (1, 256, 4, 4), (1, 512, 2, 2)]
    assert ResNet(depth=18, out_indices=(1,))(torch.randn(1, 3, 64, 64)).shape == (1, 128, 8, 8)


def test_bad_arguments_name_the_key():
    registry = vidcore.default_registry()
    with pytest.raises(BuildError, match=r"backbone \(ResNet\).*depth must be one of \[18, 34, 50, 101, 152\]"):
        registry.build({"type": "ResNet", "depth": 20}, "models", key_path=("backbone",))
    with pytest.raises(ValueError, match="out_indices"):
        ResNet(depth=18, out_indices=(4,))


def test_frozen_stages_freeze_stem_and_first_layers():
    model = ResNet(depth=18, frozen_stages=2).train()
    frozen = [model.conv1, model.bn1, model.layer1, model.layer2]
    assert all(not p.requires_grad for m in frozen for p in m.parameters())
    assert all(p.requires_grad for p in model.layer3.parameters())
    assert not model.bn1.training and not model.layer2[0].bn1.training
    assert model.layer3[0].bn1.training
    before = model.layer1[0].bn1.running_mean.clone()
    model(torch.randn(2, 3, 32, 32))
    assert torch.equal(before, model.layer1[0].bn1.running_mean)


def test_frozen_stages_zero_freezes_only_the_stem():
    model = ResNet(depth=18, frozen_stages=0).train()
    assert not model.conv1.weight.requires_grad and model.layer1[0].conv1.weight.requires_grad


def test_norm_eval_keeps_every_batchnorm_in_eval_mode():
    model = ResNet(depth=18, norm_eval=True).train()
    assert model.training and all(not bn.training for bn in _bn(model))
    assert all(p.requires_grad for p in model.parameters())  # norm_eval freezes statistics, not weights
    model.eval().train()
    assert all(not bn.training for bn in _bn(model))


def test_partial_bn_trains_only_the_first_batchnorm():
    model = ResNet(depth=18, partial_bn=True).train()
    norms = _bn(model)
    assert norms[0].training and norms[0].weight.requires_grad
    assert all(not bn.training and not bn.weight.requires_grad for bn in norms[1:])


def test_channels_last_gives_the_same_result():
    torch.manual_seed(0)
    plain = ResNet(depth=18).eval()
    fast = ResNet(depth=18, channels_last=True).eval()
    fast.load_state_dict(plain.state_dict())
    x = torch.randn(2, 3, 64, 64)
    assert fast.conv1.weight.is_contiguous(memory_format=torch.channels_last)
    assert torch.allclose(plain(x), fast(x), atol=1e-5)


def test_pretrained_local_file_in_torchvision_layout(tmp_path):
    reference = torchvision.models.resnet18()
    path = tmp_path / "resnet18.pth"
    torch.save(reference.state_dict(), path)
    model = ResNet(depth=18, pretrained=str(path))
    assert torch.equal(model.layer4[1].conv2.weight, reference.layer4[1].conv2.weight)


def test_pretrained_local_file_in_vidcore_layout(tmp_path):
    source = ResNet(depth=18)
    path = tmp_path / "epoch_1.pth"
    state = {f"backbone.{k}": v for k, v in source.state_dict().items()}
    state["cls_head.fc_cls.weight"] = torch.zeros(3, 512)
    torch.save({"meta": {"epoch": 1}, "state_dict": state}, path)
    model = ResNet(depth=18, pretrained=str(path))
    assert torch.equal(model.conv1.weight, source.conv1.weight)


def test_pretrained_errors_are_one_line_checkpoint_errors(tmp_path):
    with pytest.raises(CheckpointError, match="checkpoint file not found"):
        ResNet(depth=18, pretrained=str(tmp_path / "missing.pth"))
    corrupt = tmp_path / "corrupt.pth"
    corrupt.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="corrupt.pth: "):  # wording is the core's load_checkpoint
        ResNet(depth=18, pretrained=str(corrupt))
    wrong_depth = tmp_path / "r34.pth"
    torch.save(torchvision.models.resnet34().state_dict(), wrong_depth)
    with pytest.raises(CheckpointError, match="do not exist in ResNet .first: layer1.2"):
        ResNet(depth=18, pretrained=str(wrong_depth))
    partial = tmp_path / "partial.pth"
    torch.save({k: v for k, v in torchvision.models.resnet18().state_dict().items() if "layer4" not in k}, partial)
    with pytest.raises(CheckpointError, match=r"partial.pth: 25 of 100 ResNet weights are not in the file"):
        ResNet(depth=18, pretrained=str(partial))
    wrong_width = tmp_path / "r50.pth"
    torch.save(torchvision.models.resnet50().state_dict(), wrong_width)
    with pytest.raises(CheckpointError, match=r"has shape .* in the file but .* in ResNet"):
        ResNet(depth=18, pretrained=str(wrong_width))


def test_torchvision_pretrained_offline_says_how_to_pass_a_local_file(tmp_path):
    """With no network (downloads fail), the error is one line naming the file to fetch and the option."""
    code = """
import urllib.error, torch.hub
def offline(*args, **kwargs):
    raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")
torch.hub.download_url_to_file = offline
from vidcore_tsn.backbones.resnet import ResNet
ResNet(depth=50, pretrained="torchvision://resnet50")
"""
    env = {"TORCH_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("vidcore.errors.CheckpointError: cannot download torchvision://resnet50")
    assert "fetch resnet50-0676ba61.pth elsewhere" in last  # ImageNet V1 weights, as the mmaction2 recipes use
    assert "set pretrained to its local path" in last and str(tmp_path) in last


def test_torchvision_pretrained_loads_from_the_hub_cache(tmp_path, monkeypatch):
    weights = torchvision.models.ResNet18_Weights.IMAGENET1K_V1
    reference = torchvision.models.resnet18()
    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", lambda url, **kw: reference.state_dict())
    model = ResNet(depth=18, pretrained="torchvision://resnet18")
    assert torch.equal(model.conv1.weight, reference.conv1.weight)
    assert weights.url.endswith(".pth")
    with pytest.raises(CheckpointError, match="unknown torchvision weights"):
        ResNet(depth=18, pretrained="torchvision://resnet_nope")


def test_flow_in_channels_take_rgb_weights_averaged_over_rgb(tmp_path):
    """TSN's cross-modality pre-training: conv1's RGB filters averaged and repeated for the 10 flow channels;
    every other weight loads unchanged."""
    rgb = torchvision.models.resnet18()
    torch.save(rgb.state_dict(), tmp_path / "resnet18.pth")
    flow = ResNet(depth=18, in_channels=10, pretrained=str(tmp_path / "resnet18.pth")).eval()
    expected = rgb.conv1.weight.mean(dim=1, keepdim=True).repeat(1, 10, 1, 1)
    assert flow.conv1.weight.shape == (64, 10, 7, 7) and torch.allclose(flow.conv1.weight, expected)
    assert torch.equal(flow.layer3[1].conv2.weight, rgb.layer3[1].conv2.weight)
    with torch.no_grad():
        assert flow(torch.randn(2, 10, 64, 64)).shape == (2, 512, 2, 2)
    with pytest.raises(ConfigError, match="in_channels=10, but the inputs have 6 channels"):
        flow(torch.randn(2, 6, 64, 64))
    random_init = ResNet(depth=18, in_channels=10)
    assert random_init.conv1.weight.std() > 0 and not torch.allclose(random_init.conv1.weight, expected)
    with pytest.raises(ValueError, match="in_channels must be a positive integer"):
        ResNet(depth=18, in_channels=0)
