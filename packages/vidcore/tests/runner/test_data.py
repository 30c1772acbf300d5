"""Data path: collate functions, samplers (epochs, ranks, skipping), per-worker seeding, dataloader configs."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch
from vidcore.model import stack_tensors
from vidcore.runner import DefaultSampler, InfiniteSampler, default_collate, pseudo_collate, stack_inputs_collate
from vidcore.runner._dataloader import build_dataloader, seed_dataloader


class Sample:
    """A data sample object that torch cannot collate."""

    def __init__(self, label: int) -> None:
        self.label = label


def test_pseudo_collate_makes_lists_per_key_and_keeps_samples():
    batch = [{"inputs": torch.zeros(3), "data_samples": {"label": 1}, "meta": {"a": 1}},
             {"inputs": torch.ones(2), "data_samples": {"label": 0}, "meta": {"a": 2}}]
    collated = pseudo_collate(batch)
    assert set(collated) == {"inputs", "data_samples", "meta"}
    assert [tensor.shape[0] for tensor in collated["inputs"]] == [3, 2]
    assert collated["data_samples"] == [{"label": 1}, {"label": 0}]
    assert pseudo_collate([1, 2]) == [1, 2]


def test_default_collate_stacks_tensors_and_keeps_sample_objects():
    batch = [{"inputs": torch.zeros(3), "data_samples": Sample(1), "score": 0.5},
             {"inputs": torch.ones(3), "data_samples": Sample(0), "score": 1.5}]
    collated = default_collate(batch)
    assert collated["inputs"].shape == (2, 3)
    assert [sample.label for sample in collated["data_samples"]] == [1, 0]
    assert torch.equal(collated["score"], torch.tensor([0.5, 1.5], dtype=torch.float64))


def test_stack_inputs_collate_stacks_inputs_of_one_shape_keeping_their_layout():
    frames = [torch.randint(0, 256, (3, 4, 5, 3), dtype=torch.uint8).permute(0, 3, 1, 2) for _ in range(2)]
    batch = stack_inputs_collate([{"inputs": clip, "data_samples": Sample(index)} for index, clip in enumerate(frames)])
    assert batch["inputs"].shape == (2, 3, 3, 4, 5) and torch.equal(batch["inputs"][1], frames[1])
    assert batch["inputs"].flatten(0, 1).is_contiguous(memory_format=torch.channels_last)
    assert [sample.label for sample in batch["data_samples"]] == [0, 1]
    assert stack_tensors([torch.zeros(2, 3), torch.ones(2, 3)]).is_contiguous()
    uneven = [{"inputs": torch.zeros(3)}, {"inputs": torch.zeros(2)}]
    assert isinstance(stack_inputs_collate(uneven)["inputs"], list)  # left to the preprocessor, as pseudo_collate
    assert stack_tensors([torch.zeros(2), torch.zeros(2, dtype=torch.uint8)]) is None
    assert stack_tensors([]) is None


class StackedDataset(torch.utils.data.Dataset):
    """A dataset that names the collate function its samples want."""

    collate_fn = "stack_inputs_collate"

    def __len__(self) -> int:
        return 4

    def __getitem__(self, index: int) -> dict:
        return {"inputs": torch.full((2, 3), index), "data_samples": Sample(index)}


@pytest.mark.parametrize("workers", [0, 2])
def test_a_dataset_names_its_collate_function_and_the_config_wins(registry, workers):
    registry.register("datasets", "StackedDataset", StackedDataset, dist="tests")
    cfg = {"batch_size": 2, "num_workers": workers, "dataset": {"type": "StackedDataset"}}
    batch = next(iter(build_dataloader(cfg, "val", registry, seed=0)))
    assert batch["inputs"].shape == (2, 2, 3) and batch["inputs"][:, 0, 0].tolist() == [0, 1]
    cfg["collate_fn"] = {"type": "pseudo_collate"}
    assert isinstance(next(iter(build_dataloader(cfg, "val", registry, seed=0)))["inputs"], list)


def test_pin_memory_follows_cuda_unless_configured(registry, monkeypatch):
    cfg = {"batch_size": 2, "dataset": {"type": "ToyDataset", "size": 4}}
    assert build_dataloader(cfg, "val", registry, seed=0).pin_memory is torch.cuda.is_available()
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert build_dataloader(cfg, "val", registry, seed=0).pin_memory is True
    assert build_dataloader({**cfg, "pin_memory": False}, "val", registry, seed=0).pin_memory is False


def test_default_sampler_shuffles_per_epoch_and_splits_ranks(monkeypatch):
    data = list(range(10))
    sampler = DefaultSampler(data, shuffle=True, seed=3)
    first = list(sampler)
    sampler.set_epoch(1)
    second = list(sampler)
    assert sorted(first) == data and first != second
    sampler.set_epoch(0)
    assert list(sampler) == first

    import vidcore.runner._samplers as samplers

    monkeypatch.setattr(samplers, "get_world_size", lambda: 3)
    parts = []
    for rank in range(3):
        monkeypatch.setattr(samplers, "get_rank", lambda rank=rank: rank)
        part = DefaultSampler(data, shuffle=True, seed=3)
        assert len(part) == 4  # 10 padded to 12
        parts.append(list(part))
    interleaved = [index for group in zip(*parts) for index in group]
    assert sorted(set(interleaved)) == data and len(interleaved) == 12


def test_set_start_skips_indices_once():
    sampler = DefaultSampler(list(range(8)), shuffle=False)
    sampler.set_start(5)
    assert list(sampler) == [5, 6, 7]
    assert list(sampler) == list(range(8))


def test_infinite_sampler_streams_passes_and_skips(monkeypatch):
    sampler = InfiniteSampler(list(range(4)), shuffle=True, seed=1)
    stream = iter(sampler)
    head = [next(stream) for _ in range(12)]
    assert sorted(head[:4]) == sorted(head[4:8]) == [0, 1, 2, 3]
    assert head[:4] != head[4:8] or head[4:8] != head[8:12]
    sampler.set_start(6)
    skipped = iter(sampler)
    assert [next(skipped) for _ in range(6)] == head[6:]


class Draws(torch.utils.data.Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, index):
        return random.random(), float(np.random.rand()), float(torch.rand(()))


def test_workers_get_different_seeds_per_worker_and_epoch(registry):
    registry.register("datasets", "Draws", Draws, dist="tests")
    loader = build_dataloader({"batch_size": 1, "num_workers": 2, "dataset": {"type": "Draws"},
                               "sampler": {"type": "DefaultSampler", "shuffle": False}}, "train", registry, seed=0)

    def epoch_values(epoch):
        seed_dataloader(loader, epoch)
        return [batch[0] for batch in loader]  # batches of one (python, numpy, torch) draw

    first, second, again = epoch_values(0), epoch_values(1), epoch_values(0)
    assert first == again  # reproducible
    assert first != second  # but not the same augmentation every epoch
    for values in (first, second):
        assert len({value[0] for value in values}) == 4  # python random differs between workers
        assert len({value[1] for value in values}) == 4  # numpy too


def collate_with_a_draw(batch):
    """A collate function with randomness of its own, as batch-level augmentation in a worker has."""
    return batch, float(torch.rand(()))


def test_collate_randomness_in_workers_repeats_with_any_number_of_workers(registry):
    registry.register("datasets", "Draws", Draws, dist="tests")
    registry.register("collate_fns", "collate_with_a_draw", collate_with_a_draw, dist="tests")

    def two_epochs(workers):
        loader = build_dataloader({"batch_size": 2, "num_workers": workers, "dataset": {"type": "Draws"},
                                   "collate_fn": {"type": "collate_with_a_draw"},
                                   "sampler": {"type": "DefaultSampler", "shuffle": True}}, "train", registry, seed=0)
        batches = []
        for epoch in (0, 1):
            seed_dataloader(loader, epoch)
            batches += list(loader)
        return batches

    one_worker = two_epochs(1)
    assert two_epochs(2) == one_worker
    collate_draws = [draw for _, draw in one_worker]
    assert len(set(collate_draws)) == len(collate_draws) == 4  # a new draw for every batch and epoch


def test_dataloader_config_options(registry):
    loader = build_dataloader({"batch_size": 5, "drop_last": True, "dataset": {"type": "ToyDataset", "size": 12},
                               "collate_fn": {"type": "default_collate"}}, "val", registry, seed=0)
    batches = list(loader)
    assert len(batches) == 2 and batches[0]["inputs"].shape == (5, 4)
    assert isinstance(loader.sampler, DefaultSampler) and not loader.sampler.shuffle


def test_custom_sampler_without_seed_argument(registry):
    class Plain(torch.utils.data.SequentialSampler):
        pass

    registry.register("samplers", "Plain", Plain, dist="tests")
    loader = build_dataloader({"batch_size": 4, "dataset": {"type": "ToyDataset", "size": 8},
                               "sampler": {"type": "Plain"}}, "train", registry, seed=0)
    assert [batch["data_samples"][0]["index"] for batch in loader] == [0, 4]


def test_rank_split_matches_metric_gathering():
    """DefaultSampler (no shuffle) gives rank r items r, r+W, ...: the order BaseMetric's gather assumes."""
    data = list(range(7))
    sampler = DefaultSampler(data, shuffle=False)
    sampler.num_replicas, sampler.rank = 2, 1
    sampler.num_samples, sampler.total_size = 4, 8
    assert list(sampler) == [1, 3, 5, 0]


@pytest.mark.parametrize("cfg, message", [
    ("nope", "expected a mapping"),
    ({"batch_size": 1}, "'dataset' is missing"),
    ({"dataset": {"type": "ToyDataset"}, "collate_fn": "pseudo_collate"},
     r"train_dataloader\.collate_fn: expected \{type: <collate function>\}"),
])
def test_dataloader_config_errors(registry, cfg, message):
    from vidcore.errors import ConfigError

    with pytest.raises(ConfigError, match=message):
        build_dataloader(cfg, "train", registry, seed=0)
