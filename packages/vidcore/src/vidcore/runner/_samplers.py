"""Samplers (kind `samplers`): `DefaultSampler` (epoch-wise, distributed-aware) and `InfiniteSampler`."""

from __future__ import annotations

import itertools
from typing import Iterator, Sized

import torch
from torch.utils.data import DistributedSampler, Sampler

from ..dist import get_rank, get_world_size


class DefaultSampler(DistributedSampler):
    """torch's DistributedSampler with the runner's conventions.

    Each rank takes every world-size-th index of one shared order (shuffled with `seed + epoch` when
    `shuffle`); `round_up` pads with repeated indices so all ranks get equally many (metrics drop the
    padding). `set_epoch(e)` changes the order per epoch. `set_start(n)` makes the next pass skip its
    first `n` indices, which is how a resumed run continues mid-epoch without loading skipped data.
    """

    def __init__(self, dataset: Sized, shuffle: bool = True, seed: int | None = None, round_up: bool = True) -> None:
        super().__init__(dataset, num_replicas=get_world_size(), rank=get_rank(), shuffle=shuffle,
                         seed=0 if seed is None else seed, drop_last=not round_up)
        self._start = 0

    def set_start(self, index: int) -> None:
        self._start = index

    def __iter__(self) -> Iterator[int]:
        start, self._start = self._start, 0
        indices = super().__iter__()
        return itertools.islice(indices, start, None) if start else indices


class InfiniteSampler(Sampler[int]):
    """An endless stream of indices for iteration-based training: pass p over the data uses the order
    shuffled with `seed + p`; rank r takes every world-size-th index of the stream."""

    def __init__(self, dataset: Sized, shuffle: bool = True, seed: int | None = None) -> None:
        self.dataset = dataset
        self.shuffle = shuffle
        self.seed = 0 if seed is None else seed
        self.rank = get_rank()
        self.world_size = get_world_size()
        self._start = 0

    def set_start(self, index: int) -> None:
        self._start = index

    def set_epoch(self, epoch: int) -> None:
        """Accepted for interface parity; the stream already varies from pass to pass."""

    def _stream(self) -> Iterator[int]:
        size = len(self.dataset)
        for data_pass in itertools.count():
            if self.shuffle:
                generator = torch.Generator()
                generator.manual_seed(self.seed + data_pass)
                yield from torch.randperm(size, generator=generator).tolist()
            else:
                yield from range(size)

    def __iter__(self) -> Iterator[int]:
        start, self._start = self._start, 0
        return itertools.islice(self._stream(), self.rank + start * self.world_size, None, self.world_size)

    def __len__(self) -> int:
        """The per-rank length of one pass (what an epoch of iterations would be)."""
        return -(-len(self.dataset) // self.world_size)

    def __repr__(self) -> str:
        return f"InfiniteSampler(shuffle={self.shuffle}, seed={self.seed})"
