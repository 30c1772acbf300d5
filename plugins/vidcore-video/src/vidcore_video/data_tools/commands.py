"""What the `vidcore data` subcommands do (parsers in cli.py). Problems with the command's own input raise
vidcore errors (exit status 2); problems with individual videos are reported and give exit status 1."""

from __future__ import annotations

import argparse
import os
from pathlib import Path, PurePosixPath
from typing import Any, Callable

from vidcore.errors import ConfigError, DataError

from .file_list import ListEntry, build_lists, format_list, read_list
from .outputs import check_settings, write_text_atomically
from .progress import FileProgress
from .worker_pool import default_workers, run_tasks

__all__ = ["run_build_list", "run_check", "run_prepare", "run_extract_frames", "output_paths"]

_DECODING_MODULES = ("av", "numpy", "vidcore_video.transforms.decoding_pyav")


def run_build_list(args: argparse.Namespace) -> int:
    built = build_lists(args.root, args.output, val_fraction=args.val_fraction, seed=args.seed,
                        classes_file=args.classes)
    for path, count in built.written.items():
        print(f"vidcore data build-list: wrote {path} ({count} videos)")
    verb = "read" if args.classes else "wrote"
    print(f"vidcore data build-list: {verb} {built.classes_file} ({len(built.counts)} classes, "
          f"{min(built.counts.values())}-{max(built.counts.values())} videos each)")
    if built.skipped:
        print(f"vidcore data build-list: {built.skipped} files that are not videos were left out")
    return 0


def run_check(args: argparse.Namespace) -> int:
    from .check import check_video

    workers, timeout = _workers(args)
    entries = read_list(args.list, args.data_prefix)
    if args.write_clean and _same_file(args.write_clean, args.list):
        raise ConfigError(f"--write-clean {args.write_clean}: would overwrite the list being checked")
    files = list(dict.fromkeys(os.path.normpath(entry.file) for entry in entries))  # each file checked once
    lines_of: dict[str, list[ListEntry]] = {}
    for entry in entries:
        lines_of.setdefault(os.path.normpath(entry.file), []).append(entry)
    bad: dict[str, str] = {}
    with FileProgress("vidcore data check", len(files)) as progress:
        tasks = [(file, args.full) for file in files]
        for outcome in run_tasks(check_video, tasks, workers, timeout, preload=_DECODING_MODULES):
            progress.advance()
            if not outcome.ok:
                file = files[outcome.index]
                bad[file] = outcome.error or ""
                for entry in lines_of[file]:
                    progress.print(f"{args.list}:{entry.line}: {entry.file}: {outcome.error}")
    print(f"vidcore data check: {len(files)} files, {len(files) - len(bad)} good, {len(bad)} bad "
          f"({progress.elapsed:.1f} s, {progress.rate:.1f} files/s)")
    if args.write_clean:
        bad_lines = {entry.line for file in bad for entry in lines_of[file]}
        with open(args.list, encoding="utf-8") as file:
            lines = file.read().splitlines(keepends=True)
        kept = [line for number, line in enumerate(lines, start=1) if number not in bad_lines]
        write_text_atomically(args.write_clean, "".join(line if line.endswith("\n") else line + "\n"
                                                        for line in kept))
        print(f"vidcore data check: wrote {args.write_clean} ({len(entries) - len(bad_lines)} entries)")
    return 1 if bad else 0


def run_prepare(args: argparse.Namespace) -> int:
    from .prepare import EncodeSettings, PrepareTask, prepare_video

    if args.short_side < 0 or args.short_side % 2:
        raise ConfigError(f"--short-side: expected an even number of pixels (or 0), got {args.short_side}")
    if args.gop < 1:
        raise ConfigError(f"--gop: expected a positive number of frames, got {args.gop}")
    if not 0 <= args.crf <= 51:
        raise ConfigError(f"--crf: expected 0-51, got {args.crf}")
    settings = EncodeSettings(args.short_side, args.gop, args.crf, args.preset)
    record = {"command": "prepare", "short_side": args.short_side, "gop": args.gop, "crf": args.crf,
              "preset": args.preset}
    return _convert(args, "prepare", record, lambda source, target: PrepareTask(source, target, settings),
                    prepare_video, suffix=".mp4", is_done=os.path.isfile,
                    rest_of_line=lambda entry, result: entry.rest)


def run_extract_frames(args: argparse.Namespace) -> int:
    from .frames import ExtractTask, count_frames, extract_frames

    if args.short_side < 0:
        raise ConfigError(f"--short-side: expected a number of pixels (or 0), got {args.short_side}")
    if not 1 <= args.quality <= 95:
        raise ConfigError(f"--quality: expected 1-95, got {args.quality}")
    record = {"command": "extract-frames", "short_side": args.short_side, "quality": args.quality}
    return _convert(args, "extract-frames", record,
                    lambda source, target: ExtractTask(source, target, args.short_side, args.quality),
                    extract_frames, suffix="", is_done=os.path.isdir,
                    rest_of_line=lambda entry, frames: f"{frames} {entry.rest}".strip(), count_done=count_frames)


