"""AccMetric, the metric functions and dump_results."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pytest
import torch
import vidcore
from vidcore.errors import ConfigError, DataError
from vidcore_video import AccMetric, ActionDataSample, dump_results
from vidcore_video.evaluation.accuracy import (
    average_precision,
    mean_class_accuracy,
    mmit_mean_average_precision,
    top_k_accuracy,
)

SCORES = np.array([[0.1, 0.7, 0.2], [0.5, 0.3, 0.2], [0.2, 0.3, 0.5], [0.6, 0.3, 0.1]])
LABELS = np.array([1, 1, 2, 2])  # top-1 right for 0 and 2; sample 1's label is 2nd, sample 3's label is last


def test_top_k_and_mean_class_accuracy():
    assert top_k_accuracy(SCORES, LABELS, (1, 2, 3)) == [0.5, 0.75, 1.0]
    # predictions 1, 0, 2, 0: class 1 -> 1/2, class 2 -> 1/2, class 0 (predicted, never a label) -> 0
    assert mean_class_accuracy(SCORES, LABELS) == pytest.approx((0.5 + 0.5 + 0.0) / 3)


def test_average_precision_matches_the_definition():
    scores = np.array([0.9, 0.8, 0.7, 0.6])
    targets = np.array([1, 0, 1, 0])
    assert average_precision(scores, targets) == pytest.approx(0.5 * 1.0 + 0.5 * (2 / 3))
    assert np.isnan(average_precision(scores, np.zeros(4)))


def samples(scores, labels):
    return [ActionDataSample().set_pred_score(torch.tensor(s)).set_gt_label(label) for s, label in zip(scores, labels)]


def test_acc_metric_keys_and_values():
    metric = AccMetric()
    metric.process({}, samples(SCORES[:2], LABELS[:2].tolist()))
    metric.process({}, samples(SCORES[2:], LABELS[2:].tolist()))
    results = metric.evaluate(4)
    assert results == {"acc/top1": 0.5, "acc/top5": 1.0, "acc/mean1": pytest.approx(1 / 3)}
    assert metric.results == []


def test_acc_metric_options_and_multi_label_map():
    metric = AccMetric(metric_list="top_k_accuracy", metric_options={"top_k_accuracy": {"topk": 2}})
    metric.process({}, samples(SCORES, LABELS.tolist()))
    assert metric.evaluate(4) == {"acc/top2": 0.75}
    multi = AccMetric(metric_list=("mean_average_precision",))
    targets = [torch.tensor([0.0, 1.0, 1.0]), torch.tensor([1.0, 0.0, 0.0])]
    multi.process({}, samples(SCORES[:2], targets))
    value = multi.evaluate(2)["acc/mean_average_precision"]
    assert value == pytest.approx((1.0 + 1.0 + 0.5) / 3)  # class 2 ties its positive with a negative
    with pytest.raises(ConfigError, match="unknown metric"):
        AccMetric(metric_list=("top1",))


def test_acc_metric_accepts_dict_samples_and_evaluate_truncates_padding():
    metric = AccMetric(prefix="val")
    metric.process({}, [{"pred_score": torch.tensor(s), "gt_label": torch.tensor([int(label)])}
                        for s, label in zip(SCORES, LABELS)])
    assert metric.evaluate(2)["val/top1"] == 0.5  # distributed padding beyond `size` is dropped


def test_dump_results_json_and_pickle(tmp_path):
    results = samples(SCORES[:2], LABELS[:2].tolist())
    results[0].set_metainfo({"filename": "a.mp4"})
    path = dump_results(results, tmp_path / "out" / "preds.json")
    loaded = json.loads(path.read_text())
    assert loaded[0]["pred_score"] == pytest.approx(SCORES[0].tolist()) and loaded[0]["gt_label"] == [1]
    assert loaded[0]["metainfo"]["filename"] == "a.mp4"
    pickled = pickle.loads(dump_results(results, tmp_path / "preds.pkl").read_bytes())
    assert isinstance(pickled[1]["pred_score"], np.ndarray)
    with pytest.raises(ConfigError, match=r"\.json, \.pkl"):
        dump_results(results, tmp_path / "preds.txt")
    assert not list((tmp_path / "out").glob(".*"))  # no temporary file left


def test_mmit_map_averages_each_samples_ranking_of_the_classes():
    scores = np.array([[0.9, 0.1, 0.8, 0.3], [0.2, 0.6, 0.4, 0.9], [0.5, 0.4, 0.3, 0.2]])
    targets = np.array([[1, 0, 0, 1], [0, 1, 0, 0], [0, 0, 0, 0]])  # the last sample has no positive
    # sample 0 ranks its positives 1st and 3rd: AP = (1 + 2/3) / 2; sample 1 ranks its positive 2nd: AP = 1/2
    assert mmit_mean_average_precision(scores, targets) == pytest.approx(((1 + 2 / 3) / 2 + 0.5) / 2)
    metric = AccMetric(metric_list=("mmit_mean_average_precision", "mean_average_precision"))
    metric.process({}, samples(scores, [torch.tensor(t, dtype=torch.float32) for t in targets]))
    results = metric.evaluate(3)
    assert results["acc/mmit_mean_average_precision"] == pytest.approx(((1 + 2 / 3) / 2 + 0.5) / 2)
    # per class: class 0 AP 1, class 1 AP 1 (its positive ranks first), class 3 AP 1/2; class 2 has no positive
    assert results["acc/mean_average_precision"] == pytest.approx((1 + 1 + 0.5) / 3)


def test_accuracy_metrics_on_multi_hot_labels_say_which_metrics_fit():
    metric = AccMetric()
    metric.process({}, samples(SCORES[:2], [torch.tensor([0.0, 1.0, 1.0]), torch.tensor([1.0, 0.0, 0.0])]))
    with pytest.raises(DataError, match=r"need single labels, but the labels are multi-hot .* use metric_list "
                                        r"\['mean_average_precision', 'mmit_mean_average_precision'\]"):
        metric.evaluate(2)


def test_confusion_matrix_counts_true_rows_and_predicted_columns(tmp_path):
    from vidcore_video import ConfusionMatrix

    metric = vidcore.default_registry().build({"type": "ConfusionMatrix", "out_file": "cm.csv",
                                               "classes": ["run", "jump", "swim"]}, "metrics",
                                              default_args={"work_dir": str(tmp_path / "work")})
    assert isinstance(metric, ConfusionMatrix)
    metric.process({}, samples(SCORES, LABELS.tolist()))  # predictions 1, 0, 2, 0 for labels 1, 1, 2, 2
    assert metric.evaluate(4) == {}
    assert (tmp_path / "work" / "cm.csv").read_text() == (
        "true\\predicted,run,jump,swim\nrun,0,0,0\njump,1,1,0\nswim,1,0,1\n")
    npy = ConfusionMatrix(num_classes=4, out_file=str(tmp_path / "cm.npy"), work_dir=str(tmp_path / "ignored"))
    npy.process({}, [{"pred_label": torch.tensor([3]), "gt_label": torch.tensor([0])}])
    npy.evaluate(1)
    matrix = np.load(tmp_path / "cm.npy")
    assert matrix.dtype == np.int64 and matrix.shape == (4, 4) and matrix[0, 3] == 1 and matrix.sum() == 1


def test_confusion_matrix_refuses_multi_hot_labels_and_other_files():
    from vidcore_video import ConfusionMatrix

    with pytest.raises(ConfigError, match="must end in .csv or .npy"):
        ConfusionMatrix(out_file="cm.txt")
    with pytest.raises(DataError, match="multi-hot labels"):
        ConfusionMatrix().process({}, samples(SCORES[:1], [torch.tensor([0.0, 1.0, 1.0])]))
