"""mmaction2 data settings -> vidcore dataloaders, pipelines and the model's data preprocessor.

0.x `data = dict(videos_per_gpu, workers_per_gpu, train, val, test, ...)` becomes `train_dataloader`,
`val_dataloader` and `test_dataloader`; 1.x dataloaders pass through. In pipelines, `Normalize` moves to
`ActionDataPreprocessor` (vidcore normalizes once, on the device), `Collect`/`ToTensor` become
`PackActionInputs`, and 1.x `data_prefix=dict(video=...)` becomes a plain path.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from .diagnostics import Reporter

__all__ = ["DataMapping", "map_data", "map_dataloader", "map_pipeline", "build_data_preprocessor"]

SPLITS = ("train", "val", "test")
_LOADER_KEYS = {  # 0.x data / data.<split>_dataloader key -> vidcore dataloader key
    "videos_per_gpu": "batch_size", "workers_per_gpu": "num_workers", "drop_last": "drop_last",
    "pin_memory": "pin_memory", "persistent_workers": "persistent_workers", "prefetch_factor": "prefetch_factor",
}
_DECODER_RENAMES = {"OpenCVInit": "DecordInit", "OpenCVDecode": "DecordDecode"}
_PACK_KEYS = ("imgs", "label")  # what PackActionInputs packs


@dataclass
class DataMapping:
    """What the pipelines said about normalization and input format (for the data preprocessor)."""

    normalize: dict[str, Any] | None = None
    normalize_key: str | None = None
    format_shape: str | None = None
    seen_normalize: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


def map_data(data: Any, reporter: Reporter, state: DataMapping) -> dict[str, Any]:
    """0.x `data = dict(...)` -> `{train,val,test}_dataloader`."""
    if not isinstance(data, dict):
        reporter.warn("data", f"expected a dict, got {type(data).__name__}; dropped", dropped=True)
        return {}
    data = dict(data)
    defaults = {vidcore: data.pop(mm) for mm, vidcore in _LOADER_KEYS.items() if mm in data}
    overrides = {split: data.pop(f"{split}_dataloader", None) or {} for split in SPLITS}
    shuffle_default = {"train": True, "val": False, "test": False}
    loaders: dict[str, Any] = {}
    for split in SPLITS:
        if split not in data:
            continue
        dataset = data.pop(split)
        loader: dict[str, Any] = dict(defaults)
        shuffle = shuffle_default[split]
        if not isinstance(overrides[split], dict):
            reporter.warn(f"data.{split}_dataloader", f"expected a dict, got {overrides[split]!r}; dropped",
                          dropped=True)
            overrides[split] = {}
        for key, value in dict(overrides[split]).items():
            if key == "shuffle":
                shuffle = bool(value)
            elif key in _LOADER_KEYS:
                loader[_LOADER_KEYS[key]] = value
            else:
                reporter.warn(f"data.{split}_dataloader.{key}", "no vidcore dataloader equivalent; dropped",
                              dropped=True)
        loader.setdefault("batch_size", 1)
        loader["sampler"] = {"type": "DefaultSampler", "shuffle": shuffle}
        loader["dataset"] = map_dataset(dataset, f"data.{split}", reporter, state, test_mode=split != "train")
        loaders[f"{split}_dataloader"] = loader
    for split in SPLITS:
        if overrides[split] and f"{split}_dataloader" not in loaders:
            reporter.warn(f"data.{split}_dataloader", f"settings for a split without data.{split}; dropped",
                          dropped=True)
    for key in data:
        reporter.warn(f"data.{key}", "not a known mmaction2 data setting; dropped", dropped=True)
    return loaders


def map_dataloader(loader: Any, key: str, reporter: Reporter, state: DataMapping) -> Any:
    """A 1.x dataloader: passed through, its dataset and pipeline mapped."""
    if not isinstance(loader, dict):
        return loader
    loader = dict(loader)
    if "dataset" in loader:
        loader["dataset"] = map_dataset(loader["dataset"], f"{key}.dataset", reporter, state, test_mode=None)
    return loader


def map_dataset(dataset: Any, key: str, reporter: Reporter, state: DataMapping, *,
                test_mode: bool | None) -> Any:
    """One dataset config: wrappers unwrapped (with a warning), `data_prefix` flattened, pipeline mapped."""
    if isinstance(dataset, list):
        reporter.warn(key, f"a list of {len(dataset)} datasets (e.g. OmniSource) has no vidcore equivalent; "
                      "only the first is kept", dropped=True)
        dataset = dataset[0] if dataset else {}
    if not isinstance(dataset, dict):
        return dataset
    dataset = dict(dataset)
    if dataset.get("type") == "RepeatDataset":  # vidcore's RepeatDataset(dataset, times): the inner one is mapped
        dataset["dataset"] = map_dataset(dataset.get("dataset", {}), f"{key}.dataset", reporter, state,
                                         test_mode=test_mode)
        return dataset
    prefix = dataset.get("data_prefix")
    if isinstance(prefix, dict):
        paths = {k: v for k, v in prefix.items() if v is not None}
        chosen = next((paths[k] for k in ("video", "img") if k in paths), None)
        if chosen is None and len(paths) == 1:
            chosen = next(iter(paths.values()))
        if chosen is None:
            reporter.warn(f"{key}.data_prefix", f"cannot pick one path from {prefix!r}; dropped", dropped=True)
            dataset.pop("data_prefix")
        else:
            dataset["data_prefix"] = chosen
            extra = sorted(set(paths) - {"video", "img"})
            if extra and len(paths) > 1:
                reporter.warn(f"{key}.data_prefix", f"only one prefix is used; {extra} dropped", dropped=True)
    if test_mode and "test_mode" not in dataset:
        dataset["test_mode"] = True
    if isinstance(dataset.get("pipeline"), list):
        dataset["pipeline"] = map_pipeline(dataset["pipeline"], f"{key}.pipeline", reporter, state)
    return dataset


def map_pipeline(pipeline: list[Any], key: str, reporter: Reporter, state: DataMapping) -> list[Any]:
    """Transforms mapped one by one; a `PackActionInputs` is guaranteed at the end."""
    result: list[Any] = []
    packed = False
    for index, step in enumerate(pipeline):
        where = f"{key}[{index}]"
        if not isinstance(step, dict) or not isinstance(step.get("type"), str):
            result.append(step)
            continue
        step = dict(step)
        name = step["type"]
        if name == "Normalize":
            _record_normalize(step, where, reporter, state)
            continue
        if name == "FormatShape":
            state.format_shape = step.get("input_format", state.format_shape)
        if name == "Fuse":
            reporter.note(where, "Fuse removed: vidcore crops and resizes whole clips at once (no lazy mode)",
                          dropped=True)
            continue
        if step.pop("lazy", False):
            reporter.note(f"{where}.lazy", "lazy=True dropped: vidcore crops and resizes whole clips at once",
                          dropped=True)
        if name == "ToTensor" or name == "ImageToTensor":
            reporter.note(where, f"{name} is not needed (PackActionInputs makes tensors); removed", dropped=True)
            continue
        if name == "Collect":
            keys = step.get("keys", ())
            unpacked = [key for key in keys if key not in _PACK_KEYS] if isinstance(keys, (list, tuple)) else [keys]
            if unpacked:
                reporter.warn(where, f"Collect keys {unpacked} are not packed by PackActionInputs")
            if not packed:
                result.append({"type": "PackActionInputs"})
                packed = True
            reporter.note(where, "Collect replaced by PackActionInputs")
            continue
        if name == "PackActionInputs":
            packed = True
        if name in _DECODER_RENAMES:
            reporter.warn(where, f"vidcore has no OpenCV decoder; {name} replaced by {_DECODER_RENAMES[name]}")
            step["type"] = _DECODER_RENAMES[name]
        result.append(step)
    if not packed:
        reporter.note(key, "PackActionInputs appended (vidcore pipelines end with it)")
        result.append({"type": "PackActionInputs"})
    return result


def _record_normalize(step: dict[str, Any], where: str, reporter: Reporter, state: DataMapping) -> None:
    settings = {k: v for k, v in step.items() if k != "type"}
    state.seen_normalize.append((where, settings))
    if state.normalize is None:
        state.normalize, state.normalize_key = settings, where
        reporter.note(where, "Normalize moved to model.data_preprocessor (ActionDataPreprocessor)")
    elif _normalized(settings) != _normalized(state.normalize):
        reporter.warn(where, f"Normalize {settings} differs from {state.normalize_key} {state.normalize}; "
                      "vidcore normalizes once for all splits (the first is used)")


def _normalized(settings: dict[str, Any]) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in settings.items()}


def build_data_preprocessor(state: DataMapping, img_norm_cfg: Any, reporter: Reporter) -> dict[str, Any] | None:
    """An `ActionDataPreprocessor` config from the pipelines' `Normalize` (or `img_norm_cfg`) and `FormatShape`."""
    settings = state.normalize if state.normalize is not None else (
        copy.deepcopy(img_norm_cfg) if isinstance(img_norm_cfg, dict) else None)
    if settings is None:
        return None
    preprocessor: dict[str, Any] = {"type": "ActionDataPreprocessor"}
    for name in ("mean", "std"):
        if name in settings:
            value = settings[name]
            preprocessor[name] = list(value) if isinstance(value, (list, tuple)) else value
    if settings.get("to_bgr"):
        preprocessor["to_rgb"] = True  # both flip the channel order of the decoded frames
    for name in sorted(set(settings) - {"mean", "std", "to_bgr"}):
        reporter.warn(f"{state.normalize_key or 'img_norm_cfg'}.{name}",
                      f"Normalize option {name}={settings[name]!r} has no ActionDataPreprocessor equivalent; dropped",
                      dropped=True)
    preprocessor["format_shape"] = state.format_shape or "NCHW"
    return preprocessor
