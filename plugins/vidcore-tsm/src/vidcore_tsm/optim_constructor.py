"""`TSMOptimWrapperConstructor`: TSM's parameter groups (mmaction2's `TSMOptimWrapperConstructor`, `fc_lr5`)."""

from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

from torch import nn
from vidcore import BuildError, default_registry
from vidcore.registry import Registry, check_by_constructing

__all__ = ["TSMOptimWrapperConstructor"]

_PARAMWISE_KEYS = ("fc_lr5",)
_NORM_LAYERS = (nn.modules.batchnorm._BatchNorm, nn.GroupNorm)


class TSMOptimWrapperConstructor:
    """Builds `optim_wrapper` with TSM's parameter groups (`optim_wrapper.constructor`, kind `optim_constructors`).

    - the first convolution: weight at the base lr and weight decay, bias at 2x lr and no decay;
    - other convolution and linear weights: base lr and decay; their biases: 2x lr, no decay;
    - BatchNorm/GroupNorm parameters that require gradients: base lr, no decay;
    - with `paramwise_cfg: {fc_lr5: true}` the last linear layer (the head's `fc_cls`) gets 5x lr for its
      weight and 10x lr (no decay) for its bias; otherwise it is grouped as the other layers.
    A module type with parameters and none of these roles is an error, as in mmaction2. Empty groups are
    left out.
    """

    vidcore_raw_args = ("optim_wrapper_cfg", "paramwise_cfg")  # built here, once the model's parameters exist
    check_config = classmethod(check_by_constructing)  # the constructor validates and stores only

    def __init__(self, optim_wrapper_cfg: dict, paramwise_cfg: dict | None = None) -> None:
        if not isinstance(optim_wrapper_cfg, Mapping) or not isinstance(optim_wrapper_cfg.get("optimizer"), Mapping):
            raise BuildError("optim_wrapper needs an 'optimizer' config, e.g. optimizer: {type: SGD, lr: 0.01}")
        self.optim_wrapper_cfg = dict(optim_wrapper_cfg)
        self.paramwise_cfg = dict(paramwise_cfg or {})
        unknown = sorted(set(self.paramwise_cfg) - set(_PARAMWISE_KEYS))
        if unknown:
            raise BuildError(f"TSMOptimWrapperConstructor: paramwise_cfg got unexpected keys {unknown} "
                             f"(accepted: {', '.join(_PARAMWISE_KEYS)})")
        optimizer = self.optim_wrapper_cfg["optimizer"]
        if not isinstance(optimizer.get("lr"), (int, float)):
            raise BuildError("TSMOptimWrapperConstructor: optim_wrapper.optimizer needs a numeric 'lr' to scale "
                             "for its parameter groups")
        self.fc_lr5 = bool(self.paramwise_cfg.get("fc_lr5", False))

    def __call__(self, model: nn.Module, registry: Registry | None = None,
                 key_path: Sequence[Any] = ("optim_wrapper",),
                 locate: Callable[[Sequence[Any]], str | None] | None = None) -> Any:
        registry = registry or default_registry()
        wrapper_cfg = dict(self.optim_wrapper_cfg)
        optimizer_cfg = dict(wrapper_cfg.pop("optimizer"))
        wrapper_cfg.setdefault("type", "OptimWrapper")
        optimizer = registry.build(optimizer_cfg, "optimizers",
                                   default_args={"params": self.parameter_groups(model, optimizer_cfg)},
                                   key_path=(*key_path, "optimizer"), locate=locate)
        return registry.build(wrapper_cfg, "optim_wrappers", default_args={"optimizer": optimizer},
                              key_path=tuple(key_path), locate=locate)

    def parameter_groups(self, model: nn.Module, optimizer_cfg: Mapping[str, Any]) -> list[dict[str, Any]]:
        """TSM's groups, each with its `lr` and `weight_decay` set; the order is mmaction2's."""
        lr = float(optimizer_cfg["lr"])
        decay = float(optimizer_cfg.get("weight_decay", 0.0))
        names = ("first_conv_weight", "first_conv_bias", "normal_weight", "normal_bias", "norm", "lr5_weight",
                 "lr10_bias")
        groups: dict[str, list[nn.Parameter]] = {name: [] for name in names}
        linear: list[nn.Linear] = []
        seen_conv = False
        for name, module in model.named_modules():
            if isinstance(module, nn.modules.conv._ConvNd):
                prefix = "normal" if seen_conv else "first_conv"
                seen_conv = True
                groups[f"{prefix}_weight"].append(module.weight)
                if module.bias is not None:
                    groups[f"{prefix}_bias"].append(module.bias)
            elif isinstance(module, nn.Linear):
                linear.append(module)
            elif isinstance(module, _NORM_LAYERS):
                groups["norm"] += [param for param in module.parameters() if param.requires_grad]
            elif not list(module.children()) and list(module.parameters(recurse=False)):
                raise BuildError(f"TSMOptimWrapperConstructor: module '{name}' ({type(module).__name__}) has "
                                 "parameters but no TSM learning-rate policy (convolution, linear or norm layers)")
        for index, module in enumerate(linear):
            last_fc = self.fc_lr5 and index == len(linear) - 1
            groups["lr5_weight" if last_fc else "normal_weight"].append(module.weight)
            if module.bias is not None:
                groups["lr10_bias" if last_fc else "normal_bias"].append(module.bias)
        settings = {
            "first_conv_weight": (lr, decay), "first_conv_bias": (2 * lr, 0.0), "normal_weight": (lr, decay),
            "normal_bias": (2 * lr, 0.0), "norm": (lr, 0.0), "lr5_weight": (5 * lr, decay),
            "lr10_bias": (10 * lr, 0.0),
        }
        return [{"params": groups[name], "lr": settings[name][0], "weight_decay": settings[name][1]}
                for name in names if groups[name]]
