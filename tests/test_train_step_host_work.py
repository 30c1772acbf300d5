"""What keeps a GPU busy, checked on the CPU: in the default training path a step never reads a tensor on the
host (on a GPU each such read waits for the device) and copies the frames and the labels to the device once
each; the DataLoader workers deliver the batch whole and channels-last."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from torch.profiler import ProfilerActivity, profile

pytest.importorskip("av")

READS = ("item", "tolist", "cpu", "__bool__", "__float__", "__int__", "__index__")


def tsn_config(folder: Path, amp: bool) -> dict[str, Any]:
    from vidcore_testing.video import encode_video

    lines = []
    for index in range(4):
        encode_video(folder / f"v{index}.mp4", num_frames=8)
        lines.append(f"v{index}.mp4 {index % 3}\n")
    (folder / "train.txt").write_text("".join(lines))
    optim_wrapper: dict[str, Any] = {"optimizer": {"type": "SGD", "lr": 0.01, "momentum": 0.9},
                                     "clip_grad": {"max_norm": 40}}
    if amp:
        optim_wrapper.update(type="AmpOptimWrapper", dtype="bfloat16")
    return {
        "model": {
            "type": "Recognizer2D",
            "backbone": {"type": "ResNet", "depth": 18, "pretrained": None, "channels_last": True},
            "cls_head": {"type": "TSNHead", "num_classes": 3, "in_channels": 512},
            "data_preprocessor": {"type": "ActionDataPreprocessor", "mean": [128] * 3, "std": [64] * 3},
        },
        "train_dataloader": {
            "batch_size": 4, "num_workers": 2,
            "dataset": {"type": "VideoDataset", "ann_file": str(folder / "train.txt"), "data_prefix": str(folder),
                        "pipeline": [{"type": "PyAVInit"}, {"type": "SampleFrames", "clip_len": 1, "num_clips": 3},
                                     {"type": "PyAVDecode"}, {"type": "Resize", "scale": [32, 32], "keep_ratio": False},
                                     {"type": "Flip", "flip_ratio": 0.5},
                                     {"type": "FormatShape", "input_format": "NCHW"}, {"type": "PackActionInputs"}]},
        },
        "optim_wrapper": optim_wrapper,
        "train_cfg": {"type": "IterBasedTrainLoop", "max_iters": 1},
        "default_hooks": {"checkpoint": None, "logger": {"interval": 1, "progress_bar": False}},
        "work_dir": str(folder / "work_dir"),
        "randomness": {"seed": 0},
        "log_level": "WARNING",
    }


class HostWork:
    """Counts, while active, every host read of a tensor (the Python calls in READS, and `aten::_local_scalar_dense`
    seen by the profiler, which C++ reads go through) and every `Tensor.to(device)` by the shape it moves."""

    def __init__(self, device: torch.device, monkeypatch: pytest.MonkeyPatch) -> None:
        self.device, self.monkeypatch = device, monkeypatch
        self.reads: list[str] = []
        self.copies: list[tuple[int, ...]] = []

    def __enter__(self) -> HostWork:
        for name in READS:
            original = getattr(torch.Tensor, name)

            def counted(tensor: torch.Tensor, *args: Any, _name: str = name, _original: Any = original) -> Any:
                self.reads.append(f"{_name} of a {tuple(tensor.shape)} tensor")
                return _original(tensor, *args)

            self.monkeypatch.setattr(torch.Tensor, name, counted)
        original_to = torch.Tensor.to

        def to(tensor: torch.Tensor, *args: Any, **kwargs: Any) -> Any:
            target = kwargs.get("device", args[0] if args else None)
            if isinstance(target, (str, torch.device)) and torch.device(target) == self.device:
                self.copies.append(tuple(tensor.shape))
            return original_to(tensor, *args, **kwargs)

        self.monkeypatch.setattr(torch.Tensor, "to", to)
        self.profiler = profile(activities=[ProfilerActivity.CPU])
        self.profiler.__enter__()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.profiler.__exit__(*exc_info)
        self.monkeypatch.undo()
        self.scalar_reads = sum(event.name == "aten::_local_scalar_dense" for event in self.profiler.events())


@pytest.mark.parametrize("amp", [False, True], ids=["float32", "bfloat16"])
def test_train_steps_read_nothing_on_the_host_and_copy_each_input_once(tmp_path: Path, amp: bool,
                                                                       monkeypatch: pytest.MonkeyPatch):
    from vidcore.runner import Runner

    runner = Runner(tsn_config(tmp_path, amp))
    runner.train()
    batch = next(iter(runner.train_dataloader))
    frames = batch["inputs"]
    assert isinstance(frames, torch.Tensor) and frames.shape == (4, 3, 3, 32, 32)  # stacked in the workers
    assert frames.flatten(0, 1).is_contiguous(memory_format=torch.channels_last)
    labels_shape = (4, 1)

    with HostWork(runner.device, monkeypatch) as work:
        for _ in range(3):
            runner.train_step(batch)
    assert work.reads == [] and work.scalar_reads == 0, work.reads
    assert work.copies.count(tuple(frames.shape)) == 3  # one copy of the frames per step
    assert work.copies.count(labels_shape) == 3  # the labels as one tensor per step
    assert (1,) not in work.copies  # never one sample's label at a time


def test_host_work_counts_what_the_default_path_avoids(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The counter itself: a step that waits for the loss (as `nan_policy: skip_batch` must) and a batch whose
    labels move one by one are both seen."""
    from vidcore.model import cast_data
    from vidcore.runner import Runner

    cfg = tsn_config(tmp_path, amp=False)
    cfg["train_cfg"]["nan_policy"] = "skip_batch"
    runner = Runner(cfg)
    runner.train()
    batch = next(iter(runner.train_dataloader))
    with HostWork(runner.device, monkeypatch) as work:
        runner.train_step(batch)
        cast_data(batch["data_samples"], runner.device)
    assert work.scalar_reads >= 1 and any(read.startswith("__bool__") for read in work.reads)
    assert work.copies.count((1,)) == 4
