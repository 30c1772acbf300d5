"""Classification metrics on numpy arrays, with mmaction2's definitions."""

from __future__ import annotations

from typing import Sequence

import numpy as np

__all__ = ["top_k_accuracy", "mean_class_accuracy", "average_precision", "mean_average_precision",
           "mmit_mean_average_precision"]


def top_k_accuracy(scores: np.ndarray, labels: np.ndarray, topk: Sequence[int] = (1,)) -> list[float]:
    """Fraction of samples whose label is among the k highest scores, for each k. scores (N, C), labels (N,)."""
    scores = np.asarray(scores)
    labels = np.asarray(labels).reshape(-1, 1)
    ranked = np.argsort(scores, axis=1)[:, ::-1]
    return [float((ranked[:, :k] == labels).any(axis=1).mean()) for k in topk]


def mean_class_accuracy(scores: np.ndarray, labels: np.ndarray) -> float:
    """Mean over classes of per-class top-1 accuracy. As in mmaction2, the classes are those that occur as a
    label or a prediction; a class that is predicted but never a label counts as 0."""
    predictions = np.argmax(np.asarray(scores), axis=1)
    labels = np.asarray(labels).reshape(-1)
    classes = np.union1d(predictions, labels)
    accuracies = []
    for cls in classes:
        mask = labels == cls
        accuracies.append(float((predictions[mask] == cls).mean()) if mask.any() else 0.0)
    return float(np.mean(accuracies))


def average_precision(scores: np.ndarray, targets: np.ndarray) -> float:
    """Area under the precision-recall curve as the sum of precision x recall increments over the distinct
    score thresholds (sklearn's definition); NaN when there are no positives."""
    scores = np.asarray(scores, dtype=np.float64)
    targets = np.asarray(targets) > 0
    positives = targets.sum()
    if positives == 0:
        return float("nan")
    order = np.argsort(-scores, kind="mergesort")
    scores, targets = scores[order], targets[order]
    last_of_threshold = np.r_[np.nonzero(np.diff(scores))[0], len(scores) - 1]
    true_pos = np.cumsum(targets)[last_of_threshold]
    precision = true_pos / (last_of_threshold + 1)
    recall = true_pos / positives
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def mean_average_precision(scores: np.ndarray, targets: np.ndarray) -> float:
    """Mean of per-class average precision over the classes with at least one positive.
    scores (N, C); targets (N, C) multi-hot."""
    scores, targets = np.asarray(scores), np.asarray(targets)
    values = [average_precision(scores[:, c], targets[:, c]) for c in range(scores.shape[1])]
    values = [v for v in values if not np.isnan(v)]
    return float(np.mean(values)) if values else float("nan")


def mmit_mean_average_precision(scores: np.ndarray, targets: np.ndarray) -> float:
    """Multi-Moments in Time's mAP: the average precision of each sample's ranking of the classes, averaged
    over the samples that have at least one positive class (mmaction2 averages in NaN for a sample without
    one). scores (N, C); targets (N, C) multi-hot."""
    scores, targets = np.asarray(scores), np.asarray(targets)
    values = [average_precision(score, target) for score, target in zip(scores, targets)]
    values = [v for v in values if not np.isnan(v)]
    return float(np.mean(values)) if values else float("nan")
