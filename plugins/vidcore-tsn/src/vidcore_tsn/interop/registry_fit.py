"""Fit a migrated config to the installed components: drop arguments they do not take, report unknown types.

mmaction2 components take many arguments vidcore's do not (mmcv's `conv_cfg`, `io_backend`, ...). An
argument that still holds mmaction2's default changes nothing and is dropped with a note; any other value
is dropped with a warning. An unknown type inside a list or mapping (a pipeline step, a hook, a backend) is
removed with a warning; an unknown model, dataset, optimizer or loop is kept, so `vidcore config check`
names it, and warned about. A first-party component whose distribution is not installed (a
TensorboardVisBackend without vidcore-tensorboard) is kept, with a warning that gives the install line.
"""

from __future__ import annotations

import inspect
from typing import Any

from vidcore.config import COMPONENT_SLOTS, KeyPart, format_key_path
from vidcore.registry import Registry, install_command, is_component_config, normalize_dist

from .diagnostics import Reporter

__all__ = ["fit_to_registry", "NO_OP_DEFAULTS"]

# Arguments of mmaction2/mmcv components that vidcore's versions lack, with the values that mean
# "the same as vidcore does anyway".
_BN = ({"type": "BN2d", "requires_grad": True}, {"type": "BN", "requires_grad": True}, {"type": "BN2d"}, {"type": "BN"})
NO_OP_DEFAULTS: dict[str, dict[str, tuple[Any, ...]]] = {
    "*": {"io_backend": ("disk",), "file_client_args": ({"io_backend": "disk"}, {"backend": "disk"}),
          "init_cfg": (None,)},
    "ResNet": {
        "in_channels": (3,), "num_stages": (4,), "strides": ((1, 2, 2, 2),), "dilations": ((1, 1, 1, 1),),
        "style": ("pytorch",), "conv_cfg": ({"type": "Conv"}, None), "norm_cfg": _BN,
        "act_cfg": ({"type": "ReLU", "inplace": True}, {"type": "ReLU"}), "torchvision_pretrain": (True, False),
        "with_cp": (False,),
    },
    "TSNHead": {"multi_class": (False,), "is_shift": (False,)},
    "SampleFrames": {"keep_tail_frames": (False,), "out_of_bound_opt": ("loop",), "twice_sample": (False,)},
    "PackActionInputs": {"meta_keys": ((),), "collect_keys": (None,)},
    "ActionDataPreprocessor": {"to_float32": (True,), "to_rgb": (False,)},
    "Recognizer2D": {"neck": (None,)},
    "AccMetric": {"collect_device": ("cpu",), "prefix": (None,)},
    "CheckpointHook": {"by_epoch": (True,), "save_optimizer": (True,)},
    "LoggerHook": {"ignore_last": (False,)},
}

def fit_to_registry(cfg: dict[str, Any], registry: Registry, reporter: Reporter) -> dict[str, Any]:
    """`cfg` with every component checked against `registry` (edited in place and returned)."""
    fitter = _Fitter(registry, reporter)
    for slot in COMPONENT_SLOTS:
        parent: Any = cfg
        for part in slot.key_path[:-1]:
            parent = parent.get(part) if isinstance(parent, dict) else None
        last = slot.key_path[-1]
        if not isinstance(parent, dict) or parent.get(last) is None:
            continue
        node = parent[last]
        path: tuple[KeyPart, ...] = slot.key_path
        if slot.layout == "list" and isinstance(node, list):
            parent[last] = [item for index, item in enumerate(node)
                            if fitter.fit(item, slot.kind, path + (index,), removable=True, exclude=slot.exclude)]
        elif slot.layout == "mapping" and isinstance(node, dict):
            for name in list(node):
                if node[name] is not None and not fitter.fit(node[name], slot.kind, path + (name,),
                                                             removable=True, exclude=slot.exclude):
                    del node[name]
        elif isinstance(node, dict):
            with_default = dict(node)
            if "type" not in with_default and slot.default_type:
                with_default["type"] = slot.default_type
            fitter.fit(with_default, slot.kind, path, removable=False, exclude=slot.exclude)
            for key in set(node) - set(with_default):
                del node[key]
    return cfg

# mmengine names that vidcore's core provides (runner loops, hooks, schedulers, wrappers, samplers).
_CORE_TYPES = frozenset((
    "EpochBasedTrainLoop", "IterBasedTrainLoop", "ValLoop", "TestLoop",
    "RuntimeInfoHook", "IterTimerHook", "LoggerHook", "ParamSchedulerHook", "CheckpointHook", "DistSamplerSeedHook",
    "EMAHook", "EmptyCacheHook",
    "OptimWrapper", "AmpOptimWrapper", "DefaultSampler", "InfiniteSampler",
    "LinearLR", "ConstantLR", "MultiStepLR", "StepLR", "CosineAnnealingLR", "CosineRestartLR", "PolyLR",
    "ExponentialLR", "OneCycleLR",
))
# Types that may be removed without changing what a run does in vidcore, and why.
_NOT_NEEDED_TYPES = {
    "LocalVisBackend": "vidcore always writes its JSON-lines log and scalars to the work dir",
    "SyncBuffersHook": "DistributedDataParallel broadcasts rank 0's buffers (BN statistics) at every forward, "
                       "so the ranks agree anyway",
}


