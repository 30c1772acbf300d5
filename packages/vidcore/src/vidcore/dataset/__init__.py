"""Dataset tools that know nothing about the data: mmengine's dataset wrappers and the `indices` subset.

Wrapped datasets are map-style torch datasets (`__len__`, `__getitem__`). The wrappers pass on what the
runner and other wrappers read from a dataset when the wrapped one has it:

- `metainfo` (a dict, e.g. `{"classes": [...]}`) and `collate_fn` (the batch's collate function);
- `get_data_info(index)`: the sample's annotation before its pipeline;
- `get_cat_ids(index) -> list[int]`: the categories (labels) of a sample, which `ClassBalancedDataset` needs.
"""

from ._subset import select_indices
from ._wrappers import ClassBalancedDataset, ConcatDataset, RepeatDataset

__all__ = ["ConcatDataset", "RepeatDataset", "ClassBalancedDataset", "select_indices"]
