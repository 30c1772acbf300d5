"""`check_transform`: a pipeline step returns the results dict, survives pickling and is seed-deterministic."""

from __future__ import annotations

import copy
from typing import Any, Mapping

from .common import call_checked, describe, first_difference, round_trip_pickle, seed_everything

__all__ = ["check_transform"]


def check_transform(transform: Any, results: Mapping[str, Any], *, seed: int = 0) -> dict:
    """Assert that `transform` honours the transform contract on `results`; return its output.

    - `transform(results)` returns a dict (a forgotten `return results` is the usual bug);
    - it pickles, and the copy behaves the same (DataLoader workers receive the pipeline by pickling);
    - two calls on copies of `results` under the same seed give equal outputs, so randomness comes from
      the global generators that each worker seeds (random, numpy, torch), not from a private one.
    `results` itself is never modified: every call gets a deep copy.
    """
    name = describe(transform)
    assert callable(transform), f"{name} is not callable: a transform is called as transform(results) -> dict"
    assert isinstance(results, Mapping), f"check_transform: results must be a dict, got {type(results).__name__}"
    unpickled = round_trip_pickle(transform, f"transform {name}",
                                  "DataLoader workers receive the pipeline by pickling it")
    first = _apply(transform, name, results, seed)
    difference = first_difference(first, _apply(transform, name, results, seed))
    assert difference is None, (
        f"{name} is not deterministic under a fixed seed: {difference} in two calls seeded with {seed}; "
        "draw random numbers from random, numpy.random or torch (seeded per worker), not from an unseeded "
        "or private generator")
    difference = first_difference(first, _apply(unpickled, name, results, seed))
    assert difference is None, f"{name} behaves differently after a pickle round trip: {difference}"
    return first


def _apply(transform: Any, name: str, results: Mapping[str, Any], seed: int) -> dict:
    seed_everything(seed)
    keys = ", ".join(map(str, results)) or "no keys"
    output = call_checked(f"{name}(results with {keys})", transform, copy.deepcopy(dict(results)))
    assert isinstance(output, dict), (
        f"{name}(results) returned {type(output).__name__}, not the results dict "
        "(does __call__ end with `return results`?)")
    return output
