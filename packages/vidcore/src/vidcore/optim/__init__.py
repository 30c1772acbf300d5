"""Optimization: optimizer wrappers (accumulation, clipping, AMP), their constructor, parameter schedulers."""

from ._amp_optim_wrapper import AmpOptimWrapper
from ._constructor import DefaultOptimWrapperConstructor
from ._optim_wrapper import OptimWrapper

__all__ = ["OptimWrapper", "AmpOptimWrapper", "DefaultOptimWrapperConstructor"]
