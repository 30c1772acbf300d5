"""mmengine's dataset wrappers: `ConcatDataset`, `RepeatDataset`, `ClassBalancedDataset` (generic: any map-style
dataset; see the package docstring for what they pass on)."""

from __future__ import annotations

import bisect
import copy
import math
from collections import Counter
from typing import Any, Callable, Sequence

from torch.utils.data import Dataset


def _metainfo(dataset: Any) -> dict[str, Any]:
    return dict(getattr(dataset, "metainfo", None) or {})


class _Wrapper(Dataset):
    """What every wrapper passes on from the dataset(s) it wraps; subclasses map an index to (dataset, index)."""

    datasets: list[Any]

    def locate(self, index: int) -> tuple[Any, int]:
        raise NotImplementedError

    @property
    def metainfo(self) -> dict[str, Any]:
        return copy.deepcopy(_metainfo(self.datasets[0]))

    @property
    def collate_fn(self) -> Any:
        return getattr(self.datasets[0], "collate_fn", None)

    def __getitem__(self, index: int) -> Any:
        dataset, inner = self.locate(index)
        return dataset[inner]

    def get_data_info(self, index: int) -> Any:
        dataset, inner = self.locate(index)
        return _needs(dataset, "get_data_info", type(self).__name__)(inner)

    def get_cat_ids(self, index: int) -> list[int]:
        dataset, inner = self.locate(index)
        return list(_needs(dataset, "get_cat_ids", type(self).__name__)(inner))


def _needs(dataset: Any, method: str, wrapper: str) -> Callable[[int], Any]:
    function = getattr(dataset, method, None)
    if not callable(function):
        raise TypeError(f"{wrapper} needs {method}(index) of the dataset it wraps, which {type(dataset).__name__} "
                        "does not have")
    return function


def _check_index(index: int, length: int) -> int:
    if not -length <= index < length:
        raise IndexError(f"index {index} out of range for a dataset of {length} samples")
    return index % length


class ConcatDataset(_Wrapper):
    """The samples of `datasets`, one after the other. Their metainfo (class names) must agree, except for
    the keys in `ignore_keys`; the first dataset's metainfo and collate function are the wrapper's."""

    def __init__(self, datasets: Sequence[Any], ignore_keys: str | Sequence[str] | None = None) -> None:
        if not isinstance(datasets, (list, tuple)) or not datasets:
            raise ValueError("datasets must be a non-empty list of datasets")
        self.datasets = list(datasets)
        ignored = {ignore_keys} if isinstance(ignore_keys, str) else set(ignore_keys or ())
        first = _metainfo(self.datasets[0])
        for position, dataset in enumerate(self.datasets[1:], 1):
            other = _metainfo(dataset)
            for key in sorted(set(first) - ignored):
                if key not in other or other[key] != first[key]:
                    raise ValueError(f"datasets[{position}]: its metainfo '{key}' differs from datasets[0]'s "
                                     f"({_short(other.get(key))} vs {_short(first[key])}); make them agree or set "
                                     f"ignore_keys: [{key}]")
        self.cumulative_sizes = []
        total = 0
        for dataset in self.datasets:
            total += len(dataset)
            self.cumulative_sizes.append(total)

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def locate(self, index: int) -> tuple[Any, int]:
        index = _check_index(index, len(self))
        position = bisect.bisect_right(self.cumulative_sizes, index)
        start = self.cumulative_sizes[position - 1] if position else 0
        return self.datasets[position], index - start


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


class RepeatDataset(_Wrapper):
    """`dataset` repeated `times` times in one epoch (fewer, longer epochs when loading restarts are costly)."""

    def __init__(self, dataset: Any, times: int) -> None:
        if isinstance(times, bool) or not isinstance(times, int) or times < 1:
            raise ValueError(f"times must be a positive integer, got {times!r}")
        self.datasets = [dataset]
        self.dataset = dataset
        self.times = times
        self._length = len(dataset)

    def __len__(self) -> int:
        return self.times * self._length

    def locate(self, index: int) -> tuple[Any, int]:
        return self.dataset, _check_index(index, len(self)) % self._length


class ClassBalancedDataset(_Wrapper):
    """Repeats the samples of rare categories (mmengine's wrapper, after the LVIS repeat-factor sampling).

    With f(c) the fraction of samples whose `get_cat_ids` include category c, a category repeats
    r(c) = max(1, sqrt(oversample_thr / f(c))) times, and a sample ceil(max of r(c) over its categories) times
    (once when it has none). The wrapped dataset must have `get_cat_ids(index)`.
    """

    def __init__(self, dataset: Any, oversample_thr: float) -> None:
        if isinstance(oversample_thr, bool) or not isinstance(oversample_thr, (int, float)) or oversample_thr < 0:
            raise ValueError(f"oversample_thr must be a number >= 0, got {oversample_thr!r}")
        get_cat_ids = _needs(dataset, "get_cat_ids", "ClassBalancedDataset")
        self.datasets = [dataset]
        self.dataset = dataset
        self.oversample_thr = float(oversample_thr)
        categories = [set(get_cat_ids(index)) for index in range(len(dataset))]
        self.repeat_factors = self._repeat_factors(categories)
        self.repeat_indices = [index for index, factor in enumerate(self.repeat_factors)
                               for _ in range(math.ceil(factor))]

    def _repeat_factors(self, categories: list[set[int]]) -> list[float]:
        counts = Counter(category for sample in categories for category in sample)
        total = len(categories)
        category_repeat = {category: max(1.0, math.sqrt(self.oversample_thr / (count / total)))
                           for category, count in counts.items()}
        return [max((category_repeat[category] for category in sample), default=1.0) for sample in categories]

    def __len__(self) -> int:
        return len(self.repeat_indices)

    def locate(self, index: int) -> tuple[Any, int]:
        return self.dataset, self.repeat_indices[_check_index(index, len(self))]
