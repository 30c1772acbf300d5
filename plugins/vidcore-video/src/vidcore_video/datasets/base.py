"""`BaseActionDataset`: annotation loading and checks, label handling, the pipeline, and the decode-error
policy shared by the video and raw-frame datasets."""

from __future__ import annotations

import logging
import os
from typing import Any, Mapping, Sequence

import numpy as np
from torch.utils.data import Dataset
from vidcore.dataset import select_indices
from vidcore.errors import ConfigError, DataError

from ..errors import DecodeError
from ..transforms.compose import Compose
from .annotations import MAX_LISTED, AnnotationRecord, read_label_file

__all__ = ["BaseActionDataset", "DECODE_ERROR_POLICIES"]

logger = logging.getLogger("vidcore.video")

DECODE_ERROR_POLICIES = ("raise", "skip")


class BaseActionDataset(Dataset):
    """A list of annotated samples run through a pipeline of transforms.

    Subclasses implement `load_records()` and `media_path(record)`. At construction the annotation file is
    parsed (malformed lines and out-of-range labels reported together as `file:line`), and every missing
    media file is reported together in one DataError. `on_decode_error='skip'` replaces a sample whose file
    cannot be decoded by another index (at most `max_decode_retries` times, each logged with the path and
    counted in `skipped`); 'raise' stops with a DataError naming the file. `indices` keeps part of the
    annotations (the first N, or the listed positions), as mmengine's BaseDataset.
    """

    modality = "RGB"
    # The DataLoader's collate function unless the config names one: a batch's clips become one tensor inside
    # the workers, so the main process pins it and copies it to the device whole.
    collate_fn = "stack_inputs_collate"

    def __init__(self, ann_file: str | None, pipeline: Sequence[Any],
                 data_prefix: str | Mapping[str, str] | None = None, test_mode: bool = False,
                 multi_class: bool = False, num_classes: int | None = None,
                 start_index: int = 0, label_file: str | None = None, on_decode_error: str = "raise",
                 max_decode_retries: int = 10, delimiter: str | None = None, check_files: bool = True,
                 indices: int | Sequence[int] | None = None) -> None:
        if on_decode_error not in DECODE_ERROR_POLICIES:
            raise ConfigError(f"on_decode_error must be one of {DECODE_ERROR_POLICIES}, got {on_decode_error!r}")
        if max_decode_retries < 0:
            raise ConfigError(f"max_decode_retries must be >= 0, got {max_decode_retries}")
        if ann_file is None:  # a test-only config whose data comes from the command line (`vidcore infer`)
            raise ConfigError("ann_file is null, so there are no samples to load: set it to an annotation file "
                              "(--cfg-options <split>_dataloader.dataset.ann_file=FILE), or give the videos on the "
                              "command line: vidcore infer CFG CKPT VIDEO...")
        self.ann_file = os.fspath(ann_file)
        self.data_prefix = self._prefix(data_prefix)
        self.test_mode = test_mode
        self.multi_class = multi_class
        self.start_index = start_index
        self.on_decode_error = on_decode_error
        self.max_decode_retries = max_decode_retries
        self.delimiter = delimiter
        self.classes = read_label_file(os.fspath(label_file)) if label_file else None
        if self.classes is not None and num_classes is not None and num_classes != len(self.classes):
            raise ConfigError(f"num_classes={num_classes} but label file {label_file} names "
                              f"{len(self.classes)} classes")
        self.num_classes = num_classes if num_classes is not None else (len(self.classes) if self.classes else None)
        if multi_class and self.num_classes is None:
            raise ConfigError("multi_class=True needs num_classes (or a label_file) to build multi-hot labels")
        self.pipeline = Compose(pipeline)
        self.records: list[AnnotationRecord] = self.load_records()
        if indices is not None:  # a subset, as mmengine's BaseDataset: only its files need to exist
            self.records = [self.records[index] for index in select_indices(len(self.records), indices)]
        if check_files:
            self.check_missing_files()
        self.skipped = 0  # samples replaced because of decode errors, in this process
        self._undecodable: set[int] = set()

    @classmethod
    def check_config(cls, args: Mapping[str, Any]) -> list[tuple[str, str]]:
        """The decode-error policy as configured (see vidcore.registry.CHECK_METHOD)."""
        problems = []
        if args.get("on_decode_error", "raise") not in DECODE_ERROR_POLICIES:
            problems.append(("on_decode_error", f"must be one of {DECODE_ERROR_POLICIES}, "
                                                f"got {args['on_decode_error']!r}"))
        retries = args.get("max_decode_retries", 10)
        if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
            problems.append(("max_decode_retries", f"must be an integer >= 0, got {retries!r}"))
        return problems

    @classmethod
    def config_warnings(cls, args: Mapping[str, Any]) -> list[tuple[Any, str]]:
        """Files the dataset will read that are not there (yet: data may be mounted before the run)."""
        warnings = []
        for key in ("ann_file", "label_file"):
            path = args.get(key)
            if isinstance(path, str) and path and not os.path.isfile(path):
                warnings.append((key, f"{path} does not exist (the run needs it)"))
        prefix, key = args.get("data_prefix"), ("data_prefix",)
        if isinstance(prefix, Mapping):
            prefix, key = prefix.get(cls.prefix_key), ("data_prefix", cls.prefix_key)
        if isinstance(prefix, str) and prefix and not os.path.isdir(prefix):
            warnings.append((key, f"{prefix} is not a directory (the run reads the media there)"))
        return warnings

    # --- to implement -------------------------------------------------------------------------------
    prefix_key = "video"

    def load_records(self) -> list[AnnotationRecord]:
        raise NotImplementedError

    def media_path(self, record: AnnotationRecord) -> str:
        raise NotImplementedError

    # --- construction helpers -----------------------------------------------------------------------
    def _prefix(self, data_prefix: str | Mapping[str, str] | None) -> str:
        """mmaction2 writes `data_prefix=dict(video=root)` (or `img=` for frames); a plain path works too."""
        if data_prefix is None:
            return ""
        if isinstance(data_prefix, Mapping):
            return os.fspath(data_prefix.get(self.prefix_key, ""))
        return os.fspath(data_prefix)

    def join(self, relative: str) -> str:
        return os.path.join(self.data_prefix, relative) if self.data_prefix else relative

    def check_missing_files(self) -> None:
        missing = [self.media_path(record) for record in self.records if not os.path.exists(self.media_path(record))]
        if missing:
            kind = "video files" if self.prefix_key == "video" else "frame folders"
            listed = ", ".join(missing[:MAX_LISTED]) + (", ..." if len(missing) > MAX_LISTED else "")
            prefix = f" (data_prefix {self.data_prefix!r})" if self.data_prefix else ""
            raise DataError(f"{self.ann_file}: {len(missing)} of {len(self.records)} {kind} are missing{prefix}: "
                            f"{listed}")

    @property
    def metainfo(self) -> dict[str, Any]:
        """`{"classes": [...]}` when class names are known, else `{}`."""
        return {"classes": list(self.classes)} if self.classes else {}

    # --- samples ------------------------------------------------------------------------------------
    def label_of(self, record: AnnotationRecord) -> int | np.ndarray:
        if not self.multi_class:
            return record.labels[0]
        multi_hot = np.zeros(self.num_classes, dtype=np.float32)
        multi_hot[record.labels] = 1.0
        return multi_hot

    def get_cat_ids(self, index: int) -> list[int]:
        """The labels of sample `index` (what vidcore's ClassBalancedDataset balances)."""
        return list(self.records[index].labels)

    def get_data_info(self, index: int) -> dict[str, Any]:
        """The pipeline's input for sample `index`: the record's fields, label, start_index and modality."""
        record = self.records[index]
        info = dict(record.fields)
        info.update(label=self.label_of(record), start_index=self.start_index, modality=self.modality,
                     sample_idx=index)
        return info

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, index: int) -> dict[str, Any]:
        current = int(index)
        errors: list[DecodeError] = []
        for _ in range(self.max_decode_retries + 1):
            try:
                return self.pipeline(self.get_data_info(current))
            except DecodeError as error:
                if self.on_decode_error == "raise":
                    raise
                errors.append(error)
                self._undecodable.add(current)
                self.skipped += 1
                replacement = self._replacement(current)
                logger.warning("skipping undecodable %s (%s): sample %d replaced by %d; %d skipped so far",
                               error.path, error.reason, current, replacement, self.skipped)
                current = replacement
        raise DataError(f"gave up after {len(errors)} undecodable samples in a row (max_decode_retries="
                        f"{self.max_decode_retries}), starting at index {index}; last: {errors[-1]}")

    def _replacement(self, index: int) -> int:
        """The next index not yet known to be undecodable (wrapping around)."""
        for step in range(1, len(self.records) + 1):
            candidate = (index + step) % len(self.records)
            if candidate not in self._undecodable:
                return candidate
        return (index + 1) % len(self.records)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(ann_file={self.ann_file!r}, samples={len(self)}, "
                f"num_classes={self.num_classes}, test_mode={self.test_mode})")
