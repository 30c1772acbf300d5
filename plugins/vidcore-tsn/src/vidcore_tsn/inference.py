"""Python API for recognising videos with a trained recognizer: `init_recognizer`, `inference_recognizer`."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import torch
from torch import nn
from vidcore import CheckpointError, ConfigError, DataError

__all__ = ["Prediction", "init_recognizer", "inference_recognizer", "class_names_from", "read_label_file"]


@dataclass
class Prediction:
    """One video's result: the full `scores` (one per class), and the `topk` as (label, score, name)."""

    video: str
    scores: torch.Tensor
    topk: list[tuple[int, float, str | None]] = field(default_factory=list)

    @property
    def label(self) -> int:
        """The best class index."""
        return self.topk[0][0]

    @property
    def name(self) -> str | None:
        """The best class name, when class names are known."""
        return self.topk[0][2]


def init_recognizer(config: str | os.PathLike | Mapping[str, Any], checkpoint: str | os.PathLike | None = None,
                    device: str | torch.device = "cpu", cfg_options: Sequence[str] = (),
                    class_names: Sequence[str] | None = None) -> nn.Module:
    """Build the config's model, load `checkpoint` into it (every weight must fit) and put it in eval mode.

    The backbone's `pretrained` weights are not loaded (the checkpoint replaces them), so this works
    offline. The model keeps the resolved config (`model.cfg`), from which `inference_recognizer` takes
    the test pipeline, and `model.class_names` (given, from the checkpoint's `meta.dataset_meta`, or from
    the dataset config's `label_file` / `metainfo.classes`; None when unknown).
    """
    from vidcore import default_registry
    from vidcore.config import Config, load_config

    cfg = config if isinstance(config, Mapping) else load_config(config, cfg_options)
    data = cfg.to_dict() if isinstance(cfg, Config) else dict(cfg)
    if not isinstance(data.get("model"), Mapping):
        raise ConfigError(f"{getattr(cfg, 'filename', '<config>')}: model: missing, or not a model config")
    model_cfg = dict(data["model"])
    if checkpoint is not None and isinstance(model_cfg.get("backbone"), Mapping):
        model_cfg["backbone"] = {**model_cfg["backbone"], "pretrained": None}
    locate = cfg.locate if isinstance(cfg, Config) else None
    model = default_registry().build(model_cfg, "models", key_path=("model",), locate=locate)
    meta: Mapping[str, Any] = {}
    if checkpoint is not None:
        meta = _load_weights(model, str(checkpoint))
    model.cfg = data
    model.class_names = list(class_names) if class_names is not None else class_names_from(data, meta)
    return model.to(device).eval()


def inference_recognizer(model: nn.Module, videos: str | os.PathLike | Iterable[str | os.PathLike], topk: int = 5,
                         pipeline: Sequence[Any] | None = None, batch_size: int = 1) -> list[Prediction]:
    """Recognise each video with the model's test pipeline (or `pipeline`); one Prediction per video, in order.

    A missing video file raises a DataError naming it; a video that cannot be decoded raises the decoder's
    DataError.
    """
    from vidcore.runner import pseudo_collate
    from vidcore_video import Compose

    paths = [os.fspath(videos)] if isinstance(videos, (str, os.PathLike)) else [os.fspath(v) for v in videos]
    for path in paths:
        if not Path(path).is_file():
            raise DataError(f"{path}: video file not found")
    transforms = Compose(list(pipeline) if pipeline is not None else test_pipeline(model.cfg))
    names = getattr(model, "class_names", None)
    results = []
    for start in range(0, len(paths), batch_size):
        chunk = paths[start:start + batch_size]
        batch = pseudo_collate([transforms({"filename": path, "label": None, "start_index": 0, "modality": "RGB"})
                                for path in chunk])
        with torch.no_grad():
            data = model.data_preprocessor(batch, False)
            samples = model(**data, mode="predict")
        for path, sample in zip(chunk, samples):
            scores = sample.pred_score.float().cpu()
            values, labels = scores.topk(min(topk, scores.numel()))
            top = [(int(label), float(value), names[label] if names and label < len(names) else None)
                   for value, label in zip(values, labels)]
            results.append(Prediction(path, scores, top))
    return results


def test_pipeline(cfg: Mapping[str, Any]) -> list[Any]:
    """The test (else val) dataloader's pipeline, which turns a video file into the model's test views."""
    for split in ("test", "val"):
        pipeline = ((cfg.get(f"{split}_dataloader") or {}).get("dataset") or {}).get("pipeline")
        if pipeline:
            return list(pipeline)
    raise ConfigError("test_dataloader.dataset.pipeline: missing; inference needs the test pipeline of the config")


def class_names_from(cfg: Mapping[str, Any], meta: Mapping[str, Any] | None = None) -> list[str] | None:
    """Class names from checkpoint `meta.dataset_meta.classes`, else from a dataset config's `label_file`
    (one name per line) or `metainfo.classes` (test, val, then train dataloader); None when none says."""
    classes = ((meta or {}).get("dataset_meta") or {}).get("classes")
    if classes:
        return [str(name) for name in classes]
    for split in ("test", "val", "train"):
        dataset = (cfg.get(f"{split}_dataloader") or {}).get("dataset") or {}
        if (dataset.get("metainfo") or {}).get("classes"):
            return [str(name) for name in dataset["metainfo"]["classes"]]
        if dataset.get("label_file"):
            return read_label_file(dataset["label_file"], f"{split}_dataloader.dataset.label_file")
    return None


def read_label_file(path: str | os.PathLike, option: str) -> list[str]:
    """Class names, one per non-empty line; a missing file is a DataError naming `option` (the key or flag)."""
    file = Path(os.path.expanduser(str(path)))
    if not file.is_file():
        raise DataError(f"{option}: {file}: file not found")
    return [line.strip() for line in file.read_text(encoding="utf-8-sig").splitlines() if line.strip()]


def _load_weights(model: nn.Module, path: str) -> Mapping[str, Any]:
    """Load every weight of `path` into `model`; anything missing or mis-shaped is a CheckpointError."""
    from vidcore.checkpoint import load_checkpoint, load_state_dict

    checkpoint = load_checkpoint(path)
    report = load_state_dict(model, checkpoint, strict=False, source=path)
    missing = [key for key in report.missing_keys if not key.endswith("num_batches_tracked")]
    if missing or report.mismatched_shapes or not report.loaded_keys:
        problems = "; ".join(report.lines()) or "no weights"
        raise CheckpointError(f"{path}: does not fit the config's {type(model).__name__}: {problems}")
    meta = checkpoint.get("meta")
    return meta if isinstance(meta, Mapping) else {}