class _Fitter:
    def __init__(self, registry: Registry, reporter: Reporter) -> None:
        self.registry = registry
        self.reporter = reporter

    def fit(self, cfg: Any, kind: str, path: tuple[KeyPart, ...], *, removable: bool,
            exclude: tuple[str, ...] = ()) -> bool:
        """Fit one component config in place; False when it should be removed from its list/mapping."""
        if not is_component_config(cfg) or not isinstance(cfg["type"], str):
            return True
        name = cfg["type"]
        kind = kind if kind in self.registry.kinds_of(name) else (self.registry.kinds_of(name) or [kind])[0]
        key = format_key_path(path)
        if kind in self.registry.kinds and name in self.registry.names(kind):
            try:
                target = self.registry.lookup(kind, name).load()
            except Exception as exc:  # a broken plugin is `vidcore config check`'s to report, not ours
                self.reporter.note(key, f"{name} could not be checked ({exc}); kept")
                return True
        else:
            target = None
        if target is None:
            owner = _owner(name, self.registry)
            if owner and not self._loaded(owner):
                self.reporter.warn(f"{key}.type", f"'{name}' is provided by {owner}, which is not installed or not "
                                   f"loaded: {install_command(owner)}; kept")
                return True
            if not self._registers(owner, kind):
                what = f"{owner}, which registers no {kind} here" if owner else f"no installed {kind}"
                self.reporter.note(key, f"{name} could not be checked ({what}); kept")
                return True
            if removable and name in _NOT_NEEDED_TYPES:
                self.reporter.note(key, f"{name} removed: {_NOT_NEEDED_TYPES[name]}")
                return False
            action = "removed" if removable else "kept: replace it before running"
            self.reporter.warn(f"{key}.type", f"'{name}' is not a registered vidcore {kind} component; {action}")
            return not removable
        self._fit_arguments(cfg, target, name, key, exclude)
        raw = set(getattr(target, "vidcore_raw_args", ()))
        for arg, value in cfg.items():
            if arg in raw or arg == "type":
                continue
            self._fit_nested(value, kind, path + (arg,))
        return True

    def _fit_nested(self, value: Any, kind: str, path: tuple[KeyPart, ...]) -> None:
        if is_component_config(value):
            self.fit(value, kind, path, removable=False)
        elif isinstance(value, list):
            kind = "transforms" if path[-1] == "pipeline" else kind
            kept = [item for index, item in enumerate(value) if not is_component_config(item)
                    or self.fit(item, kind, path + (index,), removable=True)]
            value[:] = kept
        elif isinstance(value, dict):
            for arg, item in value.items():
                self._fit_nested(item, kind, path + (arg,))

    def _loaded(self, dist: str) -> bool:
        """Whether first-party distribution `dist` registered anything here (the core always has)."""
        return dist == "vidcore" or any(normalize_dist(entry.dist) == dist for entry in self.registry.entries())

    def _registers(self, owner: str | None, kind: str) -> bool:
        """Whether `owner` (a distribution; None: any) has registered anything of `kind` here."""
        if kind not in self.registry.kinds:
            return False
        entries = self.registry.entries(kind)
        return any(owner is None or normalize_dist(entry.dist) == owner for entry in entries)

    def _fit_arguments(self, cfg: dict[str, Any], target: Any, name: str, key: str, exclude: tuple[str, ...]) -> None:
        try:
            parameters = inspect.signature(target).parameters
        except (TypeError, ValueError):
            return
        if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
            return
        no_ops = {**NO_OP_DEFAULTS["*"], **NO_OP_DEFAULTS.get(name, {})}
        for arg in [a for a in cfg if a != "type" and a not in parameters and a not in exclude]:
            value = cfg.pop(arg)
            if _same(value, no_ops.get(arg, ())):
                self.reporter.note(f"{key}.{arg}", f"{name} does not take '{arg}'; {value!r} is its behaviour "
                                   "anyway, dropped")
            else:
                self.reporter.warn(f"{key}.{arg}", f"vidcore's {name} does not take '{arg}' (= {value!r}); dropped")


def _same(value: Any, candidates: tuple[Any, ...]) -> bool:
    return any(_plain(value) == _plain(candidate) for candidate in candidates)


def _plain(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


def _owner(name: str, registry: Registry) -> str | None:
    """The vidcore distribution expected to provide unregistered `name`, when the core or a plugin says which."""
    if name in _CORE_TYPES:
        return "vidcore"
    return registry.install_hints.get(name)
