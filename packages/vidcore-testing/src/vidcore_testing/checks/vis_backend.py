"""`check_vis_backend`: a visualizer backend accepts every call of the BaseVisBackend protocol."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

from .common import call_checked

__all__ = ["check_vis_backend"]

_CONFIG = {
    "model": {"type": "Recognizer2D", "cls_head": {"num_classes": 3, "dropout": None}},
    "train_cfg": {"max_epochs": 1},
    "param_scheduler": [{"type": "MultiStepLR", "milestones": [1, 2]}],
    "work_dir": "work_dirs/check",
}


def _protocol_calls() -> list[tuple[str, dict[str, Any]]]:
    """Each protocol method with keyword arguments shaped as the runner sends them, `close` last."""
    import numpy
    import torch

    image = numpy.zeros((8, 10, 3), dtype=numpy.uint8)
    image[:, :, 0] = numpy.arange(10, dtype=numpy.uint8) * 25
    frames = numpy.stack([numpy.roll(image, shift, axis=1) for shift in range(4)])
    return [
        ("add_config", {"config": _CONFIG}),
        ("add_scalars", {"scalars": {"loss": 0.75, "lr": 0.01, "acc/top1": 0.5}, "step": 1}),
        ("add_scalars", {"scalars": {"loss": 0.5, "iter": 2}, "step": 2}),
        ("add_image", {"name": "sample", "image": image, "step": 2}),
        ("add_video", {"name": "clip", "frames": frames, "step": 2, "fps": 4}),
        ("add_graph", {"model": torch.nn.Linear(4, 2), "data_batch": None}),
        ("close", {}),
    ]


def check_vis_backend(backend_cls: type, tmp_path: str | Path, **init_kwargs: Any) -> Any:
    """Build `backend_cls(save_dir=tmp_path, **init_kwargs)`, make every protocol call, close; return the backend.

    Arguments are passed by keyword with the protocol's names (config, scalars, step, name, image,
    frames, fps), as BaseVisBackend documents them: an image is HxWx3 uint8, a clip TxHxWx3 uint8.
    """
    assert isinstance(backend_cls, type), (
        f"check_vis_backend takes the backend class (the runner builds it with save_dir), got an instance of "
        f"{type(backend_cls).__name__}")
    name = backend_cls.__qualname__
    backend = call_checked(f"{name}(save_dir=...)", backend_cls, save_dir=str(tmp_path), **init_kwargs)
    for method_name, kwargs in _protocol_calls():
        method = getattr(backend, method_name, None)
        assert callable(method), f"{name} has no method {method_name}(); subclass vidcore.visualization.BaseVisBackend"
        _check_signature(name, method_name, method, kwargs)
        call_checked(f"{name}.{method_name}({', '.join(kwargs)})", method, **kwargs)
    return backend


def _check_signature(name: str, method_name: str, method: Any, kwargs: dict[str, Any]) -> None:
    try:
        signature = inspect.signature(method)
    except (TypeError, ValueError):
        return
    try:
        signature.bind(**kwargs)
    except TypeError as exc:
        raise AssertionError(f"{name}.{method_name}{signature} does not accept the protocol's arguments "
                             f"({', '.join(kwargs) or 'none'}): {exc}") from None
