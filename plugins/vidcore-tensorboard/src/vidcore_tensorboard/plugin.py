"""Registers vidcore-tensorboard's components with vidcore, lazily: nothing heavy is imported here."""

from vidcore import hookimpl

__all__ = ["vidcore_register"]


@hookimpl
def vidcore_register(registry):
    registry.register("vis_backends", "TensorboardVisBackend", "vidcore_tensorboard.backend:TensorboardVisBackend")
