"""Convert runtime objects to plain data (dicts, lists, numbers, strings) for YAML, JSON and safe checkpoints."""

from __future__ import annotations

import dataclasses
import inspect
import os
import sys
from typing import Any, Mapping


def to_plain(value: Any, *, tensors: bool = False) -> Any:
    """`value` as dicts, lists, str, int, float, bool and None; other objects become their `repr`.

    Tensors and numpy arrays become (nested) lists, or stay tensors with `tensors=True` (checkpoints
    store tensors natively). Objects with `to_dict()` and dataclasses become dicts (data samples).
    """
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Mapping):
        return {str(key): to_plain(item, tensors=tensors) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_plain(item, tensors=tensors) for item in value]
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(value, torch.Tensor):
        return value.detach().cpu() if tensors else value.detach().cpu().tolist()
    module = type(value).__module__
    if module == "numpy" or module.startswith("numpy."):
        return value.tolist() if hasattr(value, "tolist") else repr(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return to_plain({field.name: getattr(value, field.name) for field in dataclasses.fields(value)},
                        tensors=tensors)
    if callable(getattr(value, "to_dict", None)):
        return to_plain(value.to_dict(), tensors=tensors)
    if isinstance(value, type) or inspect.isroutine(value):
        return f"{getattr(value, '__module__', '?')}:{getattr(value, '__qualname__', repr(value))}"
    return repr(value)
