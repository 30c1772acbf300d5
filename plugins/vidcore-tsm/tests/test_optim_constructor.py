"""TSMOptimWrapperConstructor: mmaction2's TSM parameter groups, built through the runner's constructor kind."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from vidcore import BuildError
from vidcore_tsm import TSMOptimWrapperConstructor


class Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 4, 3, bias=True)
        self.bn1 = nn.BatchNorm2d(4)
        self.conv2 = nn.Conv2d(4, 4, 3, bias=False)
        self.bn2 = nn.BatchNorm2d(4)
        self.hidden = nn.Linear(4, 4)
        self.fc_cls = nn.Linear(4, 2)


CFG = {"optimizer": {"type": "SGD", "lr": 0.1, "momentum": 0.9, "weight_decay": 1e-4}, "clip_grad": {"max_norm": 20}}


def _groups(model, fc_lr5):
    wrapper = TSMOptimWrapperConstructor(CFG, {"fc_lr5": fc_lr5})(model)
    return [(group["lr"], group["weight_decay"], {id(p) for p in group["params"]})
            for group in wrapper.optimizer.param_groups], wrapper


@pytest.mark.vidcore_plugins("vidcore-tsm")
def test_fc_lr5_groups_match_mmaction2(vidcore_registry):
    model = Tiny()
    groups, wrapper = _groups(model, True)
    ids = lambda *params: {id(p) for p in params}  # noqa: E731
    assert groups == [
        (0.1, 1e-4, ids(model.conv1.weight)),                                 # first conv weight
        (pytest.approx(0.2), 0.0, ids(model.conv1.bias)),                      # first conv bias: 2x lr
        (0.1, 1e-4, ids(model.conv2.weight, model.hidden.weight)),             # other weights
        (pytest.approx(0.2), 0.0, ids(model.hidden.bias)),                     # other biases: 2x lr, no decay
        (0.1, 0.0, ids(model.bn1.weight, model.bn1.bias, model.bn2.weight, model.bn2.bias)),  # norms: no decay
        (pytest.approx(0.5), 1e-4, ids(model.fc_cls.weight)),                  # last fc weight: 5x lr
        (pytest.approx(1.0), 0.0, ids(model.fc_cls.bias)),                     # last fc bias: 10x lr
    ]
    assert isinstance(wrapper.optimizer, torch.optim.SGD) and wrapper.optimizer.defaults["momentum"] == 0.9
    assert sum(len(g[2]) for g in groups) == len(list(model.parameters()))


@pytest.mark.vidcore_plugins("vidcore-tsm")
def test_without_fc_lr5_the_classifier_is_an_ordinary_layer(vidcore_registry):
    model = Tiny()
    groups, _ = _groups(model, False)
    assert len(groups) == 5
    assert id(model.fc_cls.weight) in groups[2][2] and id(model.fc_cls.bias) in groups[3][2]


@pytest.mark.vidcore_plugins("vidcore-tsm")
def test_frozen_norm_parameters_are_left_out(vidcore_registry):
    model = Tiny()
    model.bn2.requires_grad_(False)
    groups, _ = _groups(model, True)
    assert groups[4][2] == {id(model.bn1.weight), id(model.bn1.bias)}


@pytest.mark.vidcore_plugins("vidcore-tsm")
def test_a_layer_without_a_policy_is_an_error(vidcore_registry):
    model = Tiny()
    model.embedding = nn.Embedding(3, 4)
    with pytest.raises(BuildError, match="module 'embedding' \\(Embedding\\) has parameters"):
        TSMOptimWrapperConstructor(CFG, {"fc_lr5": True})(model)


def test_unknown_paramwise_keys_are_refused():
    with pytest.raises(BuildError, match="unexpected keys \\['bias_lr_mult'\\]"):
        TSMOptimWrapperConstructor(CFG, {"fc_lr5": True, "bias_lr_mult": 2})


@pytest.mark.vidcore_plugins("vidcore-video", "vidcore-tsn", "vidcore-tsm")
def test_registered_where_the_runner_looks_up_optim_wrapper_constructor(vidcore_registry):
    """The runner builds `{type: <optim_wrapper.constructor>, optim_wrapper_cfg, paramwise_cfg}` as an
    `optim_constructors` component, then calls it with the model."""
    model = vidcore_registry.build({"type": "Recognizer2D",
                                    "backbone": {"type": "ResNetTSM", "depth": 18, "num_segments": 2},
                                    "cls_head": {"type": "TSMHead", "num_classes": 3, "in_channels": 512,
                                                 "num_segments": 2}}, "models")
    constructor = vidcore_registry.build({"type": "TSMOptimWrapperConstructor", "optim_wrapper_cfg": CFG,
                                          "paramwise_cfg": {"fc_lr5": True}}, "optim_constructors")
    wrapper = constructor(model, registry=vidcore_registry)
    lrs = sorted({round(group["lr"], 6) for group in wrapper.optimizer.param_groups})
    assert lrs == [0.1, 0.5, 1.0]  # ResNet convolutions have no bias, fc_cls is the only linear layer
