"""`vidcore convert-checkpoint`: an mmaction2 checkpoint -> a vidcore checkpoint of the model a config builds.

The input is read with `torch.load(weights_only=True)`; a file holding pickled Python objects (mmengine's
message hub, numpy scalars) is refused unless the user passes `--unsafe-load`, trusting the file. The
renamed weights are loaded strictly into the model built from the config, so names and shapes are
verified, and the model's own state dict is written atomically as `{'meta': ..., 'state_dict': ...}`.
"""

from __future__ import annotations

import pickle
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from vidcore.errors import CheckpointError

from .checkpoint_mapping import KeyMapping, apply_mapping, map_keys, model_key_rewrites

__all__ = ["ConversionReport", "read_checkpoint", "convert_checkpoint", "build_model"]

_FILLABLE_SUFFIXES = ("num_batches_tracked",)  # counters mmaction2 0.x checkpoints may lack
_LISTED = 10
_UNSAFE_HINT = "if you trust the file, rerun with --unsafe-load (unpickling can run code from the file)"


@dataclass
class ConversionReport:
    """What the conversion did: keys renamed, left over, filled from the fresh model."""

    source: str
    output: str
    mapping: KeyMapping
    filled: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        renamed = sum(1 for source, target in self.mapping.renamed.items() if source != target)
        lines = [f"{self.source} -> {self.output}: {len(self.mapping.renamed)} tensors mapped "
                 f"({renamed} renamed, {len(self.mapping.renamed) - renamed} kept)"]
        if self.mapping.unmapped:
            lines.append(f"not mapped, left out ({len(self.mapping.unmapped)}): {_listed(self.mapping.unmapped)}")
        if self.filled:
            lines.append(f"not in the input, kept from the fresh model ({len(self.filled)}): {_listed(self.filled)}")
        lines += self.notes
        return lines


def _listed(keys: list[str]) -> str:
    shown = ", ".join(keys[:_LISTED])
    return shown + (f", ... and {len(keys) - _LISTED} more" if len(keys) > _LISTED else "")


def read_checkpoint(path: str | Path, *, unsafe_load: bool = False) -> tuple[dict[str, Any], dict[str, Any]]:
    """The state dict and `meta` of an mmaction2 checkpoint (`{'meta', 'state_dict'}` or a bare state dict)."""
    import torch

    file = Path(path)
    if not file.is_file():
        raise CheckpointError(f"{file}: checkpoint file not found")
    try:
        data = torch.load(file, map_location="cpu", weights_only=not unsafe_load)
    except pickle.UnpicklingError as exc:
        if "weights only" in str(exc).lower() and not unsafe_load:
            names = _unsafe_globals(file)
            if names:
                raise CheckpointError(
                    f"{file}: the checkpoint holds pickled Python objects besides tensors ({names}), which "
                    f"weights-only loading refuses; {_UNSAFE_HINT}") from exc
            raise CheckpointError(
                f"{file}: not a readable checkpoint with weights-only loading: it is corrupt, or it holds pickled "
                f"Python objects ({_first_line(exc)}); in the second case, {_UNSAFE_HINT}") from exc
        raise CheckpointError(f"{file}: not a readable checkpoint ({_first_line(exc)})") from exc
    except ModuleNotFoundError as exc:
        raise CheckpointError(f"{file}: unpickling needs the module '{exc.name}', which is not installed; install "
                              "it, or re-save only the state_dict where it is") from exc
    except (RuntimeError, EOFError, OSError, ValueError, zipfile.BadZipFile, UnicodeDecodeError) as exc:
        raise CheckpointError(f"{file}: not a readable checkpoint, truncated or corrupt ({_first_line(exc)})") from exc
    if isinstance(data, Mapping) and isinstance(data.get("state_dict"), Mapping):
        state, meta = dict(data["state_dict"]), data.get("meta")
    elif isinstance(data, Mapping) and data and all(isinstance(v, torch.Tensor) for v in data.values()):
        state, meta = dict(data), None
    else:
        raise CheckpointError(f"{file}: expected an mmaction2 checkpoint (a dict with 'state_dict') or a state dict")
    tensors = {key: value for key, value in state.items() if isinstance(value, torch.Tensor)}
    if len(tensors) != len(state):
        raise CheckpointError(f"{file}: 'state_dict' holds non-tensor values: "
                              f"{_listed(sorted(set(state) - set(tensors)))}")
    return tensors, _plain_meta(meta)


