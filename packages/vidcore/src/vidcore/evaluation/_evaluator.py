"""`Evaluator`: runs several metrics over the same predictions and merges their results."""

from __future__ import annotations

from typing import Any, Iterable, Sequence

from ..errors import ConfigError
from ._metric import BaseMetric


class Evaluator:
    """What `val_evaluator` / `test_evaluator` build: one metric config or a list of them.

    `process` hands each batch's predictions to every metric; `evaluate(size)` returns all metrics in
    one dict (a key produced by two metrics is an error: give one of them a `prefix`).
    """

    def __init__(self, metrics: BaseMetric | Iterable[BaseMetric]) -> None:
        self.metrics: list[BaseMetric] = [metrics] if isinstance(metrics, BaseMetric) else list(metrics)
        for metric in self.metrics:
            if not isinstance(metric, BaseMetric):
                raise ConfigError(f"evaluator metrics must be BaseMetric subclasses, got {type(metric).__name__}")

    def process(self, data_samples: Sequence[Any], data_batch: Any = None) -> None:
        for metric in self.metrics:
            metric.process(data_batch, data_samples)

    def evaluate(self, size: int) -> dict[str, float]:
        results: dict[str, float] = {}
        for metric in self.metrics:
            for key, value in metric.evaluate(size).items():
                if key in results:
                    raise ConfigError(f"two metrics both produce '{key}'; set a different 'prefix' on one of them")
                results[key] = value
        return results
