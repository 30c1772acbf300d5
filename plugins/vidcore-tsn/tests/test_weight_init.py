"""init_cfg initializers (kind `weight_inits`) and `apply_init_cfg`."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from vidcore import BuildError, CheckpointError, RegistryError
from vidcore_tsn.heads.tsn_head import TSNHead
from vidcore_tsn.weight_init import apply_init_cfg


class Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.bn = nn.BatchNorm2d(4)
        self.fc = nn.Linear(4, 2)


def test_constant_by_layer_and_bias():
    model = Tiny()
    apply_init_cfg(model, {"type": "Constant", "val": 0.5, "bias": 0.25, "layer": ["Conv2d", "Linear"]})
    assert (model.conv.weight == 0.5).all() and (model.fc.bias == 0.25).all()
    assert not (model.bn.weight == 0.5).all()


def test_layer_matches_base_classes():
    model = Tiny()
    apply_init_cfg(model, {"type": "Constant", "val": 2.0, "layer": "_BatchNorm"})
    assert (model.bn.weight == 2).all() and (model.bn.bias == 0).all()


def test_normal_kaiming_xavier_statistics():
    big = nn.Linear(400, 400)
    apply_init_cfg(big, {"type": "Normal", "std": 0.05, "mean": 1.0})
    assert abs(big.weight.std().item() - 0.05) < 0.005 and abs(big.weight.mean().item() - 1.0) < 0.005
    apply_init_cfg(big, {"type": "Kaiming", "mode": "fan_in", "distribution": "uniform"})
    bound = (6 / 400) ** 0.5
    assert big.weight.abs().max().item() <= bound and big.weight.abs().max().item() > 0.9 * bound
    apply_init_cfg(big, [{"type": "Xavier", "gain": 1.0}, {"type": "Constant", "val": 0, "layer": "Conv2d"}])
    assert abs(big.weight.std().item() - (2 / 800) ** 0.5) < 0.005


def test_override_applies_to_a_named_child_with_own_or_parent_arguments():
    model = Tiny()
    apply_init_cfg(model, {"type": "Constant", "val": 1.0, "layer": "Conv2d",
                           "override": [{"name": "fc", "type": "Constant", "val": 3.0}, {"name": "bn"}]})
    assert (model.conv.weight == 1).all() and (model.fc.weight == 3).all() and (model.bn.weight == 1).all()
    with pytest.raises(BuildError, match=r"init_cfg.override.name: Tiny has no sub-module 'head'.*conv, bn, fc"):
        apply_init_cfg(model, {"type": "Normal", "override": {"name": "head"}})


def test_bad_init_cfg_names_the_key():
    with pytest.raises(BuildError, match=r"cls_head.init_cfg\[1\]: expected an initializer config with 'type'"):
        TSNHead(3, 8, init_cfg=[{"type": "Normal"}, {"std": 1}])
    with pytest.raises(RegistryError, match=r"init_cfg.type: unknown weight_inits type .Gaussian."):
        apply_init_cfg(Tiny(), {"type": "Gaussian"})
    with pytest.raises(BuildError, match="Kaiming distribution must be"):
        apply_init_cfg(Tiny(), {"type": "Kaiming", "distribution": "cauchy"})


def test_pretrained_with_prefix_loads_part_of_a_recognizer_checkpoint(tmp_path):
    source = TSNHead(3, 8)
    path = tmp_path / "recognizer.pth"
    state = {f"cls_head.{k}": v for k, v in source.state_dict().items()}
    state["backbone.conv1.weight"] = torch.zeros(1)
    torch.save({"state_dict": state}, path)
    head = TSNHead(3, 8, init_cfg={"type": "Pretrained", "checkpoint": str(path), "prefix": "cls_head"})
    assert torch.equal(head.fc_cls.weight, source.fc_cls.weight)
    with pytest.raises(CheckpointError, match="2 of 2 TSNHead weights are not in the file"):
        TSNHead(3, 8, init_cfg={"type": "Pretrained", "checkpoint": str(path), "prefix": "neck"})
    with pytest.raises(CheckpointError, match="checkpoint file not found"):
        TSNHead(3, 8, init_cfg={"type": "Pretrained", "checkpoint": str(tmp_path / "nope.pth")})