def _unsafe_globals(file: Path) -> str:
    """The Python globals a zip checkpoint pickles ('' when unknown: legacy format, older torch, corrupt)."""
    try:
        from torch.serialization import get_unsafe_globals_in_checkpoint

        names = get_unsafe_globals_in_checkpoint(file)
    except Exception:
        return ""
    return f"{', '.join(names[:5])}{', ...' if len(names) > 5 else ''}"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _plain_meta(meta: Any) -> dict[str, Any]:
    """The JSON-like part of mmaction2's `meta` (versions, epoch, class names); objects are left out."""
    if not isinstance(meta, Mapping):
        return {}
    return {str(key): value for key, value in ((k, _plain(v)) for k, v in meta.items()) if value is not _DROP}


_DROP = object()


def _plain(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        items = [_plain(item) for item in value]
        return _DROP if any(item is _DROP for item in items) else items
    if isinstance(value, Mapping):
        items = {str(k): _plain(v) for k, v in value.items()}
        return _DROP if any(item is _DROP for item in items.values()) else items
    return _DROP


def build_model(config: str | Path, cfg_options: Iterable[str] = ()) -> tuple[Any, dict[str, Any], list[str]]:
    """The model of a vidcore config (pretrained weights not fetched: the checkpoint replaces them),
    the resolved config, and notes on what was changed to build it."""
    from vidcore.config import load_config
    from vidcore.plugins import default_registry

    cfg = load_config(config, cfg_options)
    if not isinstance(cfg.get("model"), Mapping):
        raise CheckpointError(f"{cfg.filename}: the config has no 'model' to convert the checkpoint for")
    model_cfg = cfg.to_dict()["model"]
    notes = []
    backbone = model_cfg.get("backbone")
    if isinstance(backbone, dict) and backbone.get("pretrained"):
        notes.append(f"model.backbone.pretrained ({backbone['pretrained']}) not loaded: the checkpoint replaces it")
        backbone["pretrained"] = None
    model = default_registry().build(model_cfg, "models", key_path=("model",), locate=cfg.locate)
    return model, cfg.to_dict(), notes


def convert_checkpoint(source: str | Path, output: str | Path, config: str | Path, *,
                       cfg_options: Iterable[str] = (), unsafe_load: bool = False,
                       strict: bool = False) -> ConversionReport:
    """Convert `source` for the model of `config` and write it to `output`; the report says what was mapped."""
    import torch
    from vidcore import __version__ as vidcore_version
    from vidcore.checkpoint import load_state_dict, save_checkpoint

    if Path(output).resolve() == Path(source).resolve():
        raise CheckpointError(f"{output}: the output would overwrite the input checkpoint")
    state, source_meta = read_checkpoint(source, unsafe_load=unsafe_load)
    model, resolved, notes = build_model(config, cfg_options)
    own = model.state_dict()
    mapping = map_keys(state, own, model_key_rewrites(model))
    report = ConversionReport(str(source), str(output), mapping, notes=notes)
    if mapping.duplicates:
        raise CheckpointError(f"{source}: several input tensors map to {_listed(mapping.duplicates)}")
    report.filled = [key for key in mapping.missing if key.endswith(_FILLABLE_SUFFIXES)]
    missing = [key for key in mapping.missing if key not in report.filled]
    if missing:
        raise CheckpointError(f"{source}: does not fit the model of {config}: {len(missing)} of its weights have no "
                              f"counterpart in the checkpoint (first: {_listed(missing[:3])}); unmapped input keys: "
                              f"{_listed(mapping.unmapped) or 'none'}")
    if strict and mapping.unmapped:
        raise CheckpointError(f"{source}: --strict: {len(mapping.unmapped)} input tensors are not mapped: "
                              f"{_listed(mapping.unmapped)}")
    mapped = apply_mapping(state, mapping)
    mapped.update({key: own[key] for key in report.filled})
    load_state_dict(model, mapped, strict=True, revise_keys=(), source=str(source))
    meta = {  # the runner's meta keys where they apply (`cfg`: the resolved config)
        "vidcore_version": vidcore_version,
        "torch_version": str(torch.__version__),
        "cfg": resolved,
        "converted_from": str(source),
        "source_format": "mmaction2",
        "source_meta": source_meta,
    }
    state_dict = {key: value.detach().clone() for key, value in model.state_dict().items()}
    save_checkpoint({"meta": meta, "state_dict": state_dict}, output)
    return report
