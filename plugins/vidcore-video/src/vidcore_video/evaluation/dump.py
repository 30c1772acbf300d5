"""`dump_results`: write test predictions to JSON or pickle (`vidcore test --dump FILE.json|.pkl`)."""

from __future__ import annotations

import json
import os
import pickle
import tempfile
from pathlib import Path
from typing import Any, Sequence

import numpy as np
from vidcore.errors import ConfigError

__all__ = ["dump_results", "to_plain"]


def to_plain(value: Any, *, json_safe: bool) -> Any:
    """Data samples -> dicts, tensors -> numpy (pickle) or lists (JSON), recursively."""
    if callable(getattr(value, "to_dict", None)):  # ActionDataSample
        return to_plain(value.to_dict(), json_safe=json_safe)
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # torch.Tensor
        value = value.detach().cpu().numpy()
    if isinstance(value, np.ndarray):
        return value.tolist() if json_safe else value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {str(key) if json_safe else key: to_plain(item, json_safe=json_safe) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_plain(item, json_safe=json_safe) for item in value]
    return value


def dump_results(results: Sequence[Any], path: str | os.PathLike) -> Path:
    """Write `results` (data samples, dicts, arrays) to `path`: `.json`, or `.pkl`/`.pickle`. Written to a
    temporary file first and renamed, so a reader never sees half a file."""
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in (".json", ".pkl", ".pickle"):
        raise ConfigError(f"--dump {target}: the file must end in .json, .pkl or .pickle")
    target.parent.mkdir(parents=True, exist_ok=True)
    plain = to_plain(list(results), json_safe=suffix == ".json")
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w" if suffix == ".json" else "wb") as file:
            if suffix == ".json":
                json.dump(plain, file)
            else:
                pickle.dump(plain, file, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target
