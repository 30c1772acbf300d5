"""ConcatDataset, RepeatDataset, ClassBalancedDataset and `indices`, on their own and in a run."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from vidcore.dataset import ClassBalancedDataset, ConcatDataset, RepeatDataset, select_indices
from vidcore.errors import BuildError
from vidcore.runner import Runner
from vidcore_runner_toys import make_cfg, read_json_lines


class Labelled:
    """Samples are their own index and labels; metainfo names the classes."""

    collate_fn = "pseudo_collate"

    def __init__(self, labels: list[list[int]], classes: tuple[str, ...] = ("a", "b", "c"), name: str = "x") -> None:
        self.labels, self.classes, self.name = labels, classes, name

    @property
    def metainfo(self) -> dict[str, Any]:
        return {"classes": list(self.classes)}

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> tuple[str, int]:
        return self.name, index

    def get_cat_ids(self, index: int) -> list[int]:
        return self.labels[index]

    def get_data_info(self, index: int) -> dict[str, Any]:
        return {"name": self.name, "index": index}


def test_concat_maps_indices_and_passes_on_metainfo_and_collate():
    dataset = ConcatDataset([Labelled([[0]] * 3, name="first"), Labelled([[1]] * 2, name="second")])
    assert len(dataset) == 5
    assert [dataset[index] for index in range(5)] == [("first", 0), ("first", 1), ("first", 2), ("second", 0),
                                                      ("second", 1)]
    assert dataset[-1] == ("second", 1) and dataset.get_cat_ids(3) == [1]
    assert dataset.get_data_info(4) == {"name": "second", "index": 1}
    assert dataset.metainfo == {"classes": ["a", "b", "c"]} and dataset.collate_fn == "pseudo_collate"
    with pytest.raises(IndexError, match="index 5 out of range for a dataset of 5 samples"):
        dataset[5]


def test_concat_refuses_datasets_whose_classes_differ_unless_ignored():
    with pytest.raises(ValueError, match=r"datasets\[1\]: its metainfo 'classes' differs .*ignore_keys: \[classes\]"):
        ConcatDataset([Labelled([[0]]), Labelled([[0]], classes=("a", "z"))])
    assert len(ConcatDataset([Labelled([[0]]), Labelled([[0]], classes=("z",))], ignore_keys=["classes"])) == 2


def test_repeat():
    dataset = RepeatDataset(Labelled([[0], [1], [2]]), times=3)
    assert len(dataset) == 9 and [dataset[index][1] for index in range(9)] == [0, 1, 2] * 3
    assert dataset.get_cat_ids(5) == [2]
    with pytest.raises(ValueError, match="times must be a positive integer"):
        RepeatDataset(Labelled([[0]]), times=0)


def test_class_balanced_repeats_rare_categories_by_the_square_root_rule():
    # 10 samples: category 0 in 8 of them, category 1 in 2 (one also has 0), category 2 in 1
    labels = [[0]] * 7 + [[0, 1], [1], [2]]
    dataset = ClassBalancedDataset(Labelled(labels), oversample_thr=0.5)
    frequency = {0: 0.8, 1: 0.2, 2: 0.1}
    repeat = {category: max(1.0, math.sqrt(0.5 / value)) for category, value in frequency.items()}
    expected = [math.ceil(max(repeat[category] for category in sample)) for sample in labels]
    assert expected == [1] * 7 + [2, 2, 3]
    assert dataset.repeat_indices == [index for index, times in enumerate(expected) for _ in range(times)]
    assert len(dataset) == 14 and dataset[13] == ("x", 9) and dataset.get_cat_ids(13) == [2]
    assert len(ClassBalancedDataset(Labelled(labels), oversample_thr=0.0)) == 10  # nothing below 0


def test_class_balanced_needs_get_cat_ids():
    with pytest.raises(TypeError, match="ClassBalancedDataset needs get_cat_ids\\(index\\) of the dataset it wraps"):
        ClassBalancedDataset([1, 2, 3], oversample_thr=0.1)


def test_select_indices():
    assert select_indices(5, None) == [0, 1, 2, 3, 4]
    assert select_indices(5, 2) == [0, 1] and select_indices(5, -2) == [3, 4] and select_indices(5, 9) == list(range(5))
    assert select_indices(5, [4, 0, -1]) == [4, 0, 4]
    with pytest.raises(ValueError, match=r"indices \[7\] are outside the 5 samples"):
        select_indices(5, [1, 7])
    with pytest.raises(ValueError, match="indices must be an integer or a list of integers"):
        select_indices(5, "3")


def test_a_run_on_wrapped_datasets_built_from_the_config(registry, tmp_path: Path):
    """12 + 4 toy samples, repeated twice: 32 samples, 8 iterations of batch 4 in one epoch."""
    dataset = {"type": "RepeatDataset", "times": 2,
               "dataset": {"type": "ConcatDataset", "datasets": [{"type": "ToyDataset", "size": 12},
                                                                 {"type": "ToyDataset", "size": 4, "seed": 3}]}}
    cfg = make_cfg(tmp_path, train_dataloader={"batch_size": 4, "dataset": dataset},
                   train_cfg={"type": "EpochBasedTrainLoop", "max_epochs": 1},
                   default_hooks={"logger": {"interval": 1}, "checkpoint": None})
    runner = Runner(cfg, registry=registry)
    runner.train()
    assert len(runner.train_dataloader.dataset) == 32
    assert [line["iter"] for line in read_json_lines(tmp_path) if line["mode"] == "train"] == list(range(1, 9))


def test_a_wrapper_error_names_the_key(registry, tmp_path: Path):
    dataset = {"type": "RepeatDataset", "times": 0, "dataset": {"type": "ToyDataset"}}
    with pytest.raises(BuildError, match=r"train_dataloader\.dataset \(RepeatDataset\): ValueError: times must be"):
        Runner(make_cfg(tmp_path, train_dataloader={"batch_size": 4, "dataset": dataset}), registry=registry).train()
