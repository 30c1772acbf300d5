"""Writing outputs so that an interrupted run never leaves a half-written one: everything is written under
a temporary name in its final folder, then renamed (`os.replace`, atomic on one file system). A rerun
removes the temporary files an interrupted run left and skips outputs that exist."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from vidcore.errors import DataError

__all__ = ["temporary_path", "remove_leftovers", "write_text_atomically", "check_settings", "SETTINGS_FILE"]

_MARK = ".vidcore-part"
SETTINGS_FILE = ".vidcore-data.json"


def temporary_path(final: Path) -> Path:
    """A hidden name next to `final`, unique to this process."""
    return final.with_name(f".{final.name}.{os.getpid()}{_MARK}")


def remove_leftovers(final: Path) -> None:
    """Remove the temporary files or folders that interrupted runs left for `final`."""
    folder = final.parent
    if not folder.is_dir():
        return
    for leftover in folder.glob(f".{_glob_escape(final.name)}.*{_MARK}"):
        if leftover.is_dir() and not leftover.is_symlink():
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            leftover.unlink(missing_ok=True)


def write_text_atomically(path: str | os.PathLike, text: str) -> None:
    """Write `text` to `path` through a temporary file; DataError naming the file when it cannot be written."""
    final = Path(path)
    temporary = temporary_path(final)
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, final)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise DataError(f"cannot write {final}: {exc.strerror or exc}") from None


def check_settings(out_dir: Path, settings: dict[str, Any], overwrite: bool) -> None:
    """Record `settings` in `out_dir`; DataError when the folder holds outputs made with other settings
    (their files would be skipped as complete), unless `overwrite`."""
    record = out_dir / SETTINGS_FILE
    if record.is_file() and not overwrite:
        try:
            found = json.loads(record.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            found = None
        if found != settings:
            raise DataError(f"{out_dir} holds outputs made with other settings ({found}, now {settings}); "
                            "choose another output folder or pass --overwrite to redo every file")
    write_text_atomically(record, json.dumps(settings, sort_keys=True) + "\n")


def _glob_escape(name: str) -> str:
    return "".join(f"[{character}]" if character in "*?[" else character for character in name)
