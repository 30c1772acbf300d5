"""Checkpoint files: atomic saving, safe loading (`weights_only=True`), state-dict loading with a report, and
the work dir's `last_checkpoint` record that resuming reads (written by whichever hook saves checkpoints).

A checkpoint is a dict of plain data and tensors (see docs/runner.md for its keys); anything else would
need unsafe unpickling to load, so the runner converts RNG states and configs to lists and dicts.
"""

from __future__ import annotations

import os
import pickle
import re
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Callable, Mapping, Sequence

import torch
from torch import nn

from .errors import CheckpointError

__all__ = ["save_checkpoint", "load_checkpoint", "load_state_dict", "LoadReport", "DEFAULT_REVISE_KEYS",
           "is_temp_file", "remove_temp_files", "write_atomically", "LAST_CHECKPOINT_FILE", "write_last_checkpoint",
           "read_last_checkpoint"]

# Keys saved from a DistributedDataParallel model start with `module.`; strip it by default.
DEFAULT_REVISE_KEYS: tuple[tuple[str, str], ...] = ((r"^module\.", ""),)
_LISTED_KEYS = 10
_TEMP_SUFFIX = ".tmp"


def save_checkpoint(checkpoint: Mapping[str, Any], path: str | os.PathLike[str]) -> None:
    """Write `checkpoint` to `path` atomically: a temp file in the same folder, fsync, then rename.

    A crash or a full disk leaves either the old file or the new one, never a truncated file; a process
    killed while writing leaves at most a temp file `.<name>.<random>.tmp` (see `remove_temp_files`). A
    write that fails (disk full, quota, I/O error) raises the OSError, not torch's wrapping of it.
    """
    Path(path).parent.mkdir(parents=True, exist_ok=True)

    def write(file: BinaryIO) -> None:
        writer = _RecordingWriter(file)
        try:
            torch.save(dict(checkpoint), writer)
        except RuntimeError:
            if writer.error is not None:  # torch turns the file's OSError into a RuntimeError
                raise writer.error from None
            raise

    write_atomically(path, write)


def write_atomically(path: str | os.PathLike[str], write: Callable[[BinaryIO], None]) -> None:
    """Write `path` through `write(file)`: into a temp file `.<name>.<random>.tmp` of the same folder, flushed
    and fsynced, renamed over `path`, and the folder fsynced. On any failure the temp file is removed and
    `path` is as it was."""
    target = Path(path)
    handle, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=_TEMP_SUFFIX, dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp_name, target)
    except BaseException:
        if os.path.exists(temp_name):
            os.unlink(temp_name)
        raise
    _fsync_directory(target.parent)


class _RecordingWriter:
    """A file for `torch.save` that remembers the OSError of a failed write (torch reports only its own error)."""

    def __init__(self, file: Any) -> None:
        self.file = file
        self.error: OSError | None = None

    def write(self, data: Any) -> int:
        try:
            return self.file.write(data)
        except OSError as exc:
            self.error = exc
            raise

    def flush(self) -> None:
        self.file.flush()


def is_temp_file(name: str) -> bool:
    """Whether `name` is a temp file that an interrupted `save_checkpoint` (or last_checkpoint write) left."""
    return name.startswith(".") and name.endswith(_TEMP_SUFFIX) and (".pth" in name or "last_checkpoint" in name)


def remove_temp_files(directory: str | os.PathLike[str]) -> list[Path]:
    """Delete the temp files that killed checkpoint writes left in `directory`; return what was removed.

    They are never read: a checkpoint becomes visible only by the rename at the end of a complete write.
    """
    folder = Path(directory)
    if not folder.is_dir():
        return []
    removed = []
    for entry in sorted(folder.iterdir()):
        if is_temp_file(entry.name) and entry.is_file():
            try:
                entry.unlink()
            except FileNotFoundError:
                continue
            removed.append(entry)
    return removed


