"""`DefaultOptimWrapperConstructor`: the optimizer's parameter groups (`paramwise_cfg`), the optimizer, its wrapper."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

from torch import nn

from .._keypath import KeyPart
from ..errors import BuildError
from ..registry._builder import check_by_constructing

if TYPE_CHECKING:
    from ..registry import Registry
    from ._optim_wrapper import OptimWrapper

_NORM_LAYERS = (nn.modules.batchnorm._BatchNorm, nn.GroupNorm, nn.LayerNorm, nn.modules.instancenorm._InstanceNorm,
                nn.LocalResponseNorm)
_PARAMWISE_KEYS = ("custom_keys", "bias_lr_mult", "bias_decay_mult", "norm_decay_mult", "dwconv_decay_mult",
                   "flat_decay_mult", "bypass_duplicate")


class DefaultOptimWrapperConstructor:
    """Builds `optim_wrapper` for a model, as mmengine does, from `optim_wrapper_cfg` and `paramwise_cfg`.

    `paramwise_cfg` sets per-parameter multipliers of the optimizer's `lr` and `weight_decay`:
    `custom_keys: {substring: {lr_mult, decay_mult}}` (the longest matching substring of the parameter
    name wins), `bias_lr_mult`, `bias_decay_mult`, `norm_decay_mult` (normalisation layers),
    `dwconv_decay_mult` (depth-wise convolutions), `flat_decay_mult` (other 1-D parameters).
    Parameters with equal settings share one group (mmengine makes one group per parameter, which
    defeats the optimizers' fused multi-tensor kernels).
    """

    vidcore_raw_args = ("optim_wrapper_cfg", "paramwise_cfg")  # built here, once the model's parameters exist
    check_config = classmethod(check_by_constructing)  # the constructor validates and stores only

    def __init__(self, optim_wrapper_cfg: dict, paramwise_cfg: dict | None = None) -> None:
        if not isinstance(optim_wrapper_cfg, Mapping) or "optimizer" not in optim_wrapper_cfg:
            raise BuildError("optim_wrapper needs an 'optimizer' config, e.g. optimizer: {type: SGD, lr: 0.01}")
        self.optim_wrapper_cfg = dict(optim_wrapper_cfg)
        self.paramwise_cfg = dict(paramwise_cfg or {})
        unknown = sorted(set(self.paramwise_cfg) - set(_PARAMWISE_KEYS))
        if unknown:
            raise BuildError(f"paramwise_cfg got unexpected keys {unknown} (accepted: {', '.join(_PARAMWISE_KEYS)})")

    def __call__(self, model: nn.Module, registry: Registry | None = None,
                 key_path: Sequence[KeyPart] = ("optim_wrapper",),
                 locate: Callable[[Sequence[KeyPart]], str | None] | None = None) -> OptimWrapper:
        from ..plugins import default_registry

        registry = registry or default_registry()
        wrapper_cfg = dict(self.optim_wrapper_cfg)
        optimizer_cfg = dict(wrapper_cfg.pop("optimizer"))
        wrapper_cfg.setdefault("type", "OptimWrapper")
        optimizer_path = tuple(key_path) + ("optimizer",)
        if not isinstance(optimizer_cfg, Mapping) or "type" not in optimizer_cfg:
            raise BuildError(f"{'.'.join(map(str, optimizer_path))}: expected an optimizer config with a 'type' key")
        params = self.parameter_groups(model, optimizer_cfg) if self.paramwise_cfg else list(model.parameters())
        optimizer = registry.build(optimizer_cfg, "optimizers", default_args={"params": params},
                                   key_path=optimizer_path, locate=locate)
        return registry.build(wrapper_cfg, "optim_wrappers", default_args={"optimizer": optimizer},
                              key_path=tuple(key_path), locate=locate)

    def parameter_groups(self, model: nn.Module, optimizer_cfg: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Parameter groups with `lr`/`weight_decay` set from the multipliers; equal settings merged."""
        base_lr = optimizer_cfg.get("lr")
        base_decay = optimizer_cfg.get("weight_decay")
        custom_keys = dict(self.paramwise_cfg.get("custom_keys", {}))
        ordered_keys = sorted(sorted(custom_keys), key=len, reverse=True)
        groups: dict[tuple, dict[str, Any]] = {}
        seen: set[int] = set()
        for module_name, module in model.named_modules():
            for name, param in module.named_parameters(recurse=False):
                if id(param) in seen:
                    continue
                seen.add(id(param))
                full_name = f"{module_name}.{name}" if module_name else name
                lr_mult, decay_mult = self._multipliers(full_name, name, param, module, custom_keys, ordered_keys)
                settings: dict[str, Any] = {}
                if base_lr is not None and lr_mult != 1.0:
                    settings["lr"] = base_lr * lr_mult
                if base_decay is not None and decay_mult != 1.0:
                    settings["weight_decay"] = base_decay * decay_mult
                key = tuple(sorted(settings.items()))
                groups.setdefault(key, {"params": [], **settings})["params"].append(param)
        return list(groups.values())

    def _multipliers(self, full_name: str, name: str, param: nn.Parameter, module: nn.Module,
                     custom_keys: dict[str, dict], ordered_keys: list[str]) -> tuple[float, float]:
        for key in ordered_keys:
            if key in full_name:
                options = custom_keys[key]
                return float(options.get("lr_mult", 1.0)), float(options.get("decay_mult", 1.0))
        cfg = self.paramwise_cfg
        lr_mult, decay_mult = 1.0, 1.0
        is_bias = name == "bias"
        is_norm = isinstance(module, _NORM_LAYERS)
        is_dwconv = isinstance(module, nn.Conv2d) and module.in_channels == module.groups
        if is_bias:
            lr_mult = float(cfg.get("bias_lr_mult", 1.0))
        if is_norm and "norm_decay_mult" in cfg:
            decay_mult = float(cfg["norm_decay_mult"])
        elif is_dwconv and "dwconv_decay_mult" in cfg:
            decay_mult = float(cfg["dwconv_decay_mult"])
        elif is_bias and "bias_decay_mult" in cfg:
            decay_mult = float(cfg["bias_decay_mult"])
        elif param.ndim == 1 and "flat_decay_mult" in cfg:
            decay_mult = float(cfg["flat_decay_mult"])
        return lr_mult, decay_mult
