"""Collate functions (kind `collate_fns`): `pseudo_collate` (the default), `stack_inputs_collate` (one tensor of
`inputs` per batch), `default_collate`, and `repeat_pseudo_collate` (samples that are lists of views)."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from ..model._data_preprocessor import stack_tensors


def pseudo_collate(data_batch: Sequence[Any]) -> Any:
    """A list of dict samples -> a dict of lists, one per key; nothing is stacked or converted.

    Tensors of different shapes and data samples (whatever their type) stay lists; the model's data
    preprocessor decides how to batch them (on the accelerator, once). Non-dict samples: the list itself.
    """
    if len(data_batch) and isinstance(data_batch[0], Mapping):
        return {key: [sample[key] for sample in data_batch] for key in data_batch[0]}
    return list(data_batch)


def repeat_pseudo_collate(data_batch: Sequence[Sequence[Any]]) -> Any:
    """`pseudo_collate` of the views of every sample, in order, for datasets whose samples are lists of views
    (mmaction2's repeated augmentation): a batch of B samples of N views is one batch of B x N views."""
    return pseudo_collate([view for sample in data_batch for view in sample])


def stack_inputs_collate(data_batch: Sequence[Any]) -> Any:
    """`pseudo_collate`, except that the samples' `inputs` become one `(B, ...)` tensor when they share shape
    and dtype (`stack_tensors`). In a DataLoader worker the stack is written straight into shared memory, so
    the main process receives the batch whole: with `pin_memory` it is pinned and copied to the device once,
    with nothing left to stack on the host."""
    batch = pseudo_collate(data_batch)
    if isinstance(batch, dict) and "inputs" in batch:
        stacked = stack_tensors(batch["inputs"])
        if stacked is not None:
            batch["inputs"] = stacked
    return batch


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