def _fsync_directory(directory: Path) -> None:
    """Make the rename itself durable (POSIX); a no-op where directories cannot be opened."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def load_checkpoint(path: str | os.PathLike[str], map_location: Any = "cpu") -> dict[str, Any]:
    """Read a checkpoint with `torch.load(weights_only=True)`; every failure is a CheckpointError naming the file.

    There is deliberately no unsafe mode here: unpickling arbitrary objects can run code from the file. The one
    escape hatch is `vidcore convert-checkpoint --unsafe-load`, which rewrites a trusted file as plain tensors.
    """
    file = Path(path)
    if not file.exists():
        raise CheckpointError(f"{file}: checkpoint file not found")
    if not file.is_file():
        raise CheckpointError(f"{file}: is not a checkpoint file")
    try:
        checkpoint = torch.load(file, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as exc:
        found = re.search(r"[Uu]nsupported (?:global: )?GLOBAL (\S+)", str(exc))
        if found:
            raise CheckpointError(
                f"{file}: the checkpoint holds Python objects that cannot be loaded safely (e.g. {found.group(1)}); if "
                f"you trust the file, convert it once with: vidcore convert-checkpoint {file} OUT.pth --config CFG "
                "--unsafe-load") from exc
        raise CheckpointError(
            f"{file}: not a readable checkpoint, corrupt or not a torch file ({_detail(exc)})") from exc
    except Exception as exc:  # torch.load fails in many ways on a damaged file (IndexError, RuntimeError, ...)
        detail = _incomplete_archive(file) or _detail(exc)
        raise CheckpointError(f"{file}: not a readable checkpoint, truncated or corrupt ({detail})") from exc
    if not isinstance(checkpoint, dict):
        raise CheckpointError(f"{file}: expected a checkpoint dict, found {type(checkpoint).__name__}")
    return checkpoint


def _incomplete_archive(file: Path) -> str | None:
    """What to say about a zip-format checkpoint whose end is missing (torch's own error is an errno or miniz)."""
    try:
        with open(file, "rb") as handle:
            starts_like_zip = handle.read(4) == b"PK\x03\x04"
        if starts_like_zip and not zipfile.is_zipfile(file):
            return f"the file ends early: an incomplete archive of {file.stat().st_size} bytes"
    except OSError:
        pass
    return None


def _detail(exc: BaseException) -> str:
    """The informative line of a loading error (for weights-only errors, the unpickler's reason, not torch's
    advice to load unsafely)."""
    text = str(exc)
    if "Weights only load failed" in text:
        text = text.split("WeightsUnpickler error:", 1)[-1] if "WeightsUnpickler error:" in text else \
            text.split("\n", 1)[-1]
    boilerplate = ("Weights only load failed", "Please file an issue", "Check the documentation")
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith(boilerplate)]
    return lines[0].split(". ")[0].rstrip(".") if lines else type(exc).__name__


@dataclass
class LoadReport:
    """What happened when a state dict was loaded into a model."""

    missing_keys: list[str] = field(default_factory=list)
    unexpected_keys: list[str] = field(default_factory=list)
    mismatched_shapes: list[tuple[str, tuple[int, ...], tuple[int, ...]]] = field(default_factory=list)
    loaded_keys: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.missing_keys or self.unexpected_keys or self.mismatched_shapes)

    def lines(self) -> list[str]:
        """One line per kind of problem, keys listed (the first few) by name."""
        found = []
        if self.missing_keys:
            found.append(f"missing from the checkpoint ({len(self.missing_keys)}): {_listed(self.missing_keys)}")
        if self.unexpected_keys:
            found.append(f"not in the model ({len(self.unexpected_keys)}): {_listed(self.unexpected_keys)}")
        if self.mismatched_shapes:
            shapes = [f"{key} checkpoint {list(saved)} vs model {list(expected)}"
                      for key, saved, expected in self.mismatched_shapes]
            found.append(f"shape mismatch ({len(shapes)}): {_listed(shapes)}")
        return found

    def __str__(self) -> str:
        if self.ok:
            return f"all {len(self.loaded_keys)} keys loaded"
        return "; ".join([f"{len(self.loaded_keys)} keys loaded"] + self.lines())


def _listed(items: Sequence[str]) -> str:
    shown = ", ".join(items[:_LISTED_KEYS])
    return shown + (f", ... and {len(items) - _LISTED_KEYS} more" if len(items) > _LISTED_KEYS else "")


