"""`indices`: train or test on part of a dataset (mmengine's BaseDataset argument)."""

from __future__ import annotations

from typing import Sequence


def select_indices(length: int, indices: int | Sequence[int] | None) -> list[int]:
    """The positions kept of a dataset of `length` samples: all for None; the first N for `indices: N`
    (the last N for a negative N), as mmengine; the listed positions, in that order, for a list.
    Raises ValueError for a position out of range or a value that is neither."""
    if indices is None:
        return list(range(length))
    if isinstance(indices, bool):
        raise ValueError(f"indices must be an integer or a list of integers, got {indices!r}")
    if isinstance(indices, int):
        return list(range(length))[:indices] if indices >= 0 else list(range(length))[indices:]
    if not isinstance(indices, (list, tuple)) or not all(isinstance(index, int) and not isinstance(index, bool)
                                                         for index in indices):
        raise ValueError(f"indices must be an integer or a list of integers, got {indices!r}")
    outside = [index for index in indices if not -length <= index < length]
    if outside:
        raise ValueError(f"indices {outside[:5]} are outside the {length} samples of the dataset")
    return [index % length for index in indices]
