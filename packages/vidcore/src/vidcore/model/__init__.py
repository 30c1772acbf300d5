"""Model contract: `BaseModel.forward(inputs, data_samples, mode)` and the batch `BaseDataPreprocessor`."""

from .base_model import BaseModel
from .data_preprocessor import BaseDataPreprocessor, cast_data, stack_tensors

__all__ = ["BaseModel", "BaseDataPreprocessor", "cast_data", "stack_tensors"]
