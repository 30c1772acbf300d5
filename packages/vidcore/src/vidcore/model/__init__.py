"""Model contract: `BaseModel.forward(inputs, data_samples, mode)` and the batch `BaseDataPreprocessor`."""

from ._base_model import BaseModel
from ._data_preprocessor import BaseDataPreprocessor, cast_data, stack_tensors

__all__ = ["BaseModel", "BaseDataPreprocessor", "cast_data", "stack_tensors"]
