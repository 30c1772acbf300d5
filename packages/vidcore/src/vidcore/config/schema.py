"""Where components live in a config: which key holds which kind, and what the runner injects.

The runner builds from these slots and `vidcore config check` validates them, so both agree on the layout.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator, Mapping

from ..keypath import KeyPart

__all__ = ["ComponentSlot", "COMPONENT_SLOTS", "iter_component_configs"]


@dataclass(frozen=True)
class ComponentSlot:
    """A config location holding components of one kind."""

    key_path: tuple[str, ...]
    kind: str
    layout: str = "one"  # "one" config, a "list" of configs, or a "mapping" of name -> config
    injected: tuple[str, ...] = ()  # arguments the runner passes itself
    exclude: tuple[str, ...] = ()  # keys the runner consumes before building (validated by other slots)
    default_type: str | None = None  # used when the config gives no `type`


_LOOP_ARGS = ("runner", "dataloader", "evaluator")
COMPONENT_SLOTS: tuple[ComponentSlot, ...] = (
    ComponentSlot(("model",), "models"),
    *(ComponentSlot((f"{split}_dataloader", "dataset"), "datasets") for split in ("train", "val", "test")),
    *(ComponentSlot((f"{split}_dataloader", "sampler"), "samplers", injected=("dataset", "seed"))
      for split in ("train", "val", "test")),
    ComponentSlot(("val_evaluator",), "metrics", layout="list"),
    ComponentSlot(("test_evaluator",), "metrics", layout="list"),
    ComponentSlot(("optim_wrapper",), "optim_wrappers", injected=("optimizer",),
                  exclude=("optimizer", "constructor", "paramwise_cfg"), default_type="OptimWrapper"),
    ComponentSlot(("optim_wrapper", "optimizer"), "optimizers", injected=("params",)),
    ComponentSlot(("param_scheduler",), "param_schedulers", layout="list", injected=("optimizer",)),
    ComponentSlot(("default_hooks",), "hooks", layout="mapping"),
    ComponentSlot(("custom_hooks",), "hooks", layout="list"),
    ComponentSlot(("visualizer", "vis_backends"), "vis_backends", layout="list", injected=("save_dir",)),
    ComponentSlot(("train_cfg",), "loops", injected=_LOOP_ARGS),
    ComponentSlot(("val_cfg",), "loops", injected=_LOOP_ARGS, default_type="ValLoop"),
    ComponentSlot(("test_cfg",), "loops", injected=_LOOP_ARGS, default_type="TestLoop"),
)


def iter_component_configs(cfg: Mapping[str, Any]) -> Iterator[tuple[ComponentSlot, tuple[KeyPart, ...], dict]]:
    """Each component config present in `cfg`, with its slot and key path (`type` filled from the default)."""
    for slot in COMPONENT_SLOTS:
        node: Any = cfg
        for key in slot.key_path:
            node = node.get(key) if isinstance(node, Mapping) else None
        if node is None:
            continue
        if slot.layout == "list" and isinstance(node, list):
            items = [(slot.key_path + (index,), item) for index, item in enumerate(node)]
        elif slot.layout == "mapping" and isinstance(node, Mapping):
            items = [(slot.key_path + (name,), item) for name, item in node.items() if item is not None]
        else:
            items = [(slot.key_path, node)]
        for key_path, item in items:
            if isinstance(item, Mapping):
                item = {key: value for key, value in item.items() if key not in slot.exclude}
                if "type" not in item and slot.default_type:
                    item["type"] = slot.default_type
            yield slot, key_path, item