def output_paths(entries: list[ListEntry], suffix: str) -> list[str]:
    """For each entry, the relative path (with /) its output gets under OUT_DIR: the list's own relative path,
    or for absolute paths the path below their common folder, with the extension replaced by `suffix`."""
    absolute = [os.path.normpath(entry.file) for entry in entries if os.path.isabs(entry.path)]
    base = os.path.commonpath([os.path.dirname(path) for path in absolute]) if absolute else ""
    outputs = []
    for entry in entries:
        relative = os.path.relpath(os.path.normpath(entry.path), base) if os.path.isabs(entry.path) \
            else os.path.normpath(entry.path)
        if relative.startswith(".."):
            raise DataError(f"line {entry.line}: {entry.path}: a path outside the data prefix cannot be mirrored "
                            "under OUT_DIR; give the list with paths below --data-prefix")
        outputs.append(str(PurePosixPath(Path(relative).with_suffix(suffix))))
    return outputs


def _convert(args: argparse.Namespace, command: str, record: dict[str, Any], make_task: Callable[[str, str], Any],
             work: Callable[[Any], Any], suffix: str, is_done: Callable[[str], bool],
             rest_of_line: Callable[[ListEntry, Any], str], count_done: Callable[[str], Any] | None = None) -> int:
    """The shared run of `prepare` and `extract-frames`: one output per distinct source, skipped when it exists
    and is newer than its source, the others made in worker processes; then the list of the outputs that exist."""
    workers, timeout = _workers(args)
    entries = read_list(args.list, args.data_prefix)
    out_dir = Path(args.out_dir)
    relatives = output_paths(entries, suffix)
    targets = [str(out_dir / relative) for relative in relatives]
    output_list = args.output_list or str(out_dir / os.path.basename(args.list))
    if _same_file(output_list, args.list):
        raise ConfigError(f"{output_list}: the new list would overwrite the input list; give -o/--output-list")
    source_of: dict[str, str] = {}
    for entry, target in zip(entries, targets):
        earlier = source_of.setdefault(target, entry.file)
        if os.path.normpath(earlier) != os.path.normpath(entry.file):
            raise DataError(f"{args.list}:{entry.line}: {entry.file} and {earlier} would both be written to {target}")
        if os.path.exists(entry.file) and os.path.exists(target) and _same_file(entry.file, target):
            raise DataError(f"{args.list}:{entry.line}: the output {target} is the source file itself; choose "
                            "another OUT_DIR")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataError(f"{out_dir}: cannot create the output folder ({exc.strerror or exc})") from None
    check_settings(out_dir, record, args.overwrite)
    results: dict[str, Any] = {}
    todo: list[str] = []
    for target in source_of:
        if is_done(target) and not args.overwrite and not _newer(source_of[target], target):
            results[target] = count_done(target) if count_done else None
        else:
            todo.append(target)
    failed: dict[str, str] = {}
    source_seconds = 0.0
    line_of = {}
    for entry, target in zip(entries, targets):
        line_of.setdefault(target, entry)
    with FileProgress(f"vidcore data {command}", len(todo)) as progress:
        tasks = [make_task(source_of[target], target) for target in todo]
        for outcome in run_tasks(work, tasks, workers, timeout, preload=_DECODING_MODULES):
            progress.advance()
            target = todo[outcome.index]
            if outcome.ok:
                results[target] = outcome.value
                source_seconds += getattr(outcome.value, "source_seconds", 0.0) or 0.0
            else:
                failed[target] = outcome.error or ""
                entry = line_of[target]
                progress.print(f"{args.list}:{entry.line}: {entry.file}: {outcome.error}")
    kept = [(relative, rest_of_line(entry, results[target]))
            for entry, relative, target in zip(entries, relatives, targets) if target in results]
    write_text_atomically(output_list, format_list(kept))
    done = len(todo) - len(failed)
    speed = f"{progress.rate:.1f} files/s"
    if source_seconds and progress.elapsed:
        speed += f", {source_seconds / 60 / progress.elapsed:.2f} source-minutes/s"
    print(f"vidcore data {command}: {len(source_of)} files: {done} done, {len(source_of) - len(todo)} already done, "
          f"{len(failed)} failed ({progress.elapsed:.1f} s, {speed}); wrote {output_list} ({len(kept)} entries)")
    return 1 if failed else 0


def _workers(args: argparse.Namespace) -> tuple[int, float | None]:
    workers = default_workers() if args.workers is None else args.workers
    if workers < 1:
        raise ConfigError(f"--workers: expected a positive number, got {args.workers}")
    if args.timeout <= 0:
        raise ConfigError(f"--timeout: expected a positive number of seconds, got {args.timeout:g}")
    return workers, args.timeout


def _newer(source: str, target: str) -> bool:
    """Whether `source` changed after `target` was made from it."""
    try:
        return os.stat(source).st_mtime > os.stat(target).st_mtime
    except OSError:
        return False


def _same_file(first: str, second: str) -> bool:
    return os.path.abspath(first) == os.path.abspath(second) or (
        os.path.exists(first) and os.path.exists(second) and os.path.samefile(first, second))
