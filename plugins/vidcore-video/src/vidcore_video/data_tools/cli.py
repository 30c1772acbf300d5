"""The `vidcore data` command group: parsers only; each handler imports its work when it runs."""

from __future__ import annotations

import argparse

__all__ = ["add_data_commands"]

_PREFIX_HELP = "folder the list's relative paths are joined to (VideoDataset's data_prefix; default: none)"


def add_data_commands(subparsers: argparse._SubParsersAction) -> None:
    """Add `vidcore data {build-list,check,prepare,extract-frames}`."""
    data = subparsers.add_parser(
        "data", help="build, check and prepare a video dataset before training",
        description="Build annotation lists from a folder per class, find unreadable videos, and re-encode videos "
                    "(or extract frames) for fast training reads. Work runs in parallel worker processes with a "
                    "time limit per file; outputs are written atomically, so an interrupted run can be rerun and "
                    "continues where it stopped. Source files are only read.")
    commands = data.add_subparsers(dest="data_command", metavar="SUBCOMMAND")
    data.set_defaults(handler=lambda args: _missing_subcommand(data))

    build = commands.add_parser(
        "build-list", help="annotation list(s) and class names from a folder per class",
        description="Write a VideoDataset list ('path label' lines, paths relative to ROOT, sorted) from the "
                    "layout ROOT/CLASS/VIDEO (Kinetics, UCF101), and the class names (line i names label i).")
    build.add_argument("root", metavar="ROOT", help="folder holding one subfolder of videos per class")
    build.add_argument("-o", "--output", required=True, metavar="LIST",
                       help="list to write; with --val-fraction, LIST_train and LIST_val instead (e.g. "
                            "ucf.txt -> ucf_train.txt, ucf_val.txt)")
    build.add_argument("--val-fraction", type=float, default=0.0, metavar="F",
                       help="hold out this fraction of each class for validation (default: 0, no split)")
    build.add_argument("--seed", type=int, default=0, help="seed of the split (default: 0)")
    build.add_argument("--classes", metavar="FILE",
                       help="class names, one per line, fixing the label order and which classes are listed "
                            "(default: every subfolder, sorted; written to LIST_classes.txt)")
    build.set_defaults(handler=_run("run_build_list"))

    check = commands.add_parser(
        "check", help="open and decode every listed video; report the bad ones",
        description="Open every video of LIST in parallel, compare the frames present with the frame count the "
                    "container claims and decode the first and last frames (every frame with --full). Each bad "
                    "file is reported as 'LIST:LINE: PATH: reason'; exit status 1 when any is bad.")
    check.add_argument("list", metavar="LIST", help="VideoDataset annotation list ('path label' lines)")
    check.add_argument("--data-prefix", metavar="D", help=_PREFIX_HELP)
    _add_workers(check, timeout=120)
    check.add_argument("--full", action="store_true", help="decode every frame (slower; finds damage mid-file)")
    check.add_argument("--write-clean", metavar="LIST2", help="write LIST without the lines of bad files")
    check.set_defaults(handler=_run("run_check"))

    prepare = commands.add_parser(
        "prepare", help="re-encode videos for fast decoding (H.264, short side, keyframe interval)",
        description="Re-encode every video of LIST with PyAV: H.264 (libx264, yuv420p), the short side scaled to "
                    "--short-side (aspect ratio kept, even sizes), a keyframe every --gop frames, no audio, every "
                    "frame kept. Outputs mirror the list's paths under OUT_DIR (as .mp4); the list of prepared "
                    "files is written to OUT_DIR/LIST's name (paths relative to OUT_DIR). A rerun skips the "
                    "files already prepared; a file that fails is reported and left out of the new list.")
    _add_list_and_output(prepare, "the prepared videos")
    prepare.add_argument("--short-side", type=int, default=256,
                         help="short side in pixels, an even number; 0 keeps the size (default: 256)")
    prepare.add_argument("--gop", type=int, default=16, help="keyframe interval in frames (default: 16)")
    prepare.add_argument("--crf", type=int, default=23, help="libx264 quality, 0-51, lower is better (default: 23)")
    prepare.add_argument("--preset", default="veryfast", help="libx264 speed preset (default: veryfast)")
    _add_workers(prepare, timeout=3600)
    prepare.set_defaults(handler=_run("run_prepare"))

    extract = commands.add_parser(
        "extract-frames", help="JPEG frames per video for RawframeDataset",
        description="Write every frame of each video of LIST as OUT_DIR/<path without extension>/img_00001.jpg, "
                    "... (mmaction2's raw-frame layout) and the RawframeDataset list ('frame_dir total_frames "
                    "label' lines) to OUT_DIR/<LIST's file name>. A rerun skips the videos already done.")
    _add_list_and_output(extract, "the frame folders")
    extract.add_argument("--short-side", type=int, default=256,
                         help="short side of the frames in pixels; 0 keeps the size (default: 256)")
    extract.add_argument("--quality", type=int, default=95, help="JPEG quality, 1-95 (default: 95)")
    _add_workers(extract, timeout=3600)
    extract.set_defaults(handler=_run("run_extract_frames"))


def _add_list_and_output(parser: argparse.ArgumentParser, outputs: str) -> None:
    parser.add_argument("list", metavar="LIST", help="VideoDataset annotation list ('path label' lines)")
    parser.add_argument("out_dir", metavar="OUT_DIR", help=f"folder for {outputs} and their list")
    parser.add_argument("--data-prefix", metavar="D", help=_PREFIX_HELP)
    parser.add_argument("-o", "--output-list", metavar="LIST2",
                        help="where to write the new list (default: OUT_DIR/<LIST's file name>)")
    parser.add_argument("--overwrite", action="store_true", help="redo every file, even those already done")


def _add_workers(parser: argparse.ArgumentParser, timeout: float) -> None:
    parser.add_argument("--workers", type=int, default=None, metavar="N",
                        help="worker processes (default: one per available core)")
    parser.add_argument("--timeout", type=float, default=timeout, metavar="SECONDS",
                        help=f"time limit per file; a file past it is killed and reported (default: {timeout:g})")


def _run(name: str):
    def handler(args: argparse.Namespace) -> int:
        from . import commands

        return getattr(commands, name)(args)

    return handler


def _missing_subcommand(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2
