"""`VisualizationHook`: every `interval` batches, draw a few clips with their labels and send them to the
visualizer backends (`runner.visualizer.add_image`) and to `work_dir/vis/*.png`.

Each sample becomes one row: up to `max_frames` frames of its first clip side by side, over a caption
`gt: <label>  pred: <label> (<score>)` (wrapped when wider than the frames), green when right and red
when wrong. The rows of one batch form one image. Inputs are taken from the batch before the data
preprocessor, so they are usually uint8 already, laid out as the preprocessor's `format_shape` says and
in BGR when it has `to_rgb`. Float inputs (a pipeline that normalises) are un-normalised with the hook's
`mean`/`std`, or stretched to 0-255.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
from vidcore.hooks import Hook

__all__ = ["VisualizationHook", "clip_frames", "to_uint8", "draw_samples"]

INPUT_FORMATS = ("NCTHW", "CTHW", "NCHW", "THWC")
_RIGHT, _WRONG, _NEUTRAL = (40, 170, 60), (210, 40, 40), (40, 40, 40)


class VisualizationHook(Hook):
    """Logs sampled clips with ground-truth and predicted labels during validation (and training/test).

    Args:
        interval: draw after every `interval`-th batch (batch index 0, interval, 2*interval, ...).
        max_samples: samples drawn per batch.
        max_frames: frames shown per sample, evenly spaced over the clip.
        train / test: also draw training batches (ground truth only) / test batches.
        class_names: label names; default: the dataset's `metainfo["classes"]` when it has one.
        mean / std: per-channel normalisation (0-255 scale) that the pipeline applied, undone for float inputs.
        input_format: layout of one sample's input (NCTHW, CTHW, NCHW, THWC); default: the data
            preprocessor's `format_shape`, else inferred from the axis of size 1 or 3.
        out_dir: folder under the work dir for the PNG files; null writes none.
    """

    def __init__(self, interval: int = 50, max_samples: int = 4, max_frames: int = 8, train: bool = False,
                 test: bool = False, class_names: list | None = None, mean: list | None = None,
                 std: list | None = None, input_format: str | None = None, out_dir: str | None = "vis") -> None:
        if interval < 1 or max_samples < 1 or max_frames < 1:
            raise ValueError("interval, max_samples and max_frames must be at least 1")
        if input_format is not None and input_format not in INPUT_FORMATS:
            raise ValueError(f"input_format must be one of {', '.join(INPUT_FORMATS)}, got {input_format!r}")
        self.interval = interval
        self.max_samples = max_samples
        self.max_frames = max_frames
        self.train = train
        self.test = test
        self.class_names = list(class_names) if class_names is not None else None
        self.mean = mean
        self.std = std
        self.input_format = input_format
        self.out_dir = out_dir

    def after_val_iter(self, runner: Any, batch_idx: int, data_batch: Any = None, outputs: Any = None) -> None:
        self._visualize(runner, "val", batch_idx, data_batch, outputs)

    def after_test_iter(self, runner: Any, batch_idx: int, data_batch: Any = None, outputs: Any = None) -> None:
        if self.test:
            self._visualize(runner, "test", batch_idx, data_batch, outputs)

    def after_train_iter(self, runner: Any, batch_idx: int, data_batch: Any = None, outputs: Any = None) -> None:
        if self.train:  # training outputs are losses: samples are drawn with their ground truth only
            self._visualize(runner, "train", batch_idx, data_batch, None)

    # --- drawing one batch --------------------------------------------------------------------------
    def _visualize(self, runner: Any, mode: str, batch_idx: int, data_batch: Any, outputs: Any) -> None:
        if batch_idx % self.interval or not isinstance(data_batch, Mapping) or not _is_main_process():
            return
        inputs = list(data_batch.get("inputs", []))[:self.max_samples]
        if not inputs:
            return
        gts = list(data_batch.get("data_samples") or [])
        predictions = list(outputs) if isinstance(outputs, (list, tuple)) else []
        preprocessor = _data_preprocessor(runner)
        layout = self.input_format or _known_format(getattr(preprocessor, "format_shape", None))
        bgr = bool(getattr(preprocessor, "to_rgb", False))
        mean, std = _vector(self.mean), _vector(self.std)
        names = self.class_names if self.class_names is not None else _dataset_classes(runner, mode)
        rows = []
        for index, sample_input in enumerate(inputs):
            frames = to_uint8(_evenly_spaced(clip_frames(sample_input, layout), self.max_frames), mean, std)
            if bgr:
                frames = frames[..., ::-1]
            gt = _label(gts[index], "gt_label") if index < len(gts) else None
            if gt is None and index < len(predictions):
                gt = _label(predictions[index], "gt_label")
            pred = _prediction(predictions[index]) if index < len(predictions) else None
            rows.append((frames, _caption(gt, pred, names), _color(gt, pred)))
        image = draw_samples(rows)
        step = int(getattr(runner, "iter", 0))
        visualizer = getattr(runner, "visualizer", None)
        if visualizer is not None:
            visualizer.add_image(f"{mode}_clips/batch_{batch_idx}", image, step=step)
        if self.out_dir is not None:
            self._save(runner, image, f"{mode}_iter{step:06d}_batch{batch_idx:04d}.png")

    def _save(self, runner: Any, image: np.ndarray, name: str) -> None:
        from PIL import Image

        folder = Path(getattr(runner, "work_dir", ".")) / self.out_dir
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray(image).save(folder / name)


def clip_frames(sample_input: Any, input_format: str | None = None) -> np.ndarray:
    """One sample's input as frames TxHxWxC (C = 1 or 3), from its first clip/crop; dtype unchanged.

    Layouts: NCTHW (clips, channels, time, h, w), CTHW, NCHW (frames or segments as N), THWC, and single
    images CHW/HWC. Without `input_format` the channel axis is the one of size 1 or 3.
    """
    array = _numpy(sample_input)
    layout = input_format or _infer_layout(array)
    if layout == "NCTHW":
        array = array[0].transpose(1, 2, 3, 0)
    elif layout == "CTHW":
        array = array.transpose(1, 2, 3, 0)
    elif layout == "NCHW":
        array = array.transpose(0, 2, 3, 1)
    elif layout == "CHW":
        array = array.transpose(1, 2, 0)[None]
    elif layout == "HWC":
        array = array[None]
    if array.ndim != 4 or array.shape[-1] not in (1, 3):
        raise ValueError(f"cannot read frames from an input of shape {tuple(_numpy(sample_input).shape)} "
                         f"as {layout}; set VisualizationHook's input_format")
    return array


def _infer_layout(array: np.ndarray) -> str:
    shape = array.shape
    if array.ndim == 5:
        return "NCTHW"
    if array.ndim == 4:
        if shape[1] in (1, 3):
            return "NCHW"
        if shape[-1] in (1, 3):
            return "THWC"
        if shape[0] in (1, 3):
            return "CTHW"
    if array.ndim == 3:
        return "CHW" if shape[0] in (1, 3) and shape[-1] not in (1, 3) else "HWC"
    return "unknown"


def to_uint8(frames: np.ndarray, mean: np.ndarray | None = None, std: np.ndarray | None = None) -> np.ndarray:
    """Frames TxHxWxC as TxHxWx3 uint8, grey made RGB. Float frames are un-normalised with `mean`/`std`;
    without them, values in 0-1 are scaled to 0-255 and values outside 0-255 stretched to it."""
    if frames.dtype != np.uint8:
        values = frames.astype(np.float32)
        if mean is not None and std is not None:
            values = values * std.reshape(1, 1, 1, -1) + mean.reshape(1, 1, 1, -1)
        elif values.size and 0.0 <= values.min() and values.max() <= 1.0:
            values = values * 255.0
        elif values.size and (values.min() < 0.0 or values.max() > 255.0):
            low, high = float(values.min()), float(values.max())
            values = (values - low) * (255.0 / max(high - low, 1e-6))
        frames = np.clip(np.rint(values), 0, 255).astype(np.uint8)
    if frames.shape[-1] == 1:
        frames = np.repeat(frames, 3, axis=-1)
    return frames


def draw_samples(rows: Sequence[tuple[np.ndarray, str, tuple[int, int, int]]]) -> np.ndarray:
    """Stack (frames, caption, colour) rows into one HxWx3 uint8 image: frames in a row, caption below,
    wrapped onto as many lines as the row's width needs (the row is widened only for a word wider than it)."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.load_default()
    ascent, descent = font.getmetrics()
    line_height = ascent + descent
    strips = []
    for frames, caption, color in rows:
        strip = np.concatenate(list(frames), axis=1)
        widest_word = max(font.getlength(word) for word in caption.split(" "))
        width = max(strip.shape[1], int(np.ceil(widest_word)) + 2 * _MARGIN)
        lines = _wrap(caption, font, width - 2 * _MARGIN)
        band = Image.new("RGB", (width, 2 * _MARGIN - 1 + line_height * len(lines)), (255, 255, 255))
        draw = ImageDraw.Draw(band)
        for index, line in enumerate(lines):
            draw.text((_MARGIN, _MARGIN + index * line_height), line, fill=color, font=font)
        strip = np.pad(strip, ((0, 0), (0, width - strip.shape[1]), (0, 0)), constant_values=255)
        strips.append(np.concatenate([strip, np.asarray(band)], axis=0))
    width = max(strip.shape[1] for strip in strips)
    padded = [np.pad(strip, ((0, 2), (0, width - strip.shape[1]), (0, 0)), constant_values=255) for strip in strips]
    return np.concatenate(padded, axis=0)


