"""`Compose`: a pipeline of transforms, built from `type:` configs or given as built callables."""

from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

from vidcore.errors import ConfigError, DataError

from .clip import ArgumentMismatch

__all__ = ["Compose"]


class Compose:
    """Apply transforms in order. Config dicts are built from the `transforms` registry; built objects are
    used as given (the registry may already have built nested configs)."""

    def __init__(self, transforms: Sequence[Mapping[str, Any] | Callable[[dict], dict]] | None) -> None:
        if transforms is None:
            transforms = []
        if isinstance(transforms, Compose):
            transforms = transforms.transforms
        if isinstance(transforms, (str, Mapping)) or not isinstance(transforms, Sequence):
            raise ConfigError(f"pipeline must be a list of transforms, got {type(transforms).__name__}")
        self.transforms: list[Callable[[dict], dict]] = []
        for index, transform in enumerate(transforms):
            if isinstance(transform, Mapping):
                from vidcore.plugins import default_registry

                transform = default_registry().build(transform, "transforms", key_path=("pipeline", index))
            if not callable(transform):
                raise ConfigError(f"pipeline[{index}] must be a transform config or a callable, "
                                  f"got {type(transform).__name__}")
            self.transforms.append(transform)

    def __call__(self, results: dict) -> dict:
        for index, transform in enumerate(self.transforms):
            try:
                output = transform(results)
            except ArgumentMismatch as exc:
                raise DataError(f"pipeline[{index}].{exc.argument}: {exc.message}") from None
            if output is None:
                raise DataError(f"transform {type(transform).__name__} returned None for "
                                f"{results.get('filename') or results.get('frame_dir') or 'a sample'}")
            results = output
        return results

    def __len__(self) -> int:
        return len(self.transforms)

    def __repr__(self) -> str:
        inner = "".join(f"\n    {transform!r}," for transform in self.transforms)
        return f"Compose([{inner}\n])"
