"""Optimization: optimizer wrappers (accumulation, clipping, AMP), their constructor, parameter schedulers."""

from .amp_optim_wrapper import AmpOptimWrapper
from .constructor import DefaultOptimWrapperConstructor
from .optim_wrapper import OptimWrapper

__all__ = ["OptimWrapper", "AmpOptimWrapper", "DefaultOptimWrapperConstructor"]
