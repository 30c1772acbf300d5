"""Checks a 3D-recognizer config before anything is built, so that `vidcore config check` reports what
building would refuse. Imports no torch."""

from __future__ import annotations

from typing import Any

from vidcore import ConfigError

__all__ = ["check_video3d_config", "NON_LOCAL_MODES"]

_RESNET3D = ("ResNet3d", "ResNet3dSlowOnly")
NON_LOCAL_MODES = ("embedded_gaussian", "dot_product", "gaussian")


def _is(component: Any, *names: str) -> bool:
    kind = component.get("type") if isinstance(component, dict) else None
    return isinstance(kind, str) and any(kind == name or kind.endswith(f"::{name}") for name in names)


def check_video3d_config(cfg: dict[str, Any]) -> None:
    """Raise a ConfigError naming the key for a Recognizer3D fed 2D frames or a non-local mode that is not
    supported (mmcv's 'concatenation')."""
    model = cfg.get("model")
    if not isinstance(model, dict) or not _is(model, "Recognizer3D"):
        return
    preprocessor = model.get("data_preprocessor")
    if isinstance(preprocessor, dict) and preprocessor.get("format_shape", "NCHW") != "NCTHW":
        raise ConfigError(f"model.data_preprocessor.format_shape: Recognizer3D takes clips, format_shape 'NCTHW'; "
                          f"got {preprocessor.get('format_shape', 'NCHW')!r}")
    backbone = model.get("backbone")
    pathways = [("model.backbone", backbone)] if _is(backbone, *_RESNET3D) else []
    if _is(backbone, "ResNet3dSlowFast"):
        pathways = [(f"model.backbone.{name}", backbone.get(name)) for name in ("slow_pathway", "fast_pathway")]
    for key, pathway in pathways:
        non_local_cfg = pathway.get("non_local_cfg") if isinstance(pathway, dict) else None
        mode = non_local_cfg.get("mode", NON_LOCAL_MODES[0]) if isinstance(non_local_cfg, dict) else None
        if mode is not None and mode not in NON_LOCAL_MODES:
            raise ConfigError(f"{key}.non_local_cfg.mode: one of {list(NON_LOCAL_MODES)} is supported, got {mode!r}")
