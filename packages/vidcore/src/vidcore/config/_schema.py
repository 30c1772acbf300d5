"""Where components live in a config: which key holds which kind, and what the runner injects.

The runner builds from these slots and `vidcore config check` validates them, so both agree on the layout.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterator, Mapping, Sequence

from .._keypath import KeyPart


@dataclass(frozen=True)
class ComponentSlot:
    """A config location holding components of one kind."""

    key_path: tuple[str, ...]
    kind: str
    layout: str = "one"  # "one" config, a "list" of configs, or a "mapping" of name -> config
    injected: tuple[str, ...] = ()  # arguments the runner passes itself
    exclude: tuple[str, ...] = ()  # keys the runner consumes before building (validated by other slots)
    default_type: str | None = None  # used when the config gives no `type`
    infer_type: Callable[[Mapping[str, Any]], str | None] | None = None  # a `type` derived from the config
    named_types: Mapping[str, str] | None = None  # for a "mapping": the `type` of an entry, by its name


# `default_hooks` entries the runner adds unless a config sets them to null; an entry without `type`
# keeps the default type and passes its keys as arguments (`checkpoint: {interval: 5}`).
DEFAULT_HOOK_TYPES: dict[str, str] = {
    "runtime_info": "RuntimeInfoHook",
    "timer": "IterTimerHook",
    "sampler_seed": "DistSamplerSeedHook",
    "logger": "LoggerHook",
    "param_scheduler": "ParamSchedulerHook",
    "checkpoint": "CheckpointHook",
}


def train_loop_type(train_cfg: Mapping[str, Any]) -> str | None:
    """The loop an mmengine-style `train_cfg` without `type` means: `by_epoch: true` or `max_epochs` ->
    EpochBasedTrainLoop; `by_epoch: false` or `max_iters` -> IterBasedTrainLoop."""
    by_epoch = train_cfg.get("by_epoch")
    if by_epoch is None:
        by_epoch = True if "max_epochs" in train_cfg else False if "max_iters" in train_cfg else None
    if by_epoch is None:
        return None
    return "EpochBasedTrainLoop" if by_epoch else "IterBasedTrainLoop"


_LOOP_ARGS = ("runner", "dataloader", "evaluator")
_SPLITS = ("train", "val", "test")
COMPONENT_SLOTS: tuple[ComponentSlot, ...] = (
    ComponentSlot(("model",), "models"),
    ComponentSlot(("model", "data_preprocessor"), "models"),  # a raw argument: the model builds it itself
    *(ComponentSlot((f"{split}_dataloader", "dataset"), "datasets") for split in _SPLITS),
    *(ComponentSlot((f"{split}_dataloader", "sampler"), "samplers", injected=("dataset", "seed", "data_source"),
                    default_type="DefaultSampler") for split in _SPLITS),
    *(ComponentSlot((f"{split}_dataloader", "collate_fn"), "collate_fns", injected=("data_batch",))
      for split in _SPLITS),
    ComponentSlot(("val_evaluator",), "metrics", layout="list", injected=("work_dir",)),
    ComponentSlot(("test_evaluator",), "metrics", layout="list", injected=("work_dir",)),
    ComponentSlot(("optim_wrapper",), "optim_wrappers", injected=("optimizer",),
                  exclude=("optimizer", "constructor", "paramwise_cfg"), default_type="OptimWrapper"),
    ComponentSlot(("optim_wrapper", "optimizer"), "optimizers", injected=("params",)),
    ComponentSlot(("param_scheduler",), "param_schedulers", layout="list", injected=("optimizer", "epoch_length")),
    ComponentSlot(("default_hooks",), "hooks", layout="mapping", exclude=("priority",),
                  named_types=DEFAULT_HOOK_TYPES),
    ComponentSlot(("custom_hooks",), "hooks", layout="list", exclude=("priority",)),
    ComponentSlot(("visualizer",), "visualizers", injected=("save_dir", "vis_backends"),
                  exclude=("vis_backends", "name"), default_type="Visualizer"),
    ComponentSlot(("visualizer", "vis_backends"), "vis_backends", layout="list", injected=("save_dir",)),
    ComponentSlot(("train_cfg",), "loops", injected=_LOOP_ARGS, exclude=("by_epoch",), infer_type=train_loop_type),
    ComponentSlot(("val_cfg",), "loops", injected=_LOOP_ARGS, default_type="ValLoop"),
    ComponentSlot(("test_cfg",), "loops", injected=_LOOP_ARGS, default_type="TestLoop"),
)


def slot_at(kind: str, key_path: Sequence[KeyPart]) -> ComponentSlot | None:
    """The slot of a `kind` component at `key_path`: the slot's own path, or an entry of a list or mapping slot."""
    path = tuple(key_path)
    for slot in COMPONENT_SLOTS:
        entry = slot.layout != "one" and len(path) == len(slot.key_path) + 1 and path[:-1] == slot.key_path
        if slot.kind == kind and (path == slot.key_path or entry):
            return slot
    return None


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
                original = item
                item = {key: value for key, value in item.items() if key not in slot.exclude}
                if "type" not in item:
                    inferred = slot.infer_type(original) if slot.infer_type else None
                    if slot.named_types and not inferred:
                        inferred = slot.named_types.get(str(key_path[-1]))
                    if inferred or slot.default_type:
                        item["type"] = inferred or slot.default_type
            yield slot, key_path, item


def optim_constructor_config(optim_wrapper: Any) -> dict[str, Any] | None:
    """The optimizer constructor's config that mmengine-style `optim_wrapper` means: its `constructor` (default
    `DefaultOptimWrapperConstructor`) given `paramwise_cfg` and the rest as `optim_wrapper_cfg`; None when
    `optim_wrapper` is not a mapping."""
    if not isinstance(optim_wrapper, Mapping):
        return None
    wrapper = dict(optim_wrapper)
    return {"type": wrapper.pop("constructor", "DefaultOptimWrapperConstructor"),
            "paramwise_cfg": wrapper.pop("paramwise_cfg", None), "optim_wrapper_cfg": wrapper}