_MARGIN = 3  # pixels around a caption
_PART_SEPARATOR = "   "  # between `gt: ...` and `pred: ...`


def _wrap(caption: str, font: Any, width: float) -> list[str]:
    """`caption` as lines at most `width` pixels wide in `font`: whole when it fits, else `gt: ...` and
    `pred: ...` on lines of their own, each broken between words (a word wider than `width` stays whole)."""
    if font.getlength(caption) <= width:
        return [caption]
    lines: list[str] = []
    for part in caption.split(_PART_SEPARATOR):
        line = ""
        for word in part.split(" "):
            candidate = f"{line} {word}" if line else word
            if line and font.getlength(candidate) > width:
                lines.append(line)
                candidate = word
            line = candidate
        lines.append(line)
    return lines


# --- helpers -----------------------------------------------------------------------------------------
def _numpy(value: Any) -> np.ndarray:
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    return np.asarray(value)


def _data_preprocessor(runner: Any) -> Any:
    model = getattr(runner, "model", None)
    return getattr(getattr(model, "module", model), "data_preprocessor", None)


def _known_format(value: Any) -> str | None:
    return value if value in INPUT_FORMATS else None


def _vector(value: Any) -> np.ndarray | None:
    return None if value is None else _numpy(value).astype(np.float32).reshape(-1)


