"""`init_cfg` support: weight initializers (kind `weight_inits`) and `apply_init_cfg` to run them on a module.

An `init_cfg` is one initializer config or a list of them, for example

    init_cfg:
      - {type: Kaiming, layer: Conv2d}
      - {type: Normal, std: 0.01, override: {name: fc_cls}}
      - {type: Pretrained, checkpoint: tsn.pth, prefix: cls_head}

`layer` names module classes (or their base classes) to initialise among the module and its children;
without `layer` the initializer applies to the module itself. `override` (a mapping or a list, each with
`name`, the dotted path of a child) applies an initializer to that child as a whole: with its own `type`
and arguments, or, without `type`, with the parent's.
"""

from __future__ import annotations

import copy
from typing import Any, Mapping, Sequence

import torch
from torch import nn
from vidcore import BuildError

from .weights import load_into, read_state_dict

__all__ = ["BaseInit", "Normal", "Constant", "Kaiming", "Xavier", "Pretrained", "apply_init_cfg"]

Layers = str | Sequence[str] | None


class BaseInit:
    """Applies `init_module` to the selected modules; subclasses set weights, `bias` fills biases."""

    def __init__(self, bias: float = 0.0, layer: Layers = None) -> None:
        self.bias = bias
        self.layer = [layer] if isinstance(layer, str) else list(layer or [])

    def __call__(self, module: nn.Module) -> None:
        if not self.layer:
            self.init_module(module)
            return
        for child in module.modules():
            names = {cls.__name__ for cls in type(child).__mro__}
            if names & set(self.layer):
                self.init_module(child)

    def init_module(self, module: nn.Module) -> None:
        weight = getattr(module, "weight", None)
        if isinstance(weight, torch.Tensor):
            self.init_weight(weight)
        bias = getattr(module, "bias", None)
        if isinstance(bias, torch.Tensor):
            nn.init.constant_(bias, self.bias)

    def init_weight(self, weight: torch.Tensor) -> None:
        raise NotImplementedError


class Normal(BaseInit):
    """Weights from N(mean, std²)."""

    def __init__(self, mean: float = 0.0, std: float = 1.0, bias: float = 0.0, layer: Layers = None) -> None:
        super().__init__(bias, layer)
        self.mean, self.std = mean, std

    def init_weight(self, weight: torch.Tensor) -> None:
        nn.init.normal_(weight, self.mean, self.std)


class Constant(BaseInit):
    """Weights set to `val` (e.g. 1 for norm layers, 0 for a residual branch's last norm)."""

    def __init__(self, val: float, bias: float = 0.0, layer: Layers = None) -> None:
        super().__init__(bias, layer)
        self.val = val

    def init_weight(self, weight: torch.Tensor) -> None:
        nn.init.constant_(weight, self.val)


class Kaiming(BaseInit):
    """He initialisation (`torch.nn.init.kaiming_normal_` / `kaiming_uniform_`)."""

    def __init__(self, a: float = 0.0, mode: str = "fan_out", nonlinearity: str = "relu",
                 distribution: str = "normal", bias: float = 0.0, layer: Layers = None) -> None:
        super().__init__(bias, layer)
        if distribution not in ("normal", "uniform"):
            raise ValueError(f"Kaiming distribution must be 'normal' or 'uniform', got {distribution!r}")
        self.a, self.mode, self.nonlinearity, self.distribution = a, mode, nonlinearity, distribution

    def init_weight(self, weight: torch.Tensor) -> None:
        init = nn.init.kaiming_normal_ if self.distribution == "normal" else nn.init.kaiming_uniform_
        init(weight, a=self.a, mode=self.mode, nonlinearity=self.nonlinearity)


class Xavier(BaseInit):
    """Glorot initialisation (`torch.nn.init.xavier_normal_` / `xavier_uniform_`)."""

    def __init__(self, gain: float = 1.0, distribution: str = "normal", bias: float = 0.0,
                 layer: Layers = None) -> None:
        super().__init__(bias, layer)
        if distribution not in ("normal", "uniform"):
            raise ValueError(f"Xavier distribution must be 'normal' or 'uniform', got {distribution!r}")
        self.gain, self.distribution = gain, distribution

    def init_weight(self, weight: torch.Tensor) -> None:
        init = nn.init.xavier_normal_ if self.distribution == "normal" else nn.init.xavier_uniform_
        init(weight, gain=self.gain)


class Pretrained:
    """Load weights from `checkpoint` (a file or `torchvision://NAME`).

    `prefix` selects the keys under one sub-module of the checkpoint's model (`backbone` takes
    `backbone.conv1.weight` as `conv1.weight`), so a whole-recognizer checkpoint can initialise a part.
    Keys of the module that the checkpoint lacks are an error unless `allow_missing` is true.
    """

    def __init__(self, checkpoint: str, prefix: str | None = None, allow_missing: bool = False) -> None:
        self.checkpoint = checkpoint
        self.prefix = prefix
        self.allow_missing = allow_missing

    def __call__(self, module: nn.Module) -> None:
        state = read_state_dict(self.checkpoint)
        if self.prefix:
            start = self.prefix.rstrip(".") + "."
            state = {key[len(start):]: value for key, value in state.items() if key.startswith(start)}
        load_into(module, state, self.checkpoint, allow_missing=self.allow_missing)


def apply_init_cfg(module: nn.Module, init_cfg: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None,
                   key_path: str = "init_cfg") -> None:
    """Run every initializer of `init_cfg` on `module`, in order; `key_path` names the config key in errors."""
    if init_cfg is None:
        return
    configs = [init_cfg] if isinstance(init_cfg, Mapping) else list(init_cfg)
    for index, cfg in enumerate(configs):
        where = key_path if isinstance(init_cfg, Mapping) else f"{key_path}[{index}]"
        if not isinstance(cfg, Mapping) or "type" not in cfg:
            raise BuildError(f"{where}: expected an initializer config with 'type' (Normal, Constant, Kaiming, "
                             f"Xavier, Pretrained), got {cfg!r}")
        cfg = dict(cfg)
        overrides = cfg.pop("override", None) or []
        _build(cfg, where)(module)
        for position, override in enumerate([overrides] if isinstance(overrides, Mapping) else overrides):
            _apply_override(module, cfg, override, f"{where}.override" + (
                "" if isinstance(overrides, Mapping) else f"[{position}]"))


def _apply_override(module: nn.Module, parent: dict, override: Any, where: str) -> None:
    if not isinstance(override, Mapping) or "name" not in override:
        raise BuildError(f"{where}: expected a mapping with 'name' (a child module), got {override!r}")
    override = dict(override)
    name = override.pop("name")
    try:
        child = module.get_submodule(name)
    except AttributeError:
        children = ", ".join(child_name for child_name, _ in module.named_children())
        raise BuildError(f"{where}.name: {type(module).__name__} has no sub-module '{name}' "
                         f"(children: {children})") from None
    if "type" not in override:
        override = {**{k: v for k, v in parent.items() if k != "layer"}, **override}
    override.pop("layer", None)
    _build(override, where)(child)


def _build(cfg: Mapping[str, Any], where: str) -> Any:
    from vidcore import default_registry

    return default_registry().build(copy.deepcopy(dict(cfg)), "weight_inits", key_path=(where,))
