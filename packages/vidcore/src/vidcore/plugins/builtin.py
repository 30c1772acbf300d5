"""The core's own components, registered through the same hook as any plugin (as pytest does)."""

from __future__ import annotations

from ..registry.registry import Registry
from .markers import hookimpl

__all__ = ["CORE_COMPONENTS", "vidcore_register"]

_TORCH_OPTIMIZERS = (
    "SGD", "Adam", "AdamW", "Adamax", "Adagrad", "Adadelta", "ASGD", "NAdam", "RAdam", "RMSprop", "Rprop",
    "LBFGS", "SparseAdam",
)

# kind -> {name: "module:attr"}; imported only when a config builds the component.
CORE_COMPONENTS: dict[str, dict[str, str]] = {
    "optimizers": {name: f"torch.optim:{name}" for name in _TORCH_OPTIMIZERS},
}


@hookimpl
def vidcore_register(registry: Registry) -> None:
    for kind, components in CORE_COMPONENTS.items():
        registry.register_many(kind, components)
