"""`BaseModel`: the contract between the runner and any model a plugin registers."""

from __future__ import annotations

from typing import Any, Mapping

from torch import nn

from ._data_preprocessor import BaseDataPreprocessor


class BaseModel(nn.Module):
    """Subclass and implement `forward(inputs, data_samples=None, mode="tensor")`.

    - `mode="loss"`: return a dict of tensors; the runner sums the keys containing `loss` and logs each key.
    - `mode="predict"`: return a list of data samples (one per input) carrying the predictions for metrics.
    - `mode="tensor"`: return raw network outputs.
    `data_preprocessor` (a config dict, a module or None) prepares each batch before forward.
    """

    vidcore_raw_args = ("data_preprocessor",)

    def __init__(self, data_preprocessor: Mapping[str, Any] | nn.Module | None = None) -> None:
        super().__init__()
        if data_preprocessor is None:
            data_preprocessor = BaseDataPreprocessor()
        elif isinstance(data_preprocessor, Mapping):
            from ..plugins import default_registry

            data_preprocessor = default_registry().build(data_preprocessor, "models",
                                                         key_path=("model", "data_preprocessor"))
        self.data_preprocessor = data_preprocessor

    def forward(self, inputs: Any, data_samples: Any = None, mode: str = "tensor") -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement forward(inputs, data_samples, mode)")
