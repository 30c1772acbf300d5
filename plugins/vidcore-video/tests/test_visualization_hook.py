"""VisualizationHook: sampled clips with labels reach the visualizer and work_dir/vis/*.png, pixel for pixel."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
import torch
from PIL import Image
from vidcore_video.data_sample import ActionDataSample
from vidcore_video.visualization_hook import (
    VisualizationHook,
    _caption,
    clip_frames,
    draw_samples,
    to_uint8,
)

H, W, CAPTION = 8, 40, 18  # frames wide enough for a one-line caption
GREEN, RED = np.array([40, 170, 60]), np.array([210, 40, 40])


class RecordingVisualizer:
    def __init__(self) -> None:
        self.images: list[tuple[str, np.ndarray, int]] = []

    def add_image(self, name: str, image: np.ndarray, step: int = 0) -> None:
        self.images.append((name, image, step))


def make_runner(tmp_path: Path, **model: Any) -> SimpleNamespace:
    return SimpleNamespace(work_dir=str(tmp_path), iter=12, epoch=2, visualizer=RecordingVisualizer(),
                           model=SimpleNamespace(data_preprocessor=SimpleNamespace(**model)),
                           val_dataloader=SimpleNamespace(dataset=SimpleNamespace(metainfo={"classes": list("abc")})))


def solid_clip(sample: int, frames: int) -> np.ndarray:
    """TxHxWx3 uint8, every frame one colour that encodes (sample, frame)."""
    colors = np.array([[sample * 60 + 10, frame * 20 + 5, 200 - frame * 10] for frame in range(frames)], dtype=np.uint8)
    return np.broadcast_to(colors[:, None, None, :], (frames, H, W, 3)).copy()


def batch_ncthw(samples: int, frames: int) -> tuple[dict, list[np.ndarray]]:
    clips = [solid_clip(sample, frames) for sample in range(samples)]
    inputs = [torch.from_numpy(clip).permute(3, 0, 1, 2)[None].contiguous() for clip in clips]  # 1 x C x T x H x W
    samples_ = [ActionDataSample(gt_label=index % 3) for index in range(samples)]
    return {"inputs": inputs, "data_samples": samples_}, clips


def predictions(labels: list[int]) -> list[ActionDataSample]:
    return [ActionDataSample(gt_label=index % 3, pred_score=torch.nn.functional.one_hot(torch.tensor(label), 3).float())
            for index, label in enumerate(labels)]


def has_color(region: np.ndarray, color: np.ndarray) -> bool:
    return bool((np.abs(region.astype(int) - color).sum(axis=-1) < 60).any())


def test_val_batches_every_interval_are_drawn_and_saved(tmp_path: Path) -> None:
    runner = make_runner(tmp_path)
    hook = VisualizationHook(interval=2, max_samples=2, max_frames=4)
    data_batch, clips = batch_ncthw(samples=3, frames=7)
    outputs = predictions([0, 2, 2])  # sample 0 right, sample 1 wrong (gt 1)
    for batch_idx in range(3):
        hook.after_val_iter(runner, batch_idx, data_batch, outputs)

    assert [(name, step) for name, _, step in runner.visualizer.images] == [
        ("val_clips/batch_0", 12), ("val_clips/batch_2", 12)]
    image = runner.visualizer.images[0][1]
    row_height = H + CAPTION + 2
    assert image.dtype == np.uint8 and image.shape == (2 * row_height, 4 * W, 3)
    for sample in range(2):
        top = sample * row_height
        for column, frame in enumerate([0, 2, 4, 6]):  # 4 of 7 frames, evenly spaced
            np.testing.assert_array_equal(image[top:top + H, column * W:(column + 1) * W], clips[sample][frame])
    first_caption, second_caption = image[H:H + CAPTION], image[row_height + H:row_height + H + CAPTION]
    assert has_color(first_caption, GREEN) and not has_color(first_caption, RED)
    assert has_color(second_caption, RED) and not has_color(second_caption, GREEN)

    saved = sorted((tmp_path / "vis").glob("*.png"))
    assert [path.name for path in saved] == ["val_iter000012_batch0000.png", "val_iter000012_batch0002.png"]
    with Image.open(saved[0]) as png:
        np.testing.assert_array_equal(np.asarray(png.convert("RGB")), image)


def test_inputs_normalised_by_the_pipeline_are_brought_back_to_uint8(tmp_path: Path) -> None:
    mean, std = [120.0, 110.0, 100.0], [50.0, 60.0, 70.0]
    runner = make_runner(tmp_path)
    clip = solid_clip(1, 3)
    normalised = (torch.from_numpy(clip).float() - torch.tensor(mean)) / torch.tensor(std)  # T x H x W x C
    inputs = [normalised.permute(0, 3, 1, 2).contiguous()]  # NCHW: the frames are the N axis
    hook = VisualizationHook(interval=1, out_dir=None, mean=mean, std=std)
    hook.after_val_iter(runner, 0, {"inputs": inputs, "data_samples": [ActionDataSample(gt_label=1)]}, None)
    (_, image, _), = runner.visualizer.images
    np.testing.assert_array_equal(image[:H], np.concatenate(list(clip), axis=1))
    assert not (tmp_path / "vis").exists()


def test_float_inputs_without_statistics_are_stretched_to_the_byte_range() -> None:
    frames = np.linspace(-2.0, 3.0, 2 * H * W * 3, dtype=np.float32).reshape(2, H, W, 3)
    out = to_uint8(frames)
    assert out.dtype == np.uint8 and out.min() == 0 and out.max() == 255
    assert to_uint8(np.full((1, 2, 2, 3), 0.5, np.float32)).max() == 128  # 0-1 floats are scaled


def test_layout_and_channel_order_follow_the_data_preprocessor(tmp_path: Path) -> None:
    runner = make_runner(tmp_path, format_shape="NCTHW", to_rgb=True)
    clip = solid_clip(0, 3)  # T x H x W x RGB
    bgr_input = torch.from_numpy(clip[..., ::-1].copy()).permute(3, 0, 1, 2)  # C x T x H x W, as read in BGR
    three_views = bgr_input[None].repeat(3, 1, 1, 1, 1)  # 3 views (clips x crops) of the clip
    VisualizationHook(interval=1, out_dir=None).after_val_iter(runner, 0, {"inputs": [three_views]}, None)
    (_, image, _), = runner.visualizer.images
    np.testing.assert_array_equal(image[:H], np.concatenate(list(clip), axis=1))


def test_training_batches_only_when_asked(tmp_path: Path) -> None:
    runner = make_runner(tmp_path)
    data_batch, _ = batch_ncthw(samples=1, frames=2)
    VisualizationHook(interval=1).after_train_iter(runner, 0, data_batch, {"loss": torch.tensor(1.0)})
    assert runner.visualizer.images == []
    VisualizationHook(interval=1, train=True).after_train_iter(runner, 0, data_batch, {"loss": torch.tensor(1.0)})
    assert [name for name, _, _ in runner.visualizer.images] == ["train_clips/batch_0"]
    VisualizationHook(interval=1).after_test_iter(runner, 0, data_batch, predictions([0]))
    assert len(runner.visualizer.images) == 1


def test_captions_use_class_names() -> None:
    assert _caption(1, (2, 0.875), ["run", "jump", "swim"]) == "gt: jump   pred: swim (0.88)"
    assert _caption(4, None, ["run"]) == "gt: 4"
    assert _caption(None, (0, float("nan")), None) == "gt: ?   pred: 0"


@pytest.mark.parametrize(("shape", "layout", "frames"), [
    ((2, 3, 5, H, W), None, 5), ((3, 5, H, W), None, 5), ((6, 3, H, W), None, 6), ((4, H, W, 3), None, 4),
    ((4, 1, H, W), None, 4), ((3, 2, H, W), "CTHW", 2), ((3, H, W), None, 1),
])
def test_clip_frames_layouts(shape: tuple[int, ...], layout: str | None, frames: int) -> None:
    out = clip_frames(torch.zeros(shape, dtype=torch.uint8), layout)
    assert out.shape[0] == frames and out.shape[1:3] == (H, W) and out.shape[-1] in (1, 3)
    assert to_uint8(out).shape == (frames, H, W, 3)


def test_unreadable_input_names_the_option() -> None:
    with pytest.raises(ValueError, match="shape \\(2, 5, 7\\).*set VisualizationHook's input_format"):
        clip_frames(np.zeros((2, 5, 7, 9, 11)).sum(axis=(3, 4)))


def test_draw_samples_pads_rows_to_one_width() -> None:
    rows = [(np.zeros((2, H, W, 3), np.uint8), "gt: a", (0, 0, 0)),
            (np.zeros((1, H, W, 3), np.uint8), "gt: b", (0, 0, 0))]
    image = draw_samples(rows)
    assert image.shape == (2 * (H + CAPTION + 2), 2 * W, 3)
    assert (image[H + CAPTION + 2:H + CAPTION + 2 + H, W:] == 255).all()  # the short row is padded white


def ink(region: np.ndarray, color: np.ndarray) -> int:
    """Pixels of `region` drawn in (anti-aliased) `color` on white."""
    return int((np.abs(region.astype(int) - 255).sum(axis=-1) > 120).sum())


def test_long_captions_wrap_within_the_row_and_nothing_is_cut_off(tmp_path: Path) -> None:
    """The demo's look: 3 segments of 48 px (a 144 px row) and long class names; the PNG read back holds the
    whole caption (as much ink as the caption drawn on a canvas wide enough) on two lines inside the row."""
    from PIL import ImageDraw, ImageFont

    classes = ["horizontal_stripes", "vertical_stripes"]
    runner = make_runner(tmp_path)
    runner.val_dataloader.dataset.metainfo["classes"] = classes
    frames = np.full((1, 3, 3, 40, 48), 90, np.uint8)  # N C T H W: three 48 px frames
    batch = {"inputs": [torch.from_numpy(frames)], "data_samples": [ActionDataSample(gt_label=0)]}
    outputs = [ActionDataSample(gt_label=0, pred_score=torch.tensor([0.47, 0.53]))]
    VisualizationHook(interval=1).after_val_iter(runner, 0, batch, outputs)

    (saved,) = (tmp_path / "vis").glob("*.png")
    with Image.open(saved) as png:
        image = np.asarray(png.convert("RGB"))
    caption = "gt: horizontal_stripes   pred: vertical_stripes (0.53)"
    font = ImageFont.load_default()
    assert font.getlength(caption) > 144  # it would not fit on one line
    assert image.shape[1] == 144  # wrapped, not widened
    band = image[40:]
    text_rows = np.flatnonzero((np.abs(band.astype(int) - 255).sum(axis=-1) > 120).any(axis=1))
    assert text_rows.max() - text_rows.min() > 13  # more than one line of text
    assert not (np.abs(band[:, -2:].astype(int) - 255).sum(axis=-1) > 120).any()  # nothing runs into the edge
    reference = Image.new("RGB", (400, 18), (255, 255, 255))
    ImageDraw.Draw(reference).text((3, 3), caption, fill=tuple(RED), font=font)
    assert abs(ink(band, RED) - ink(np.asarray(reference), RED)) <= 0.03 * ink(np.asarray(reference), RED)
    assert has_color(band, RED) and not has_color(band, GREEN)
