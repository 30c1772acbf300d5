"""`DumpResults`: a metric that writes every prediction to a JSON or pickle file (`vidcore test --dump`)."""

from __future__ import annotations

import json
import os
import pickle
from pathlib import Path
from typing import Any, Sequence

from ..errors import ConfigError
from ._metric import BaseMetric

DUMP_SUFFIXES = (".json", ".pkl", ".pickle")


class DumpResults(BaseMetric):
    """Collects the predicted data samples as plain data (dicts, lists, numbers) in dataset order and
    writes them, on rank 0, to `out_file`: a JSON list for `.json`, a pickled list for `.pkl`."""

    def __init__(self, out_file: str, collect_device: str = "cpu") -> None:
        super().__init__(collect_device=collect_device)
        if Path(out_file).suffix.lower() not in DUMP_SUFFIXES:
            raise ConfigError(f"--dump {out_file}: expected a .json or .pkl file name")
        self.out_file = out_file

    def process(self, data_batch: Any, data_samples: Sequence[Any]) -> None:
        from .._plain_data import to_plain

        self.results.extend(to_plain(sample) for sample in data_samples)

    def compute_metrics(self, results: list[Any]) -> dict[str, float]:
        from ..dist import is_main_process

        if is_main_process():
            path = Path(self.out_file)
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_name(f".{path.name}.tmp")
            if path.suffix.lower() == ".json":
                temporary.write_text(json.dumps(results), encoding="utf-8")
            else:
                temporary.write_bytes(pickle.dumps(results))
            os.replace(temporary, path)
        return {}
