"""Reading annotation and label files, with every problem reported as `file:line: what was expected`."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from vidcore.errors import DataError

__all__ = ["AnnotationRecord", "read_annotation_lines", "read_label_file", "parse_labels", "raise_problems",
           "load_annotations"]

MAX_LISTED = 5  # problems and missing files named in an error message; the rest are counted


@dataclass
class AnnotationRecord:
    """One parsed annotation: its fields for the pipeline and where it came from."""

    fields: dict[str, Any]
    line: int
    labels: list[int] = field(default_factory=list)


def read_annotation_lines(ann_file: str) -> list[tuple[int, str]]:
    """(line number, text) of the non-blank, non-comment lines of `ann_file`."""
    try:
        with open(ann_file, encoding="utf-8-sig") as file:
            lines = file.read().splitlines()
    except FileNotFoundError:
        raise DataError(f"annotation file not found: {ann_file}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read annotation file {ann_file}: {exc}") from None
    return [(number, text.strip()) for number, text in enumerate(lines, start=1)
            if text.strip() and not text.lstrip().startswith("#")]


def read_label_file(label_file: str) -> list[str]:
    """Class names, one per line (blank lines ignored); line i names class i."""
    try:
        with open(label_file, encoding="utf-8-sig") as file:
            names = [line.strip() for line in file if line.strip()]
    except FileNotFoundError:
        raise DataError(f"label file not found: {label_file}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read label file {label_file}: {exc}") from None
    if not names:
        raise DataError(f"label file {label_file} holds no class names")
    return names


def parse_labels(tokens: Sequence[str], multi_class: bool, num_classes: int | None) -> list[int]:
    """Integer labels from `tokens`; ValueError with the reason when they are not valid."""
    if not tokens:
        raise ValueError("no label")
    if len(tokens) > 1 and not multi_class:
        raise ValueError(f"{len(tokens)} labels on a single-label line (set multi_class: true for multi-label)")
    labels = []
    for token in tokens:
        try:
            label = int(token)
        except ValueError:
            raise ValueError(f"label {token!r} is not an integer") from None
        if label < 0:
            raise ValueError(f"label {label} is negative")
        if num_classes is not None and label >= num_classes:
            raise ValueError(f"label {label} is out of range [0, {num_classes}) for num_classes={num_classes}")
        labels.append(label)
    return labels


def raise_problems(problems: list[tuple[str, str]], total: int) -> None:
    """One DataError listing the first (location, reason) problems as `location: reason`, counting the rest."""
    if not problems:
        return
    listed = "; ".join(f"{where}: {reason}" for where, reason in problems[:MAX_LISTED])
    more = f" (and {len(problems) - MAX_LISTED} more)" if len(problems) > MAX_LISTED else ""
    raise DataError(f"{len(problems)} of {total} annotation lines are malformed: {listed}{more}")


def load_annotations(ann_file: str, parse_line: Callable[[list[str]], AnnotationRecord],
                     parse_json: Callable[[dict], AnnotationRecord], delimiter: str | None) -> list[AnnotationRecord]:
    """Records of a text (one per line, split on `delimiter`, whitespace by default) or JSON (list of
    objects) annotation file; all malformed entries are reported together."""
    records: list[AnnotationRecord] = []
    problems: list[tuple[str, str]] = []
    if os.path.splitext(ann_file)[1].lower() == ".json":
        entries = _read_json(ann_file)
        for number, entry in enumerate(entries, start=1):
            try:
                if not isinstance(entry, dict):
                    raise ValueError(f"expected an object, got {type(entry).__name__}")
                record = parse_json(entry)
                record.line = number
                records.append(record)
            except (ValueError, KeyError, TypeError) as exc:
                problems.append((f"{ann_file}[{number - 1}]", _reason(exc)))
        raise_problems(problems, len(entries))
        return records
    lines = read_annotation_lines(ann_file)
    for number, text in lines:
        try:
            record = parse_line(text.split(delimiter) if delimiter else text.split())
            record.line = number
            records.append(record)
        except (ValueError, KeyError, TypeError) as exc:
            problems.append((f"{ann_file}:{number}", f"{_reason(exc)} in {text[:80]!r}"))
    raise_problems(problems, len(lines))
    if not records:
        raise DataError(f"annotation file {ann_file} has no entries")
    return records


def _read_json(ann_file: str) -> list[Any]:
    try:
        with open(ann_file, encoding="utf-8-sig") as file:
            entries = json.load(file)
    except FileNotFoundError:
        raise DataError(f"annotation file not found: {ann_file}") from None
    except (OSError, ValueError) as exc:
        raise DataError(f"cannot read annotation file {ann_file}: {exc}") from None
    if not isinstance(entries, list) or not entries:
        raise DataError(f"{ann_file}: expected a non-empty JSON list of annotation objects")
    return entries


def _reason(exc: BaseException) -> str:
    if isinstance(exc, KeyError):
        return f"missing key {exc.args[0]!r}"
    return str(exc)
