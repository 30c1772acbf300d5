"""TensorboardVisBackend: what is logged is read back from the event files with TensorBoard's own reader."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from PIL import Image
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from vidcore.errors import BuildError
from vidcore.plugins import default_registry
from vidcore.registry import Registry
from vidcore.visualization import frames_grid
from vidcore_tensorboard import backend as backend_module
from vidcore_tensorboard.backend import TensorboardVisBackend
from vidcore_testing import check_vis_backend


def read_events(log_dir: Path) -> EventAccumulator:
    events = EventAccumulator(str(log_dir), size_guidance={"scalars": 0, "images": 0, "tensors": 0})
    events.Reload()
    return events


def decode_png(encoded: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(encoded)) as image:
        return np.asarray(image.convert("RGB"))


def random_frames(*shape: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=shape, dtype=np.uint8)


def test_registered_lazily_and_built_by_name(tmp_path: Path) -> None:
    entry = default_registry().lookup("vis_backends", "TensorboardVisBackend")
    assert entry.dist == "vidcore-tensorboard"
    assert entry.import_string == "vidcore_tensorboard.backend:TensorboardVisBackend"
    backend = default_registry().build({"type": "TensorboardVisBackend"}, "vis_backends",
                                       default_args={"save_dir": str(tmp_path / "vis_data")})
    try:
        assert isinstance(backend, TensorboardVisBackend)
        assert backend.log_dir == str(tmp_path / "vis_data")
    finally:
        backend.close()


def test_protocol_conformance(tmp_path: Path) -> None:
    check_vis_backend(TensorboardVisBackend, tmp_path)
    assert set(read_events(tmp_path).Tags()["scalars"]) == {"loss", "lr", "acc/top1"}  # not iter


def test_loading_the_plugin_imports_neither_torch_nor_tensorboard() -> None:
    code = ("import sys; from vidcore.plugins import default_registry; "
            "default_registry().lookup('vis_backends', 'TensorboardVisBackend'); "
            "print(sorted(m for m in ('torch', 'tensorboard', 'vidcore_tensorboard.backend') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_scalars_are_written_with_their_steps(tmp_path: Path) -> None:
    backend = TensorboardVisBackend(save_dir=str(tmp_path))
    logged = {step: {"loss": 1.0 / step, "lr": 0.01 * step, "acc/top1": step / 10} for step in (1, 2, 5, 10)}
    for step, scalars in logged.items():
        backend.add_scalars(scalars, step)
    backend.add_scalars({"mode": "train", "note": None, "grad_norm": np.float32(2.5)}, 11)  # non-numbers skipped
    backend.close()

    events = read_events(tmp_path)
    assert set(events.Tags()["scalars"]) == {"loss", "lr", "acc/top1", "grad_norm"}
    for key in ("loss", "lr", "acc/top1"):
        read = [(event.step, event.value) for event in events.Scalars(key)]
        assert [step for step, _ in read] == list(logged)
        assert [value for _, value in read] == pytest.approx([logged[step][key] for step in logged], rel=1e-6)
    assert [(event.step, event.value) for event in events.Scalars("grad_norm")] == [(11, 2.5)]


def test_config_is_logged_as_a_yaml_code_block(tmp_path: Path) -> None:
    config = {"model": {"type": "Toy", "widths": (8, 16)}, "work_dir": "w", "optim_wrapper": {"lr": 0.1},
              "custom": Path("x")}
    backend = TensorboardVisBackend(save_dir=str(tmp_path))
    backend.add_config(config)
    backend.close()

    events = read_events(tmp_path)
    (tag,) = events.Tags()["tensors"]
    assert tag.startswith("config")
    text = events.Tensors(tag)[0].tensor_proto.string_val[0].decode()
    assert text.startswith("```yaml\n") and text.endswith("```")
    assert yaml.safe_load(text[len("```yaml\n"):-3]) == {
        "model": {"type": "Toy", "widths": [8, 16]}, "work_dir": "w", "optim_wrapper": {"lr": 0.1},
        "custom": "x"}


def test_images_round_trip_exactly(tmp_path: Path) -> None:
    first, second = random_frames(24, 32, 3, seed=1), random_frames(24, 32, 3, seed=2)
    backend = TensorboardVisBackend(save_dir=str(tmp_path))
    backend.add_image("val/sample", first, step=3)
    backend.add_image("val/sample", second, step=7)
    backend.close()

    images = read_events(tmp_path).Images("val/sample")
    assert [image.step for image in images] == [3, 7]
    assert (images[0].width, images[0].height) == (32, 24)
    np.testing.assert_array_equal(decode_png(images[0].encoded_image_string), first)
    np.testing.assert_array_equal(decode_png(images[1].encoded_image_string), second)


def test_video_without_moviepy_becomes_a_frame_grid(tmp_path: Path) -> None:
    clip = random_frames(10, 8, 12, 3, seed=3)
    backend = TensorboardVisBackend(save_dir=str(tmp_path), video_as_grid=True)
    backend.add_video("train/clip", clip, step=4, fps=2)
    backend.close()

    (image,) = read_events(tmp_path).Images("train/clip")
    grid = decode_png(image.encoded_image_string)
    assert image.step == 4 and grid.shape == (2 * 8, 8 * 12, 3)  # 10 frames, 8 per row
    np.testing.assert_array_equal(grid, frames_grid(clip))
    np.testing.assert_array_equal(grid[8:16, 12:24], clip[9])
    assert not grid[8:16, 24:].any()


def test_video_degrades_to_a_grid_when_moviepy_is_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backend_module, "_MOVIEPY", None)
    monkeypatch.setitem(sys.modules, "moviepy", None)  # `import moviepy.editor` raises ImportError
    backend = TensorboardVisBackend(save_dir=str(tmp_path))
    backend.add_video("clip", random_frames(2, 4, 4, 3), step=1)
    backend.close()
    assert read_events(tmp_path).Tags()["images"] == ["clip"]


def test_video_goes_to_add_video_when_moviepy_is_usable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backend_module, "_MOVIEPY", True)
    backend = TensorboardVisBackend(save_dir=str(tmp_path))
    calls = []
    monkeypatch.setattr(backend.writer, "add_video", lambda *args, **kwargs: calls.append((args, kwargs)))
    clip = random_frames(5, 4, 6, 3)
    backend.add_video("clip", clip, step=2, fps=8)
    backend.close()
    ((tag, tensor, step), kwargs), = calls
    assert (tag, step, kwargs) == ("clip", 2, {"fps": 8})
    assert tensor.shape == (1, 5, 3, 4, 6)  # N, T, C, H, W as SummaryWriter.add_video expects
    np.testing.assert_array_equal(tensor[0].transpose(0, 2, 3, 1), clip)


def test_rejects_arrays_outside_the_protocol(tmp_path: Path) -> None:
    backend = TensorboardVisBackend(save_dir=str(tmp_path))
    try:
        with pytest.raises(ValueError, match=r"'bad': expected a HxWx3 uint8 array, got shape \(4, 4\) float64"):
            backend.add_image("bad", np.zeros((4, 4)))
        with pytest.raises(ValueError, match="TxHxWx3"):
            backend.add_video("bad", np.zeros((4, 4, 3), dtype=np.uint8))
    finally:
        backend.close()
    backend.close()  # a second close is harmless


def test_log_dir_is_relative_to_save_dir(tmp_path: Path) -> None:
    backend = TensorboardVisBackend(save_dir=str(tmp_path / "vis_data"), log_dir="tb")
    backend.add_scalars({"loss": 1.0}, 1)
    backend.close()
    assert backend.log_dir == str(tmp_path / "vis_data" / "tb")
    assert [event.value for event in read_events(tmp_path / "vis_data" / "tb").Scalars("loss")] == [1.0]


def test_without_any_directory_the_build_error_says_what_is_needed() -> None:
    registry = Registry()
    registry.register("vis_backends", "TensorboardVisBackend", TensorboardVisBackend, dist="vidcore-tensorboard")
    with pytest.raises(BuildError, match="needs 'save_dir' .* or 'log_dir'"):
        registry.build({"type": "TensorboardVisBackend"}, "vis_backends")
