"""`AccMetric`: top-k and mean class accuracy for single-label data, mean average precision (per class, and
per sample as for Multi-Moments in Time) for multi-label data; logged as `acc/top1`, `acc/top5`, `acc/mean1`,
`acc/mean_average_precision`, `acc/mmit_mean_average_precision`."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np
from vidcore.errors import ConfigError, DataError
from vidcore.evaluation import BaseMetric

from .accuracy import mean_average_precision, mean_class_accuracy, mmit_mean_average_precision, top_k_accuracy

__all__ = ["AccMetric"]

_METRICS = ("top_k_accuracy", "mean_class_accuracy", "mean_average_precision", "mmit_mean_average_precision")
_SINGLE_LABEL = ("top_k_accuracy", "mean_class_accuracy")
_MULTI_LABEL = ("mean_average_precision", "mmit_mean_average_precision")


class AccMetric(BaseMetric):
    """Accuracy of `pred_score` against `gt_label` (mmaction2's AccMetric).

    `metric_list`: any of 'top_k_accuracy' (keys `top{k}` for k in `metric_options.top_k_accuracy.topk`),
    'mean_class_accuracy' (`mean1`), 'mean_average_precision' (per-class AP averaged over the classes),
    'mmit_mean_average_precision' (per-sample AP averaged over the samples). The last two take multi-hot
    labels (a `multi_class` dataset); single labels are one-hot encoded for them. Multi-hot labels with
    an accuracy metric are an error: they have no single class to rank.
    """

    default_prefix = "acc"

    def __init__(self, metric_list: str | Sequence[str] = _SINGLE_LABEL, collect_device: str = "cpu",
                 metric_options: Mapping[str, Any] | None = None, prefix: str | None = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.metrics, self.topk = _parse_options(metric_list, metric_options)

    @classmethod
    def check_config(cls, args: Mapping[str, Any]) -> list[tuple[tuple[str, ...], str]]:
        """`metric_list` and `topk` as configured (what the constructor would refuse)."""
        return _option_problems(args.get("metric_list", _SINGLE_LABEL), args.get("metric_options"))

    @classmethod
    def metric_names(cls, args: Mapping[str, Any]) -> list[str]:
        """`top{k}` for each k of `topk`, `mean1`, `mean_average_precision`, `mmit_mean_average_precision`, as
        `metric_list` asks."""
        metrics, topk = _parse_options(args.get("metric_list", _SINGLE_LABEL), args.get("metric_options"))
        names = [f"top{k}" for k in topk] if "top_k_accuracy" in metrics else []
        names += ["mean1"] if "mean_class_accuracy" in metrics else []
        return names + [metric for metric in _MULTI_LABEL if metric in metrics]

    def process(self, data_batch: Any, data_samples: Sequence[Any]) -> None:
        for sample in data_samples:
            score = sample.get("pred_score") if hasattr(sample, "get") else sample.pred_score
            label = sample.get("gt_label") if hasattr(sample, "get") else sample.gt_label
            if score is None or label is None:
                raise ValueError("AccMetric needs data samples with both pred_score and gt_label")
            score = _to_numpy(score).astype(np.float32)
            label = _to_numpy(label)
            self.results.append({"pred": score, "label": int(label.reshape(-1)[0]) if label.size == 1 else label})

    def compute_metrics(self, results: list[Any]) -> dict[str, float]:
        scores = np.stack([result["pred"] for result in results])
        labels = [result["label"] for result in results]
        multi_label = not isinstance(labels[0], int)
        metrics: dict[str, float] = {}
        if multi_label and any(metric in _SINGLE_LABEL for metric in self.metrics):
            raise DataError(f"AccMetric: {[m for m in self.metrics if m in _SINGLE_LABEL]} need single labels, but "
                            f"the labels are multi-hot (multi_class: true); use metric_list {list(_MULTI_LABEL)}")
        if not multi_label:
            label_array = np.asarray(labels)
            if "top_k_accuracy" in self.metrics:
                for k, value in zip(self.topk, top_k_accuracy(scores, label_array, self.topk)):
                    metrics[f"top{k}"] = value
            if "mean_class_accuracy" in self.metrics:
                metrics["mean1"] = mean_class_accuracy(scores, label_array)
        if any(metric in _MULTI_LABEL for metric in self.metrics):
            if multi_label:
                targets = np.stack(labels)
            else:
                targets = np.zeros_like(scores)
                targets[np.arange(len(labels)), labels] = 1
            if "mean_average_precision" in self.metrics:
                metrics["mean_average_precision"] = mean_average_precision(scores, targets)
            if "mmit_mean_average_precision" in self.metrics:
                metrics["mmit_mean_average_precision"] = mmit_mean_average_precision(scores, targets)
        return metrics


def _parse_options(metric_list: Any, metric_options: Any) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """The metrics and the k of top-k accuracy asked for; a ConfigError for anything else."""
    problems = _option_problems(metric_list, metric_options)
    if problems:
        raise ConfigError(f"AccMetric: {problems[0][1]}")
    metrics = (metric_list,) if isinstance(metric_list, str) else tuple(metric_list)
    topk = dict(dict(metric_options or {}).get("top_k_accuracy") or {}).get("topk", (1, 5))
    return metrics, (topk,) if isinstance(topk, int) else tuple(topk)


def _option_problems(metric_list: Any, metric_options: Any) -> list[tuple[tuple[str, ...], str]]:
    """(key path, message) of each problem of `metric_list` and `metric_options`."""
    problems = []
    metrics = (metric_list,) if isinstance(metric_list, str) else tuple(metric_list or ())
    unknown = [m for m in metrics if m not in _METRICS]
    if unknown or not metrics:
        problems.append((("metric_list",), f"unknown metric {unknown or metric_list!r}; choose from {list(_METRICS)}"))
    if metric_options is not None and not isinstance(metric_options, Mapping):
        return problems + [(("metric_options",), f"expected a mapping, got {metric_options!r:.40}")]
    options = dict((metric_options or {}).get("top_k_accuracy") or {})
    topk = options.get("topk", (1, 5))
    topk = (topk,) if isinstance(topk, int) else tuple(topk) if isinstance(topk, (list, tuple)) else ()
    if not topk or not all(isinstance(k, int) and not isinstance(k, bool) and k > 0 for k in topk):
        problems.append((("metric_options", "top_k_accuracy", "topk"),
                         f"metric_options.top_k_accuracy.topk must be positive ints, got {options.get('topk')!r}"))
    return problems


def _to_numpy(value: Any) -> np.ndarray:
    if hasattr(value, "detach"):
        return value.detach().cpu().numpy()
    return np.asarray(value)
