"""Fitting a migrated config to the installed components (a stand-in registry keeps the test independent)."""

from __future__ import annotations

from vidcore.registry import Registry
from vidcore_tsn.interop.diagnostics import Diagnostics, Reporter
from vidcore_tsn.interop.registry_fit import fit_to_registry


class Backbone:
    def __init__(self, depth: int = 50, pretrained: str | None = None, norm_eval: bool = False) -> None:
        pass


class Recognizer:
    def __init__(self, backbone, cls_head=None, data_preprocessor=None) -> None:
        pass


class Head:
    def __init__(self, num_classes: int, **kwargs) -> None:
        pass


class Transform:
    def __init__(self, scale=None) -> None:
        pass


class Dataset:
    def __init__(self, ann_file: str, pipeline: list, data_prefix: str = "") -> None:
        pass


def make_registry() -> Registry:
    registry = Registry()
    registry.register("models", "Recognizer2D", Recognizer, dist="vidcore-tsn")
    registry.register("models", "ResNet", Backbone, dist="vidcore-tsn")
    registry.register("models", "TSNHead", Head, dist="vidcore-tsn")
    registry.register("transforms", "Resize", Transform, dist="vidcore-video")
    registry.register("datasets", "VideoDataset", Dataset, dist="vidcore-video")
    registry.register("optimizers", "SGD", Transform, dist="vidcore")
    return registry


def fit(cfg: dict) -> tuple[dict, Diagnostics]:
    diagnostics = Diagnostics()
    return fit_to_registry(cfg, make_registry(), Reporter(diagnostics)), diagnostics


def test_arguments_are_fitted_to_signatures():
    cfg, diagnostics = fit({"model": {
        "type": "Recognizer2D",
        "backbone": {"type": "ResNet", "depth": 18, "style": "pytorch", "with_cp": True},
        "cls_head": {"type": "TSNHead", "num_classes": 3, "anything": 1},
    }})
    assert cfg["model"]["backbone"] == {"type": "ResNet", "depth": 18}
    assert cfg["model"]["cls_head"] == {"type": "TSNHead", "num_classes": 3, "anything": 1}  # **kwargs: kept
    assert [str(item) for item in diagnostics.warnings] == [
        "model.backbone.with_cp: vidcore's ResNet does not take 'with_cp' (= True); dropped"]
    assert "model.backbone.style: ResNet does not take 'style'; 'pytorch' is its behaviour anyway" in str(
        diagnostics.notes[0])


def test_unknown_types_removed_from_lists_kept_in_single_slots():
    cfg, diagnostics = fit({
        "train_dataloader": {"dataset": {
            "type": "VideoDataset", "ann_file": "a", "io_backend": "disk",
            "pipeline": [{"type": "Resize", "scale": [1, 2]}, {"type": "Imgaug", "transforms": "default"}]}},
        "model": {"type": "Recognizer3D"},
    })
    dataset = cfg["train_dataloader"]["dataset"]
    assert dataset["pipeline"] == [{"type": "Resize", "scale": [1, 2]}]
    assert "io_backend" not in dataset
    text = " | ".join(str(item) for item in diagnostics.warnings)
    assert ("train_dataloader.dataset.pipeline[1].type: 'Imgaug' is not a registered vidcore transforms component; "
            "removed") in text
    assert "model.type: 'Recognizer3D' is not a registered vidcore models component; kept" in text
    assert cfg["model"] == {"type": "Recognizer3D"}


def test_components_of_distributions_that_register_nothing_of_a_kind_are_kept_unchecked():
    cfg, diagnostics = fit({
        "default_hooks": {"checkpoint": {"type": "CheckpointHook", "interval": 1},
                          "sync": {"type": "SyncBuffersHook"}},
        "val_evaluator": {"type": "AccMetric", "unknown": 1},
        "visualizer": {"vis_backends": [{"type": "LocalVisBackend"}]},
    })
    assert cfg["default_hooks"]["checkpoint"] == {"type": "CheckpointHook", "interval": 1}
    assert cfg["val_evaluator"] == {"type": "AccMetric", "unknown": 1}
    assert not diagnostics.warnings
    assert any("CheckpointHook could not be checked" in str(item) for item in diagnostics.notes)