def _evenly_spaced(frames: np.ndarray, count: int) -> np.ndarray:
    if len(frames) <= count:
        return frames
    return frames[np.linspace(0, len(frames) - 1, count).round().astype(int)]


def _field(sample: Any, name: str) -> Any:
    value = getattr(sample, name, None)
    if value is None and hasattr(sample, "get"):
        value = sample.get(name)
    return value


def _label(sample: Any, name: str) -> int | None:
    """A class index from an int label, a 1-element tensor, or a one-hot/soft label (its argmax)."""
    value = _field(sample, name)
    if value is None:
        return None
    array = _numpy(value).reshape(-1)
    if array.size == 0:
        return None
    if array.size == 1 or not np.issubdtype(array.dtype, np.floating):
        return int(array[0])
    return int(array.argmax())


def _prediction(sample: Any) -> tuple[int, float] | None:
    scores = _field(sample, "pred_score")
    if scores is not None:
        array = _numpy(scores).astype(np.float32).reshape(-1)
        return int(array.argmax()), float(array.max())
    label = _label(sample, "pred_label")
    return None if label is None else (label, float("nan"))


def _name(index: int, names: Sequence[str] | None) -> str:
    return str(names[index]) if names is not None and 0 <= index < len(names) else str(index)


def _caption(gt: int | None, pred: tuple[int, float] | None, names: Sequence[str] | None) -> str:
    parts = [f"gt: {_name(gt, names)}" if gt is not None else "gt: ?"]
    if pred is not None:
        label, score = pred
        parts.append(f"pred: {_name(label, names)}" + ("" if np.isnan(score) else f" ({score:.2f})"))
    return _PART_SEPARATOR.join(parts)


def _color(gt: int | None, pred: tuple[int, float] | None) -> tuple[int, int, int]:
    if gt is None or pred is None:
        return _NEUTRAL
    return _RIGHT if pred[0] == gt else _WRONG


def _dataset_classes(runner: Any, mode: str) -> list | None:
    loader = getattr(runner, f"{mode}_dataloader", None)
    metainfo = getattr(getattr(loader, "dataset", None), "metainfo", None)
    classes = metainfo.get("classes") if isinstance(metainfo, dict) else None
    return list(classes) if classes is not None else None


def _is_main_process() -> bool:
    import torch.distributed as dist

    return not (dist.is_available() and dist.is_initialized()) or dist.get_rank() == 0
