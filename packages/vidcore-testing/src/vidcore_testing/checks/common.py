"""What every conformance check needs: names for messages, a pickle round trip, seeding, deep comparison."""

from __future__ import annotations

import dataclasses
import math
import pickle
import random
import sys
from typing import Any, Mapping

__all__ = ["describe", "round_trip_pickle", "seed_everything", "first_difference", "call_checked"]


def describe(component: Any) -> str:
    """`ClassName` for a class or an instance, for the first words of an assertion message."""
    cls = component if isinstance(component, type) else type(component)
    return cls.__qualname__


def round_trip_pickle(obj: Any, what: str, why: str) -> Any:
    """A copy of `obj` made by pickling it; AssertionError naming `what` and `why` pickling matters if it fails."""
    try:
        return pickle.loads(pickle.dumps(obj))
    except Exception as exc:
        raise AssertionError(f"{what} is not picklable ({why}): {type(exc).__name__}: {exc}") from exc


def seed_everything(seed: int) -> None:
    """Seed Python's, NumPy's and torch's global generators, as a DataLoader worker's seed would."""
    import numpy
    import torch

    random.seed(seed)
    numpy.random.seed(seed)
    torch.manual_seed(seed)


def call_checked(what: str, function: Any, *args: Any, **kwargs: Any) -> Any:
    """Call `function`; an exception becomes an AssertionError that starts with `what` (the call, described)."""
    try:
        return function(*args, **kwargs)
    except AssertionError:
        raise
    except Exception as exc:
        raise AssertionError(f"{what} raised {type(exc).__name__}: {exc}") from exc


def first_difference(a: Any, b: Any, path: str = "results") -> str | None:
    """Where two nested values first differ (`results['imgs']: ...`), or None when they are equal."""
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        if set(a) != set(b):
            return f"{path} has keys {sorted(map(str, a))} then {sorted(map(str, b))}"
        for key in a:
            found = first_difference(a[key], b[key], f"{path}[{key!r}]")
            if found:
                return found
        return None
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        if len(a) != len(b):
            return f"{path} has {len(a)} items then {len(b)}"
        for index, (left, right) in enumerate(zip(a, b)):
            found = first_difference(left, right, f"{path}[{index}]")
            if found:
                return found
        return None
    if _is_array(a) or _is_array(b):
        return _array_difference(a, b, path)
    if type(a) is not type(b):
        return f"{path} is {type(a).__name__} then {type(b).__name__}"
    if isinstance(a, float) and math.isnan(a) and math.isnan(b):
        return None
    if dataclasses.is_dataclass(a):  # data samples: compare field by field (their == chokes on tensors)
        return first_difference(_fields(a), _fields(b), path)
    if type(a).__eq__ is object.__eq__ and hasattr(a, "__dict__"):  # plain objects: compare their attributes
        return first_difference(vars(a), vars(b), path)
    try:
        equal = bool(a == b)
    except Exception:  # objects whose == is ambiguous or broken: treat as equal rather than guess
        return None
    return None if equal else f"{path} is {a!r:.60} then {b!r:.60}"


def _fields(value: Any) -> dict[str, Any]:
    return {field.name: getattr(value, field.name) for field in dataclasses.fields(value)}


def _is_array(value: Any) -> bool:
    torch = sys.modules.get("torch")
    numpy = sys.modules.get("numpy")
    return bool((torch and isinstance(value, torch.Tensor)) or (numpy and isinstance(value, numpy.ndarray)))


def _array_difference(a: Any, b: Any, path: str) -> str | None:
    if type(a) is not type(b):
        return f"{path} is {type(a).__name__} then {type(b).__name__}"
    if tuple(a.shape) != tuple(b.shape) or a.dtype != b.dtype:
        return f"{path} has shape {tuple(a.shape)} {a.dtype} then {tuple(b.shape)} {b.dtype}"
    if hasattr(a, "detach"):  # torch: compare on the tensors themselves (numpy has no bfloat16)
        same = a.detach() == b.detach()
        if a.is_floating_point() or a.is_complex():
            same |= a.detach().isnan() & b.detach().isnan()
        equal = bool(same.all())
    else:
        import numpy

        equal = bool(numpy.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
    return None if equal else f"{path} holds different values"
