"""vidcore.checkpoint: atomic saving, safe loading with errors naming the file, state-dict loading reports."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest
import torch
from torch import nn
from vidcore.checkpoint import load_checkpoint, load_state_dict, save_checkpoint
from vidcore.errors import CheckpointError


class Net(nn.Module):
    def __init__(self, classes: int = 3) -> None:
        super().__init__()
        self.backbone = nn.Linear(4, 5)
        self.head = nn.Linear(5, classes)


def test_save_is_atomic_and_leaves_no_temp_file(tmp_path: Path):
    path = tmp_path / "sub" / "model.pth"
    save_checkpoint({"state_dict": Net().state_dict(), "meta": {"epoch": 1}}, path)
    save_checkpoint({"state_dict": Net().state_dict(), "meta": {"epoch": 2}}, path)
    assert load_checkpoint(path)["meta"]["epoch"] == 2
    assert sorted(p.name for p in path.parent.iterdir()) == ["model.pth"]


def test_failed_save_keeps_the_previous_file(tmp_path: Path, monkeypatch):
    path = tmp_path / "model.pth"
    save_checkpoint({"meta": {"epoch": 1}}, path)

    def broken_save(obj, file):
        file.write(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint({"meta": {"epoch": 2}}, path)
    monkeypatch.undo()
    assert load_checkpoint(path)["meta"]["epoch"] == 1
    assert [p.name for p in tmp_path.iterdir()] == ["model.pth"]


def test_missing_file(tmp_path: Path):
    with pytest.raises(CheckpointError, match=r"nope\.pth: checkpoint file not found"):
        load_checkpoint(tmp_path / "nope.pth")


def test_directory_is_not_a_checkpoint(tmp_path: Path):
    with pytest.raises(CheckpointError, match="is not a checkpoint file"):
        load_checkpoint(tmp_path)


def test_truncated_file_names_the_file(tmp_path: Path):
    path = tmp_path / "cut.pth"
    save_checkpoint({"state_dict": Net().state_dict()}, path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match=r"cut\.pth: not a readable checkpoint"):
        load_checkpoint(path)


def test_garbage_file(tmp_path: Path):
    path = tmp_path / "text.pth"
    path.write_text("this is not a checkpoint")
    with pytest.raises(CheckpointError, match=r"text\.pth: not a readable checkpoint"):
        load_checkpoint(path)


class Unsafe:
    pass


def test_pickled_objects_are_refused(tmp_path: Path):
    path = tmp_path / "unsafe.pth"
    torch.save({"obj": Unsafe()}, path, pickle_module=pickle)
    with pytest.raises(CheckpointError, match=r"unsafe\.pth: the checkpoint holds Python objects"):
        load_checkpoint(path)


def test_not_a_dict(tmp_path: Path):
    path = tmp_path / "list.pth"
    torch.save([1, 2], path)
    with pytest.raises(CheckpointError, match="expected a checkpoint dict"):
        load_checkpoint(path)


def test_load_state_dict_reports_missing_unexpected_and_shape_mismatch():
    source = Net(classes=7).state_dict()
    source["extra.weight"] = torch.zeros(1)
    del source["backbone.bias"]
    model = Net(classes=3)
    before = model.head.weight.detach().clone()
    report = load_state_dict(model, {"state_dict": source})
    assert report.missing_keys == ["backbone.bias"]
    assert report.unexpected_keys == ["extra.weight"]
    assert [key for key, _, _ in report.mismatched_shapes] == ["head.weight", "head.bias"]
    assert report.mismatched_shapes[0][1:] == ((7, 5), (3, 5))
    assert torch.equal(model.backbone.weight, source["backbone.weight"])
    assert torch.equal(model.head.weight, before)
    text = str(report)
    assert "missing from the checkpoint (1): backbone.bias" in text
    assert "not in the model (1): extra.weight" in text
    assert "head.weight checkpoint [7, 5] vs model [3, 5]" in text


def test_strict_raises_listing_the_problems_and_changes_nothing():
    model = Net()
    before = model.backbone.weight.detach().clone()
    source = Net(classes=9).state_dict()
    with pytest.raises(CheckpointError, match=r"ckpt\.pth: does not fit Net: .*shape mismatch"):
        load_state_dict(model, source, strict=True, source="ckpt.pth")
    assert torch.equal(model.backbone.weight, before)


def test_ddp_prefix_is_stripped_and_prefix_selects_a_submodule():
    net = Net()
    wrapped = {f"module.{key}": value for key, value in net.state_dict().items()}
    model = Net()
    assert load_state_dict(model, wrapped, strict=True).ok
    assert torch.equal(model.head.weight, net.head.weight)

    backbone = nn.Linear(4, 5)
    report = load_state_dict(backbone, net.state_dict(), prefix="backbone", strict=True)
    assert report.ok and torch.equal(backbone.weight, net.backbone.weight)

    renamed = {key.replace("head.", "classifier."): value for key, value in net.state_dict().items()}
    model = Net()
    assert load_state_dict(model, renamed, revise_keys=[(r"^classifier\.", "head.")], strict=True).ok


def test_loading_with_weights_only_needs_no_unsafe_unpickling(tmp_path: Path):
    """What the runner writes (plain data + tensors) must load with torch's safe loader itself."""
    from vidcore._randomness import get_rng_state

    path = tmp_path / "full.pth"
    save_checkpoint({"rng": [get_rng_state()], "meta": {"cfg": {"a": [1, 2.5, None, "x"]}, "seed": 3}}, path)
    loaded = torch.load(path, weights_only=True)
    assert loaded["meta"]["seed"] == 3
    assert os.path.getsize(path) > 0
