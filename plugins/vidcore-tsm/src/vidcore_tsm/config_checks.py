"""Checks a TSM config before anything is built: the frames per clip must agree across backbone, head and
pipelines, or training fails later (or, at test time, views are cut wrongly). Imports no torch."""

from __future__ import annotations

from typing import Any

from vidcore import ConfigError

__all__ = ["check_tsm_config"]

_DEFAULT_SEGMENTS = 8
_SAMPLERS = ("SampleFrames", "DenseSampleFrames")


def _is(component: Any, name: str) -> bool:
    kind = component.get("type") if isinstance(component, dict) else None
    return isinstance(kind, str) and (kind == name or kind.endswith(f"::{name}"))


def check_tsm_config(cfg: dict[str, Any]) -> None:
    """Raise a ConfigError naming the key when a ResNetTSM/TSMHead model and its pipelines disagree."""
    model = cfg.get("model")
    if not isinstance(model, dict) or not _is(model.get("backbone"), "ResNetTSM"):
        return
    backbone = model["backbone"]
    segments = backbone.get("num_segments", _DEFAULT_SEGMENTS)
    head = model.get("cls_head")
    if _is(head, "TSMHead"):
        head_segments = head.get("num_segments", _DEFAULT_SEGMENTS)
        if head_segments != segments:
            raise ConfigError(f"model.cls_head.num_segments: {head_segments} differs from model.backbone.num_segments "
                              f"{segments}; the head averages the frames the backbone shifts over, set both alike")
        pooled = bool(backbone.get("temporal_pool", False)) and backbone.get("is_shift", True)
        head_pooled = bool(head.get("temporal_pool", False)) and head.get("is_shift", True)
        if pooled != head_pooled:
            raise ConfigError(f"model.cls_head.temporal_pool: the backbone {'halves' if pooled else 'keeps'} the "
                              "frames (temporal_pool with is_shift); set the head's temporal_pool and is_shift alike")
    if not isinstance(segments, int) or segments < 1:
        return  # the backbone refuses it when built, with its own message
    for split in ("train", "val", "test"):
        dataset = (cfg.get(f"{split}_dataloader") or {}).get("dataset") or {}
        for index, step in enumerate(dataset.get("pipeline") or []):
            if not any(_is(step, name) for name in _SAMPLERS):
                continue
            frames = step.get("num_clips", 1) * step.get("clip_len", 1) * (2 if step.get("twice_sample") else 1)
            key = f"{split}_dataloader.dataset.pipeline.{index}.num_clips"
            if split == "train" and frames != segments:
                raise ConfigError(f"{key}: {frames} frames per clip in training, but model.backbone.num_segments is "
                                  f"{segments}; TSM shifts over exactly num_segments frames")
            if split != "train" and frames % segments:
                raise ConfigError(f"{key}: {frames} frames per video are not a multiple of "
                                  f"model.backbone.num_segments {segments}: a test view is num_segments frames")
