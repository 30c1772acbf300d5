"""`check_metric`: a metric processes a batch into picklable results and evaluates them to named numbers."""

from __future__ import annotations

from typing import Any, Sequence

from .common import call_checked, describe, round_trip_pickle

__all__ = ["check_metric"]


def check_metric(metric: Any, data_batch: Any, data_samples: Sequence[Any], *, size: int | None = None) -> dict:
    """Assert that `metric` honours the BaseMetric contract on one batch; return what `evaluate` computed.

    - `process(data_batch, data_samples)` appends to `metric.results`, and the entries pickle (they are
      gathered across ranks);
    - `evaluate(size)` (size defaults to `len(data_samples)`) returns a non-empty dict of string keys,
      prefixed `prefix/` when the metric has a prefix, to numbers that `float()` accepts;
    - `evaluate` empties `metric.results`, so the next evaluation does not count this batch again.
    """
    from vidcore.evaluation import BaseMetric

    name = describe(metric)
    assert isinstance(metric, BaseMetric), f"{name} is not a vidcore.evaluation.BaseMetric"
    before = len(metric.results)
    call_checked(f"{name}.process(data_batch, data_samples)", metric.process, data_batch, data_samples)
    assert len(metric.results) > before, f"{name}.process() added nothing to self.results"
    round_trip_pickle(metric.results, f"{name}.results", "evaluate() gathers them from every rank by pickling")
    size = len(data_samples) if size is None else size
    metrics = call_checked(f"{name}.evaluate({size})", metric.evaluate, size)
    assert isinstance(metrics, dict) and metrics, f"{name}.evaluate() returned {metrics!r}; expected a dict of metrics"
    for key, value in metrics.items():
        assert isinstance(key, str), f"{name}.evaluate() returned the key {key!r}; metric names are strings"
        if metric.prefix:
            assert key.startswith(f"{metric.prefix}/"), (
                f"{name}.evaluate() key {key!r} lacks the prefix '{metric.prefix}/'")
        try:
            float(value)
        except (TypeError, ValueError):
            raise AssertionError(f"{name}.evaluate()[{key!r}] is {type(value).__name__} {value!r:.60}; "
                                 "loggers need a number") from None
    assert not metric.results, (f"{name}.evaluate() left {len(metric.results)} entries in self.results; "
                                "the next evaluation would count them again")
    return metrics