def load_state_dict(
    model: nn.Module,
    state_dict_or_checkpoint: Mapping[str, Any],
    strict: bool = False,
    prefix: str | None = None,
    revise_keys: Sequence[tuple[str, str]] | None = None,
    *,
    source: str | None = None,
) -> LoadReport:
    """Load weights into `model` (unwrapped from DDP) and report missing, unexpected and mis-shaped keys.

    Accepts a checkpoint (its `state_dict` is used) or a bare state dict. `prefix` keeps only keys under
    it and strips it (`backbone.` loads a backbone from a whole-model checkpoint). `revise_keys` are
    `(regex, replacement)` pairs applied to every key (default: strip DDP's `module.`). Tensors whose
    shape differs are skipped. With `strict`, any problem raises a CheckpointError (naming `source`)
    and the model is left unchanged.
    """
    from .dist import unwrap_model

    model = unwrap_model(model)
    state = state_dict_or_checkpoint.get("state_dict", state_dict_or_checkpoint)
    if not isinstance(state, Mapping):
        raise CheckpointError(f"{source or 'checkpoint'}: 'state_dict' is a {type(state).__name__}, not a mapping")
    if prefix:
        if not prefix.endswith("."):
            prefix += "."
        state = {key[len(prefix):]: value for key, value in state.items() if key.startswith(prefix)}
        if not state:
            raise CheckpointError(f"{source or 'checkpoint'}: no key starts with prefix '{prefix}'")
    for pattern, replacement in DEFAULT_REVISE_KEYS if revise_keys is None else revise_keys:
        state = {re.sub(pattern, replacement, key): value for key, value in state.items()}

    own = model.state_dict()
    report = LoadReport(
        missing_keys=[key for key in own if key not in state],
        unexpected_keys=[key for key in state if key not in own],
    )
    loadable = {}
    for key, value in state.items():
        if key not in own:
            continue
        if isinstance(value, torch.Tensor) and value.shape != own[key].shape:
            report.mismatched_shapes.append((key, tuple(value.shape), tuple(own[key].shape)))
            continue
        loadable[key] = value
    report.loaded_keys = list(loadable)
    if strict and not report.ok:
        where = source or "checkpoint"
        raise CheckpointError(f"{where}: does not fit {type(model).__name__}: " + "; ".join(report.lines()))
    model.load_state_dict(loadable, strict=False)
    return report


LAST_CHECKPOINT_FILE = "last_checkpoint"
_MAX_RECORD_BYTES = 4096


def write_last_checkpoint(work_dir: str | os.PathLike[str], checkpoint_path: str | os.PathLike[str]) -> None:
    """Record the newest checkpoint in `<work_dir>/last_checkpoint` (what `resume: true` reads), atomically.

    The record is relative to the work dir when the checkpoint is inside it, so a copied or moved work dir
    resumes from its own file; a checkpoint elsewhere (`out_dir`) is recorded by its absolute path.
    """
    record = _relative_to(Path(checkpoint_path), Path(work_dir)).encode("utf-8")
    write_atomically(Path(work_dir) / LAST_CHECKPOINT_FILE, lambda file: file.write(record))


def read_last_checkpoint(work_dir: str | os.PathLike[str],
                         checkpoint_dir: str | os.PathLike[str] | None = None) -> tuple[Path | None, str | None]:
    """The checkpoint `<work_dir>/last_checkpoint` names, resolved against the current `work_dir`, and a note.

    Returns `(None, None)` without a record, `(None, why)` when the record is damaged (not a small text file
    naming a path), else `(path, note)`. A relative record is joined to `work_dir`. An absolute one (written
    before records were relative, or for an `out_dir`) is used as it is when it lies in `work_dir` or in
    `checkpoint_dir` (where this run writes checkpoints); otherwise it names another work dir (this one was
    copied or moved) and the file of the same name in `checkpoint_dir` is used instead, with a note.
    """
    folder = Path(work_dir)
    record = folder / LAST_CHECKPOINT_FILE
    if not os.path.lexists(record):
        return None, None
    if not record.is_file():
        return None, f"{record} is not a file"
    try:
        with open(record, "rb") as file:
            data = file.read(_MAX_RECORD_BYTES + 1)
        text = data.decode("utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        return None, f"{record} is not readable text ({getattr(exc, 'strerror', None) or exc})"
    if not text:
        return None, f"{record} is empty"
    if len(data) > _MAX_RECORD_BYTES or "\n" in text or "\0" in text or not text.isprintable():
        return None, f"{record} does not hold a checkpoint path"
    named = Path(text)
    if not named.is_absolute():
        return folder / named, None
    own = Path(checkpoint_dir) if checkpoint_dir is not None else folder
    if _inside(named, folder) or _inside(named, own):
        return named, None
    mapped = own / named.name
    return mapped, f"{record} names {named}, outside this work dir (copied or moved?); using {mapped}"


def _relative_to(path: Path, folder: Path) -> str:
    """`path` relative to `folder` when it lies inside it, else absolute."""
    absolute, base = path.resolve(), folder.resolve()
    return str(absolute.relative_to(base)) if _inside(absolute, base) else str(absolute)


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True
