"""Per-sample seeds for DataLoader workers, so that a sample's augmentation does not depend on the worker.

A worker's random streams depend on which batches it loaded before, so a run resumed in the middle of an
epoch, or restarted with persistent workers, would draw other augmentations than the uninterrupted run.
With workers, the loader's sampler is wrapped in `SeededSampler`, which tags each index with its position
in the pass, and its dataset in `SeededDataset`, which seeds python, numpy and torch from (the pass seed,
the rank, the position) before loading the sample. The pass seed is the loader generator's seed, which the
train loops set to `seed + epoch`. Loading in the main process (`num_workers: 0`) is unchanged: there the
generators' states are saved in checkpoints instead.
"""

from __future__ import annotations

from typing import Any, Iterator

import torch
from torch.utils.data import Dataset, Sampler

from .._randomness import seed_generators


class SeededSampler(Sampler):
    """Yields `(pass seed, position, index)` for each index of `sampler`; `set_start(n)` (when the wrapped
    sampler has it) skips n indices and numbers the rest from n, so a resumed pass keeps its positions."""

    def __init__(self, sampler: Any, generator: torch.Generator) -> None:
        self.sampler = sampler
        self.generator = generator
        self._start = 0
        if hasattr(sampler, "set_start"):
            self.set_start = self._set_start

    def _set_start(self, index: int) -> None:
        self.sampler.set_start(index)
        self._start = index

    def set_epoch(self, epoch: int) -> None:
        if hasattr(self.sampler, "set_epoch"):
            self.sampler.set_epoch(epoch)

    def __iter__(self) -> Iterator[tuple[int, int, Any]]:
        start, self._start = self._start, 0
        pass_seed = self.generator.initial_seed()
        for position, index in enumerate(self.sampler, start):
            yield pass_seed, position, index

    def __len__(self) -> int:
        return len(self.sampler)


class SeededDataset(Dataset):
    """`dataset`, loaded with the global generators seeded per sample (see the module docstring). Attributes
    other than dunders are the wrapped dataset's (`metainfo`, `classes`, ...)."""

    def __init__(self, dataset: Any, rank: int = 0) -> None:
        self.dataset = dataset
        self.rank = rank

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, item: tuple[int, int, Any]) -> Any:
        pass_seed, position, index = item
        seed_generators([pass_seed % 2**63, self.rank, position])
        return self.dataset[index]

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or "dataset" not in self.__dict__:  # no dunders (torch probes __getitems__)
            raise AttributeError(name)
        return getattr(self.dataset, name)
