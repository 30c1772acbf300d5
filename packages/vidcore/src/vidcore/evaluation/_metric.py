"""`BaseMetric`: accumulate per-batch results, gather them across ranks, compute once."""

from __future__ import annotations

from abc import ABCMeta, abstractmethod
from typing import Any, Mapping, Sequence


class BaseMetric(metaclass=ABCMeta):
    """Subclass with `process(data_batch, data_samples)` (append to `self.results`) and `compute_metrics`.

    `evaluate(size)` gathers `results` from every rank (in dataset order), drops the padding a
    distributed sampler adds beyond `size`, computes the metrics and returns them with keys
    `"{prefix}/{name}"` (the prefix defaults to the class's `default_prefix`).
    """

    default_prefix: str | None = None

    @classmethod
    def metric_names(cls, args: Mapping[str, Any]) -> Sequence[str] | None:
        """The names (without prefix) `compute_metrics` may return for a config's arguments `args`, or None when
        they are known only at run time. `vidcore config check` compares `save_best` and `monitor` with them."""
        return None

    def __init__(self, collect_device: str = "cpu", prefix: str | None = None) -> None:
        self.collect_device = collect_device
        self.prefix = prefix or self.default_prefix
        self.results: list[Any] = []

    @abstractmethod
    def process(self, data_batch: Any, data_samples: Sequence[Any]) -> None:
        """Turn one batch of predictions into entries of `self.results` (plain, picklable data)."""

    @abstractmethod
    def compute_metrics(self, results: list[Any]) -> dict[str, float]:
        """Metrics over all results of the evaluation."""

    def evaluate(self, size: int) -> dict[str, float]:
        results = _gather_in_order(self.results, size)
        metrics = self.compute_metrics(results) if results else {}
        self.results.clear()
        return {f"{self.prefix}/{key}" if self.prefix else key: value for key, value in metrics.items()}


def _gather_in_order(results: list[Any], size: int) -> list[Any]:
    """All ranks' results interleaved back into sampler order (rank r holds items r, r+W, ...)."""
    try:
        import torch.distributed as dist
    except ImportError:  # pragma: no cover - torch is a core dependency
        return results[:size]
    if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() == 1:
        return results[:size]
    gathered: list[Any] = [None] * dist.get_world_size()
    dist.all_gather_object(gathered, results)
    ordered = [item for group in zip(*gathered) for item in group]
    longest = max(len(part) for part in gathered)
    for index in range(min(len(part) for part in gathered), longest):
        ordered += [part[index] for part in gathered if index < len(part)]
    return ordered[:size]
