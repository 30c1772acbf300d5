"""Metric contract for plugins: `process` per batch, `compute_metrics` at the end, gathered across ranks."""

from .metric import BaseMetric

__all__ = ["BaseMetric"]
