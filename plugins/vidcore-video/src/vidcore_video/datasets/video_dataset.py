"""`VideoDataset`: videos listed as `path label` (or `path l1 l2 ...` with `multi_class`) lines."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from .annotations import AnnotationRecord, load_annotations, parse_labels
from .base import BaseActionDataset

__all__ = ["VideoDataset"]


class VideoDataset(BaseActionDataset):
    """Video files with labels, as in mmaction2: each annotation line is `relative/path.mp4 label` (paths
    are joined to `data_prefix`); a `.json` annotation file holds `[{"filename": ..., "label": ...}]`.
    Samples reach the pipeline as `{"filename", "label", "start_index", "modality"}`."""

    prefix_key = "video"

    def __init__(self, ann_file: str | None, pipeline: Sequence[Any],
                 data_prefix: str | Mapping[str, str] | None = None,
                 start_index: int = 0, num_classes: int | None = None, multi_class: bool = False,
                 label_file: str | None = None, test_mode: bool = False, on_decode_error: str = "raise",
                 max_decode_retries: int = 10, delimiter: str | None = None, check_files: bool = True,
                 indices: int | Sequence[int] | None = None) -> None:
        super().__init__(ann_file, pipeline, data_prefix=data_prefix, test_mode=test_mode, multi_class=multi_class,
                         num_classes=num_classes, start_index=start_index, label_file=label_file,
                         on_decode_error=on_decode_error, max_decode_retries=max_decode_retries,
                         delimiter=delimiter, check_files=check_files, indices=indices)

    def load_records(self) -> list[AnnotationRecord]:
        return load_annotations(self.ann_file, self._parse_line, self._parse_json, self.delimiter)

    def _parse_line(self, tokens: list[str]) -> AnnotationRecord:
        if len(tokens) < 2:
            raise ValueError("expected 'path label'" + (" [label ...]" if self.multi_class else ""))
        labels = parse_labels(tokens[1:], self.multi_class, self.num_classes)
        return AnnotationRecord({"filename": self.join(tokens[0])}, 0, labels)

    def _parse_json(self, entry: dict) -> AnnotationRecord:
        label = entry["label"]
        tokens = [str(v) for v in label] if isinstance(label, list) else [str(label)]
        labels = parse_labels(tokens, self.multi_class, self.num_classes)
        return AnnotationRecord({"filename": self.join(str(entry["filename"]))}, 0, labels)

    def media_path(self, record: AnnotationRecord) -> str:
        return record.fields["filename"]
