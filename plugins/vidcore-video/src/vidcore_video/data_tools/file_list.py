"""Annotation lists as the data commands see them (`path rest-of-line`), and `build-list`: a folder per class
(the Kinetics / UCF101 layout) to `VideoDataset` lists and a class-names file."""

from __future__ import annotations

import os
import random
from dataclasses import dataclass
from pathlib import Path

from vidcore.errors import DataError

from ..datasets.annotations import read_annotation_lines, read_label_file
from .outputs import write_text_atomically

__all__ = ["ListEntry", "read_list", "format_list", "VIDEO_EXTENSIONS", "BuiltLists", "build_lists"]

VIDEO_EXTENSIONS = frozenset({".mp4", ".avi", ".mkv", ".webm", ".mov", ".m4v", ".flv", ".mpg", ".mpeg", ".wmv",
                              ".3gp", ".ts", ".mts", ".ogv"})


@dataclass(frozen=True)
class ListEntry:
    """One line of an annotation list: the path as written, the rest of the line verbatim (labels), where it
    is in the list, and the file it names (joined to the data prefix)."""

    path: str
    rest: str
    line: int
    file: str

    @property
    def where(self) -> str:
        return f"line {self.line}"


def read_list(list_file: str, data_prefix: str | None) -> list[ListEntry]:
    """Entries of a text annotation list (`path label ...` or `frame_dir total_frames label ...`); the first
    whitespace-separated field is the path. DataError for JSON lists and empty lists."""
    if os.path.splitext(list_file)[1].lower() == ".json":
        raise DataError(f"{list_file}: JSON annotation files are not supported here; give a text list "
                        "('path label' lines)")
    entries = []
    for number, text in read_annotation_lines(list_file):
        path, _, rest = text.replace("\t", " ").partition(" ")
        file = path if os.path.isabs(path) or not data_prefix else os.path.join(data_prefix, path)
        entries.append(ListEntry(path, rest.strip(), number, file))
    if not entries:
        raise DataError(f"annotation file {list_file} has no entries")
    return entries


def format_list(lines: list[tuple[str, str]]) -> str:
    """The text of a list from (path, rest) pairs."""
    return "".join(f"{path} {rest}\n" if rest else f"{path}\n" for path, rest in lines)


@dataclass
class BuiltLists:
    """What `build_lists` wrote: {file: number of lines}, the class-names file, videos per class."""

    written: dict[str, int]
    classes_file: str
    counts: dict[str, int]
    skipped: int


def build_lists(root: str, output: str, val_fraction: float = 0.0, seed: int = 0,
                classes_file: str | None = None) -> BuiltLists:
    """Write `output` (every video; `<stem>_train`/`<stem>_val` instead when `val_fraction` > 0) with
    `relative/path label` lines, paths relative to `root` in sorted order, labels in class order: the class
    names file's when given, else the sorted folder names (then written to `<stem>_classes.txt`). The split
    takes `round(val_fraction * n)` videos of each class (at least one when the class has two or more),
    drawn with `seed`, so that it is reproducible and balanced."""
    top = Path(root)
    if not top.is_dir():
        raise DataError(f"{root}: not a folder (expected one subfolder of videos per class)")
    if not 0.0 <= val_fraction < 1.0:
        raise DataError(f"--val-fraction: expected a number in [0, 1), got {val_fraction}")
    folders = sorted(entry.name for entry in os.scandir(top) if entry.is_dir() and not entry.name.startswith("."))
    if classes_file:
        names = read_label_file(classes_file)
        unknown = [name for name in names if name not in folders]
        if unknown:
            raise DataError(f"{classes_file}: {len(unknown)} class(es) have no folder in {root}: "
                            f"{', '.join(unknown[:5])}")
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise DataError(f"{classes_file}: class names listed twice: {', '.join(duplicates[:5])}")
    else:
        names = folders
    if not names:
        raise DataError(f"{root}: no class folders (expected ROOT/CLASS_NAME/VIDEO files)")
    stem, suffix = os.path.splitext(output)
    suffix = suffix or ".txt"
    train: list[tuple[str, str]] = []
    val: list[tuple[str, str]] = []
    counts: dict[str, int] = {}
    skipped = 0
    for label, name in enumerate(names):
        videos, others = _videos_under(top / name, top)
        skipped += others
        if not videos:
            raise DataError(f"{top / name}: class {name!r} has no video files "
                            f"(extensions: {', '.join(sorted(VIDEO_EXTENSIONS))})")
        counts[name] = len(videos)
        held_out: set[str] = set()
        if val_fraction > 0 and len(videos) > 1:
            count = min(len(videos) - 1, max(1, round(val_fraction * len(videos))))
            held_out = set(random.Random(f"{seed}:{name}").sample(videos, count))
        for video in videos:
            (val if video in held_out else train).append((video, str(label)))
    written = {}
    if val_fraction > 0:
        for part, lines in (("train", train), ("val", val)):
            written[f"{stem}_{part}{suffix}"] = len(lines)
            write_text_atomically(f"{stem}_{part}{suffix}", format_list(lines))
    else:
        written[output] = len(train)
        write_text_atomically(output, format_list(train))
    names_file = classes_file or f"{stem}_classes.txt"
    if not classes_file:
        write_text_atomically(names_file, "".join(f"{name}\n" for name in names))
    return BuiltLists(written, names_file, counts, skipped)


def _videos_under(folder: Path, root: Path) -> tuple[list[str], int]:
    """Sorted paths (relative to `root`, with /) of the video files under `folder`, and how many other files."""
    videos, others = [], 0
    for directory, subfolders, files in os.walk(folder):
        subfolders[:] = sorted(name for name in subfolders if not name.startswith("."))
        for name in files:
            if name.startswith("."):
                continue
            if os.path.splitext(name)[1].lower() not in VIDEO_EXTENSIONS:
                others += 1
                continue
            relative = Path(directory, name).relative_to(root).as_posix()
            if any(character.isspace() for character in relative):
                raise DataError(f"{root / relative}: the path holds whitespace, which an annotation list cannot "
                                "hold; rename it")
            videos.append(relative)
    return sorted(videos), others
