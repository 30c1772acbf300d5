"""`vidcore data prepare` throughput, and what preparing a dataset buys the TSN train pipeline.

Sources: pipeline.py's generated 10 s, 25 fps H.264 videos at 640x480 with a keyframe every 250 frames (the
slowest case of pipeline.py), listed `--files` times under distinct names; `--quick`: 2 s at 320x240.
`prepare` runs through the CLI, as a user runs it, with 1 and 2 workers into fresh folders: files/s and
source-minutes/s of wall-clock time, start-up included.
Then pipeline.py's TSN train pipeline (PyAV, one process, one thread) times clips per CPU-second on the
originals and on the prepared files. `--compare-mmaction PYTHON` also times mmaction2 1.x's train pipeline
(decord, its fastest) on the originals and the prepared files in that interpreter, taking turns with vidcore.
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pipeline import (  # noqa: E402
    VIDEO_CONFIGS,
    VidcoreRunner,
    add_mmaction_runner,
    add_timing_arguments,
    benchmark_videos,
    default_data_dir,
)

# mmaction2 1.2.0's train pipeline with decord on 640x480, keyframe interval 250, from pipeline.py on the
# development machine (README, Performance); printed as a reference when mmaction2 is not run, never divided
# into this run's figures (machine load changes absolute rates; only same-run ratios compare).
DOCUMENTED_MMACTION2_TRAIN = {"clips_per_cpu_second": 3.10, "video": "480p_gop250",
                              "source": "README Performance / docs/video.md (mmaction2 1.2.0, decord)"}


def run_prepare(list_file: Path, data_prefix: Path, out_dir: Path, workers: int, short_side: int,
                gop: int) -> float:
    """Wall-clock seconds of one `vidcore data prepare` run; raises if it fails."""
    command = [sys.executable, "-m", "vidcore", "data", "prepare", str(list_file), str(out_dir), "--data-prefix",
               str(data_prefix), "--short-side", str(short_side), "--gop", str(gop), "--workers", str(workers)]
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"vidcore data prepare failed: {result.stdout[-500:]} {result.stderr[-500:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_timing_arguments(parser)
    parser.add_argument("--short-side", type=int, default=256, help="prepare's --short-side (default: 256)")
    parser.add_argument("--gop", type=int, default=16, help="prepare's --gop (default: 16)")
    parser.add_argument("--files", type=int, default=None, help="source files to prepare (default: 12; quick: 4)")
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    name = "240p_gop250" if args.quick else "480p_gop250"
    video_seconds = 2 if args.quick else 10
    short_side = 128 if args.quick else args.short_side
    rounds = args.rounds or (1 if args.quick else 3)
    min_seconds = args.seconds if args.seconds is not None else (0.3 if args.quick else 1.5)
    data_dir = Path(args.data_dir) if args.data_dir else default_data_dir()
    originals = benchmark_videos(data_dir, {name: VIDEO_CONFIGS[name]}, video_seconds)[name]
    files = args.files or (4 if args.quick else 12)
    report: dict[str, Any] = {
        "benchmark": "data_prepare",
        "quick": args.quick,
        "sources": {"video": name, "size": "{}x{}".format(*VIDEO_CONFIGS[name][:2]),
                    "keyframe_interval": VIDEO_CONFIGS[name][2], "seconds": video_seconds, "fps": 25,
                    "files": files, "distinct_files": len(originals)},
        "prepare_settings": {"short_side": short_side, "gop": args.gop, "crf": 23, "preset": "veryfast"},
    }
    source_minutes = files * video_seconds / 60
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        (work / "sources").mkdir()
        for index in range(files):  # links: the same videos under distinct names
            os.symlink(originals[index % len(originals)], work / "sources" / f"video_{index:03d}.mp4")
        list_file = work / "list.txt"
        list_file.write_text("".join(f"video_{index:03d}.mp4 0\n" for index in range(files)))
        report["prepare"] = {}
        for workers in (1, 2):
            elapsed = run_prepare(list_file, work / "sources", work / f"out{workers}", workers, short_side, args.gop)
            report["prepare"][f"{workers}_workers"] = {
                "seconds": round(elapsed, 2), "files_per_s": round(files / elapsed, 2),
                "source_minutes_per_s": round(source_minutes / elapsed, 3)}
        prepared = [str(work / "out2" / f"video_{index:03d}.mp4") for index in range(len(originals))]
        runners: dict[str, Any] = {"vidcore": VidcoreRunner()}
        add_mmaction_runner(runners, args.compare_mmaction, report)
        best: dict[str, float] = {}
        for _ in range(rounds):
            cases = [("vidcore_original", "vidcore", "pyav", originals),
                     ("vidcore_prepared", "vidcore", "pyav", prepared)]
            if "mmaction2" in runners:
                cases += [("mmaction2_original", "mmaction2", "decord", originals),
                          ("mmaction2_prepared", "mmaction2", "decord", prepared)]
            for case, runner, decoder, paths in cases:
                result = runners[runner].measure("train", decoder, paths, min_seconds, 2 if args.quick else 3)
                best[case] = round(max(best.get(case, 0.0), result["cpu"]), 2)
        for runner in runners.values():
            runner.close()
    report["train_pipeline_clips_per_cpu_second"] = best
    report["prepared_vs_original"] = round(best["vidcore_prepared"] / best["vidcore_original"], 2)
    if "mmaction2_original" in best:
        report["prepared_vs_mmaction2_original"] = round(best["vidcore_prepared"] / best["mmaction2_original"], 2)
        report["prepared_vs_mmaction2_prepared"] = round(best["vidcore_prepared"] / best["mmaction2_prepared"], 2)
    elif not args.quick:  # a reference only: absolute figures from another run, on another load of the machine
        report["mmaction2_documented"] = DOCUMENTED_MMACTION2_TRAIN
    print(json.dumps(report))


if __name__ == "__main__":
    sys.exit(main())
