"""`ConfusionMatrix`: counts of (true class, predicted class) pairs, written to a CSV or NPY file
(`vidcore test --dump-confusion FILE`, or the metric in `test_evaluator` / `val_evaluator`)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any, Sequence

import numpy as np
from vidcore.errors import ConfigError, DataError
from vidcore.evaluation import BaseMetric

__all__ = ["ConfusionMatrix", "confusion_matrix", "CONFUSION_SUFFIXES"]

CONFUSION_SUFFIXES = (".csv", ".npy")


def confusion_matrix(predictions: np.ndarray, labels: np.ndarray, num_classes: int) -> np.ndarray:
    """(num_classes, num_classes) int64 counts: row = true class, column = predicted class (mmaction2's and
    scikit-learn's orientation)."""
    predictions, labels = np.asarray(predictions).reshape(-1), np.asarray(labels).reshape(-1)
    bad = labels[(labels < 0) | (labels >= num_classes)]
    if bad.size:
        raise DataError(f"ConfusionMatrix: label {int(bad[0])} is out of range [0, {num_classes})")
    counts = np.bincount(labels * num_classes + predictions, minlength=num_classes * num_classes)
    return counts.reshape(num_classes, num_classes).astype(np.int64)


class ConfusionMatrix(BaseMetric):
    """The confusion matrix of single-label predictions (the argmax of `pred_score`, or `pred_label`) against
    `gt_label`, written on rank 0 to `out_file` after each evaluation (mmaction2's metric, which returns the
    matrix instead: vidcore's metric values are numbers to log, so the matrix goes to a file).

    `out_file` ends in `.csv` (a header row `true\\predicted,0,1,...` then one row per true class, with class
    names in place of the indices when `classes` is given) or `.npy` (the int64 array). A relative path is
    taken inside the run's work dir (the runner passes `work_dir`), else the current directory.
    `num_classes` defaults to the length of the score vectors. It logs no values.
    """

    default_prefix = "confusion_matrix"

    def __init__(self, num_classes: int | None = None, out_file: str = "confusion_matrix.csv",
                 classes: Sequence[str] | None = None, collect_device: str = "cpu", prefix: str | None = None,
                 work_dir: str | None = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if num_classes is not None and (isinstance(num_classes, bool) or not isinstance(num_classes, int)
                                        or num_classes < 1):
            raise ConfigError(f"ConfusionMatrix: num_classes must be a positive integer, got {num_classes!r}")
        if Path(out_file).suffix.lower() not in CONFUSION_SUFFIXES:
            raise ConfigError(f"ConfusionMatrix: out_file {out_file!r} must end in .csv or .npy")
        if classes is not None and num_classes is not None and len(classes) != num_classes:
            raise ConfigError(f"ConfusionMatrix: {len(classes)} class names for num_classes={num_classes}")
        self.num_classes = num_classes
        self.classes = list(classes) if classes is not None else None
        path = Path(os.path.expanduser(out_file))
        self.out_file = path if path.is_absolute() or work_dir is None else Path(work_dir) / path

    def process(self, data_batch: Any, data_samples: Sequence[Any]) -> None:
        for sample in data_samples:
            label = _to_numpy(_field(sample, "gt_label"))
            if label is None or label.size != 1:
                raise DataError("ConfusionMatrix needs one class index per sample in gt_label; multi-hot labels "
                                "(multi_class: true) have no single true class")
            score = _field(sample, "pred_score")
            if score is not None:
                score = _to_numpy(score).reshape(-1)
                entry = {"label": int(label.reshape(-1)[0]), "pred": int(score.argmax()), "classes": score.size}
            else:
                prediction = _to_numpy(_field(sample, "pred_label"))
                if prediction is None:
                    raise DataError("ConfusionMatrix needs data samples with pred_score or pred_label")
                entry = {"label": int(label.reshape(-1)[0]), "pred": int(prediction.reshape(-1)[0]), "classes": None}
            self.results.append(entry)

    def compute_metrics(self, results: list[Any]) -> dict[str, float]:
        num_classes = self.num_classes or max((r["classes"] or 0) for r in results)
        if not num_classes:
            raise ConfigError("ConfusionMatrix: set num_classes (the predictions carry pred_label only)")
        predictions = np.array([r["pred"] for r in results])
        matrix = confusion_matrix(predictions, np.array([r["label"] for r in results]), num_classes)
        if _rank() == 0:
            self._write(matrix)
        return {}

    def _write(self, matrix: np.ndarray) -> None:
        """Write atomically: a reader never sees half a file."""
        self.out_file.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.out_file.parent, prefix=f".{self.out_file.name}.",
                                             suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as file:
                if self.out_file.suffix.lower() == ".npy":
                    np.save(file, matrix)
                else:
                    file.write(_csv(matrix, self.classes).encode("utf-8"))
            os.replace(temporary, self.out_file)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


def _csv(matrix: np.ndarray, classes: Sequence[str] | None) -> str:
    import csv
    import io

    names = list(classes) if classes is not None else [str(i) for i in range(len(matrix))]
    if len(names) != len(matrix):
        raise DataError(f"ConfusionMatrix: {len(names)} class names for {len(matrix)} classes")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["true\\predicted", *names])
    for name, row in zip(names, matrix):
        writer.writerow([name, *row.tolist()])
    return buffer.getvalue()


def _field(sample: Any, name: str) -> Any:
    return sample.get(name) if hasattr(sample, "get") else getattr(sample, name, None)


def _to_numpy(value: Any) -> np.ndarray | None:
    if value is None:
        return None
    if hasattr(value, "detach"):
        return value.detach().cpu().numpy()
    return np.asarray(value)


def _rank() -> int:
    import torch.distributed as dist

    return dist.get_rank() if dist.is_available() and dist.is_initialized() else 0
