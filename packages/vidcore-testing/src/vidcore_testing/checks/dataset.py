"""`check_dataset`: a map-style dataset has a length, yields dicts with the expected keys and pickles."""

from __future__ import annotations

from typing import Any, Sequence

from .common import call_checked, describe, first_difference, round_trip_pickle, seed_everything

__all__ = ["check_dataset"]


def check_dataset(dataset: Any, *, required_keys: Sequence[str] = ("inputs",), seed: int = 0) -> list[dict]:
    """Assert that `dataset` honours the dataset contract; return its first and last items.

    - `len(dataset)` is a positive int (samplers need it);
    - `dataset[0]` and `dataset[len - 1]` are dicts holding `required_keys` (by default `inputs`, which the
      data preprocessor reads; pass the keys your pipeline's first transform needs for a dataset without one);
    - it pickles, and the copy has the same length and yields the same first item under the same seed
      (DataLoader workers receive the dataset by pickling it).
    """
    name = describe(dataset)
    length = call_checked(f"len({name})", len, dataset)
    assert isinstance(length, int) and length > 0, f"len({name}) is {length!r}; a dataset needs at least one item"
    items = []
    for index in sorted({0, length - 1}):
        seed_everything(seed)
        item = call_checked(f"{name}[{index}]", dataset.__getitem__, index)
        assert isinstance(item, dict), f"{name}[{index}] is {type(item).__name__}, expected a dict"
        missing = [key for key in required_keys if key not in item]
        assert not missing, (f"{name}[{index}] lacks {', '.join(map(repr, missing))} "
                             f"(it has {', '.join(map(repr, item)) or 'no keys'})")
        items.append(item)
    unpickled = round_trip_pickle(dataset, f"dataset {name}", "DataLoader workers receive the dataset by pickling it")
    assert len(unpickled) == length, f"{name} has {len(unpickled)} items after a pickle round trip, {length} before"
    seed_everything(seed)
    difference = first_difference(items[0], call_checked(f"unpickled {name}[0]", unpickled.__getitem__, 0), "item")
    assert difference is None, f"{name}[0] differs after a pickle round trip: {difference}"
    return items
