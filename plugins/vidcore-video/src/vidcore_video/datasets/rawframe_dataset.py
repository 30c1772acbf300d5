"""`RawframeDataset`: videos stored as folders of frames, listed as `frame_dir total_frames label` lines."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from .annotations import AnnotationRecord, load_annotations, parse_labels
from .base import BaseActionDataset

__all__ = ["RawframeDataset"]


class RawframeDataset(BaseActionDataset):
    """Frame folders with labels, as in mmaction2: each line is `frame_dir total_frames label` (or
    `frame_dir offset total_frames label` with `with_offset`); frames are named by `filename_tmpl` and
    numbered from `start_index` (1 by default). `frame_dir` is joined to `data_prefix`."""

    prefix_key = "img"

    def __init__(self, ann_file: str | None, pipeline: Sequence[Any],
                 data_prefix: str | Mapping[str, str] | None = None,
                 filename_tmpl: str = "img_{:05}.jpg", with_offset: bool = False, start_index: int = 1,
                 num_classes: int | None = None, multi_class: bool = False, label_file: str | None = None,
                 test_mode: bool = False, on_decode_error: str = "raise", max_decode_retries: int = 10,
                 delimiter: str | None = None, check_files: bool = True,
                 indices: int | Sequence[int] | None = None) -> None:
        self.filename_tmpl = filename_tmpl
        self.with_offset = with_offset
        super().__init__(ann_file, pipeline, data_prefix=data_prefix, test_mode=test_mode, multi_class=multi_class,
                         num_classes=num_classes, start_index=start_index, label_file=label_file,
                         on_decode_error=on_decode_error, max_decode_retries=max_decode_retries,
                         delimiter=delimiter, check_files=check_files, indices=indices)

    def load_records(self) -> list[AnnotationRecord]:
        return load_annotations(self.ann_file, self._parse_line, self._parse_json, self.delimiter)

    def _record(self, frame_dir: str, offset: Any, total_frames: Any, labels: list[int]) -> AnnotationRecord:
        try:
            total = int(total_frames)
            first = int(offset)
        except (TypeError, ValueError):
            raise ValueError(f"total_frames {total_frames!r} and offset {offset!r} must be integers") from None
        if total < 1:
            raise ValueError(f"total_frames must be >= 1, got {total}")
        fields = {"frame_dir": self.join(frame_dir), "total_frames": total, "filename_tmpl": self.filename_tmpl,
                  "offset": first}
        return AnnotationRecord(fields, 0, labels)

    def _parse_line(self, tokens: list[str]) -> AnnotationRecord:
        head = 3 if self.with_offset else 2
        if len(tokens) < head + 1:
            expected = "frame_dir offset total_frames label" if self.with_offset else "frame_dir total_frames label"
            raise ValueError(f"expected '{expected}'")
        labels = parse_labels(tokens[head:], self.multi_class, self.num_classes)
        offset = tokens[1] if self.with_offset else 0
        return self._record(tokens[0], offset, tokens[head - 1], labels)

    def _parse_json(self, entry: dict) -> AnnotationRecord:
        label = entry["label"]
        tokens = [str(v) for v in label] if isinstance(label, list) else [str(label)]
        labels = parse_labels(tokens, self.multi_class, self.num_classes)
        return self._record(str(entry["frame_dir"]), entry.get("offset", 0), entry["total_frames"], labels)

    def media_path(self, record: AnnotationRecord) -> str:
        return record.fields["frame_dir"]
