"""Collate functions (kind `collate_fns`): `pseudo_collate` (the default) and `default_collate`."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

__all__ = ["pseudo_collate", "default_collate"]


def pseudo_collate(data_batch: Sequence[Any]) -> Any:
    """A list of dict samples -> a dict of lists, one per key; nothing is stacked or converted.

    Tensors of different shapes and data samples (whatever their type) stay lists; the model's data
    preprocessor decides how to batch them (on the accelerator, once). Non-dict samples: the list itself.
    """
    if len(data_batch) and isinstance(data_batch[0], Mapping):
        return {key: [sample[key] for sample in data_batch] for key in data_batch[0]}
    return list(data_batch)


def default_collate(data_batch: Sequence[Any]) -> Any:
    """torch's `default_collate` for each key of dict samples (tensors, arrays and numbers stacked);
    a key torch cannot collate (data sample objects) stays a list instead of failing."""
    from torch.utils.data import default_collate as torch_collate

    def collate(values: list[Any]) -> Any:
        try:
            return torch_collate(values)
        except TypeError:
            return values

    if len(data_batch) and isinstance(data_batch[0], Mapping):
        return {key: collate([sample[key] for sample in data_batch]) for key in data_batch[0]}
    return collate(list(data_batch))
