"""`ActionDataSample`: one video's label, prediction and meta information, passed between pipeline, model
and metric."""

from __future__ import annotations

from numbers import Integral
from typing import Any, Iterator, Mapping, Sequence

import numpy as np
import torch

__all__ = ["ActionDataSample", "check_label_range", "format_label", "format_score"]

_FIELDS = ("gt_label", "pred_score", "pred_label")


def format_label(value: Any) -> torch.Tensor:
    """A label as a 1-d tensor: an int becomes `tensor([i])`, a list of ints a long tensor; float arrays and
    tensors (one-hot, soft labels) keep their dtype."""
    if isinstance(value, (torch.Tensor, np.ndarray)) and value.ndim == 0:
        value = value.item()
    if isinstance(value, torch.Tensor):
        return value
    if isinstance(value, np.ndarray):
        tensor = torch.from_numpy(value)
        return tensor if tensor.is_floating_point() else tensor.long()
    if isinstance(value, (bool, float)):
        raise TypeError(f"a label must be an int, a sequence of ints or an array, got {value!r}")
    if isinstance(value, Integral):
        return torch.tensor([int(value)], dtype=torch.long)
    if isinstance(value, Sequence) and not isinstance(value, str):
        return torch.as_tensor(list(value), dtype=torch.long)
    raise TypeError(f"a label must be an int, a sequence of ints or an array, got {type(value).__name__}")


def check_label_range(labels: np.ndarray, num_classes: int, owner: str = "model.cls_head",
                      sources: Sequence[Any] = ()) -> None:
    """Raise a DataError naming the first class index in `labels` (host memory) outside [0, num_classes):
    a loss would fail on it cryptically (on CUDA, with a device-side assert that ends the process).
    `sources` names each label's sample (e.g. its file) for the message."""
    from vidcore.errors import DataError

    flat = labels.reshape(len(labels), -1) if len(labels) else labels.reshape(0, 1)
    bad = np.flatnonzero(((flat < 0) | (flat >= num_classes)).any(axis=1))
    if not len(bad):
        return
    row = int(bad[0])
    value = next(int(v) for v in flat[row] if not 0 <= v < num_classes)
    source = f" ({sources[row]})" if row < len(sources) and sources[row] else ""
    raise DataError(f"{owner}: label {value} is out of range [0, {num_classes}) for num_classes={num_classes}; set "
                    f"num_classes on the dataset to have its annotation file checked when it is read{source}")


def format_score(value: Any) -> torch.Tensor:
    """Class scores as a 1-d float tensor (arrays and lists become float32; float tensors keep their dtype)."""
    if isinstance(value, np.ndarray):
        value = torch.from_numpy(value).float()
    elif not isinstance(value, torch.Tensor):
        value = torch.as_tensor(value, dtype=torch.float32)
    if not value.is_floating_point():
        value = value.float()
    if value.ndim != 1:
        raise ValueError(f"pred_score must be 1-d (num_classes,), got shape {tuple(value.shape)}")
    return value


class ActionDataSample:
    """Ground truth (`gt_label`), predictions (`pred_score`, `pred_label`) and `metainfo` of one sample.

    Fields are plain attributes (None until set), so the object pickles and moves between processes.
    Dict-style access (`sample["pred_score"]`, `sample.get(...)`) is offered for mmaction2-style metrics.
    """

    def __init__(self, *, gt_label: Any = None, pred_score: Any = None, pred_label: Any = None,
                 metainfo: Mapping[str, Any] | None = None) -> None:
        self.gt_label: torch.Tensor | None = None
        self.pred_score: torch.Tensor | None = None
        self.pred_label: torch.Tensor | None = None
        self.metainfo: dict[str, Any] = dict(metainfo or {})
        if gt_label is not None:
            self.set_gt_label(gt_label)
        if pred_score is not None:
            self.set_pred_score(pred_score)
        if pred_label is not None:
            self.set_pred_label(pred_label)

    # --- setters ------------------------------------------------------------------------------------
    def set_gt_label(self, value: Any) -> ActionDataSample:
        self.gt_label = format_label(value)
        return self

    def set_pred_score(self, value: Any) -> ActionDataSample:
        self.pred_score = format_score(value)
        self.metainfo.setdefault("num_classes", int(self.pred_score.numel()))
        return self

    def set_pred_label(self, value: Any) -> ActionDataSample:
        self.pred_label = format_label(value)
        return self

    def set_metainfo(self, metainfo: Mapping[str, Any]) -> ActionDataSample:
        self.metainfo.update(metainfo)
        return self

    # --- devices ------------------------------------------------------------------------------------
    def to(self, *args: Any, **kwargs: Any) -> ActionDataSample:
        """A copy whose tensors are moved/cast with `Tensor.to(*args, **kwargs)`."""
        moved = ActionDataSample(metainfo=self.metainfo)
        for name in _FIELDS:
            value = getattr(self, name)
            setattr(moved, name, value.to(*args, **kwargs) if isinstance(value, torch.Tensor) else value)
        return moved

    def cpu(self) -> ActionDataSample:
        return self.to("cpu")

    def to_dict(self) -> dict[str, Any]:
        """The set fields and `metainfo` as a dict (what `vidcore test --dump` writes)."""
        record: dict[str, Any] = {name: getattr(self, name) for name in self.keys()}
        record["metainfo"] = dict(self.metainfo)
        return record

    # --- dict-style access --------------------------------------------------------------------------
    def keys(self) -> list[str]:
        return [name for name in _FIELDS if getattr(self, name) is not None]

    def get(self, key: str, default: Any = None) -> Any:
        if key in _FIELDS:
            value = getattr(self, key)
            return default if value is None else value
        return self.metainfo.get(key, default)

    def __getitem__(self, key: str) -> Any:
        value = self.get(key)
        if value is None:
            raise KeyError(key)
        return value

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key) is not None

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def __repr__(self) -> str:
        parts = [f"{name}={_short(getattr(self, name))}" for name in _FIELDS if getattr(self, name) is not None]
        if self.metainfo:
            parts.append(f"metainfo={{{', '.join(sorted(map(str, self.metainfo)))}}}")
        return f"ActionDataSample({', '.join(parts)})"


def _short(value: torch.Tensor) -> str:
    if value.numel() <= 6:
        return repr(value.tolist())
    return f"tensor(shape={tuple(value.shape)}, dtype={value.dtype})"
