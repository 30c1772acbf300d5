"""mmaction2 `model` -> vidcore-tsn `model`: recognizer, ResNet backbone, TSN head, 0.x train/test settings."""

from __future__ import annotations

import re
from typing import Any

from .diagnostics import Reporter

__all__ = ["map_model", "map_pretrained"]

_TEST_CFG_KEYS = ("average_clips", "num_segs", "max_testing_views", "feature_extraction")
# torchvision's download URLs of ResNet ImageNet weights, as mmaction2 1.x configs write them.
_TORCHVISION_URL = re.compile(r"^https?://download\.pytorch\.org/models/(resnet\d+)-([0-9a-f]+)\.pth$")
_TORCHVISION_BACKBONE = re.compile(r"^torchvision\.resnet(\d+)$")


def map_model(model: Any, reporter: Reporter) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The vidcore model config, and a 0.x `train_cfg.blending` to move into the data preprocessor."""
    if not isinstance(model, dict):
        reporter.warn("model", f"expected a dict, got {type(model).__name__}; dropped", dropped=True)
        return {}, None
    model = dict(model)
    blending = None
    if isinstance(model.get("backbone"), dict):
        model["backbone"] = _map_backbone(dict(model["backbone"]), reporter)
    if "neck" in model:
        reporter.warn("model.neck", "necks are not supported by vidcore-tsn's Recognizer2D; dropped", dropped=True)
        model.pop("neck")
    head = model.get("cls_head")
    if isinstance(head, dict) and head.get("multi_class"):
        reporter.warn("model.cls_head.multi_class", "multi-label heads are not supported by TSNHead; dropped",
                      dropped=True)
    train_cfg = model.pop("train_cfg", None)
    if isinstance(train_cfg, dict):
        train_cfg = dict(train_cfg)
        blending = train_cfg.pop("blending", None)
        for key in train_cfg:
            reporter.warn(f"model.train_cfg.{key}", "no vidcore equivalent; dropped", dropped=True)
    elif train_cfg is not None:
        reporter.warn("model.train_cfg", f"unexpected value {train_cfg!r}; dropped", dropped=True)
    test_cfg = model.pop("test_cfg", None)
    if isinstance(test_cfg, dict):
        kept = {k: v for k, v in test_cfg.items() if k in _TEST_CFG_KEYS}
        for key in sorted(set(test_cfg) - set(kept)):
            reporter.warn(f"model.test_cfg.{key}", "no Recognizer2D test_cfg equivalent; dropped", dropped=True)
        if kept:
            model["test_cfg"] = kept
    elif test_cfg is not None:
        reporter.warn("model.test_cfg", f"unexpected value {test_cfg!r}; dropped", dropped=True)
    preprocessor = model.get("data_preprocessor")
    if isinstance(preprocessor, dict) and blending is not None and "blending" not in preprocessor:
        preprocessor["blending"] = blending
        blending = None
    return model, blending


def _map_backbone(backbone: dict[str, Any], reporter: Reporter) -> dict[str, Any]:
    kind = backbone.get("type")
    match = _TORCHVISION_BACKBONE.match(kind if isinstance(kind, str) else "")
    if match:
        reporter.note("model.backbone.type", f"{kind} -> ResNet(depth={match.group(1)}) (torchvision layout)")
        backbone["type"] = "ResNet"
        backbone["depth"] = int(match.group(1))
        if backbone.pop("weights", None) is not None or backbone.pop("pretrained", None) is True:
            backbone["pretrained"] = f"torchvision://resnet{match.group(1)}"
    if isinstance(backbone.get("pretrained"), str):  # ResNet, and backbones built on it (vidcore-tsm's ResNetTSM)
        backbone["pretrained"] = map_pretrained(backbone["pretrained"], "model.backbone.pretrained", reporter)
    return backbone


def map_pretrained(source: str, key: str, reporter: Reporter) -> str:
    """torchvision download URLs -> `torchvision://Weights.NAME`; OpenMMLab schemes are reported."""
    match = _TORCHVISION_URL.match(source)
    if match:
        weights = _torchvision_weights_for(source, match.group(1))
        if weights:
            reporter.note(key, f"{source} -> {weights}")
            return weights
        reporter.warn(key, f"unknown torchvision URL {source}; download it and point `pretrained` at the file")
        return source
    if source.startswith(("open-mmlab://", "mmcls://", "mmpretrain://", "openmmlab://", "http://", "https://")):
        reporter.warn(key, f"{source} cannot be loaded by vidcore-tsn's ResNet (torchvision:// or a local file); "
                      "download it and convert it with `vidcore convert-checkpoint`")
    return source


def _torchvision_weights_for(url: str, arch: str) -> str | None:
    """`torchvision://ResNet50_Weights.IMAGENET1K_V2` for the torchvision weights published at `url`."""
    try:
        from torchvision import models
    except ImportError:  # torchvision is a dependency of vidcore-tsn; keep the URL if it is broken
        return None
    try:
        enum = models.get_model_weights(arch)
    except (ValueError, KeyError):
        return None
    for weights in enum:
        if weights.url == url:
            if weights.name == "IMAGENET1K_V1":
                return f"torchvision://{arch}"
            return f"torchvision://{enum.__name__}.{weights.name}"
    return None
