"""Resident memory while decoding many clips, per decoder: does it grow (a leak) or stay flat?

Each backend runs in its own fresh process: Init + SampleFrames 1x1x8 + Decode over N clips (default 2000,
`--quick` 50) of the benchmark's 10 s 320x240 H.264 videos (2 s with `--quick`), cycling over 3 files.
Growth is measured from the end of a warm-up (the first 10% of clips) to the end; the target is < 50 MB.
RSS comes from psutil when installed, else /proc/self/statm. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from pipeline import DECODERS, training_videos  # noqa: E402  (sibling benchmark script)

TARGET_GROWTH_MB = 50.0


def resident_mb() -> float:
    try:
        import psutil
    except ImportError:
        with open("/proc/self/statm") as statm:
            pages = int(statm.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    return psutil.Process().memory_info().rss / 2**20


def measure(backend: str, paths: list[str], clips: int) -> dict[str, object]:
    """Decode `clips` clips with one backend in this process; RSS at checkpoints."""
    import numpy as np
    import torch
    from vidcore_video.transforms.compose import Compose

    torch.set_num_threads(1)
    np.random.seed(0)
    init, decode = DECODERS[backend]
    pipeline = Compose([{"type": init}, {"type": "SampleFrames", "clip_len": 1, "num_clips": 8}, {"type": decode}])
    warmup = max(1, clips // 10)
    checkpoints = {warmup, clips} | {warmup + (clips - warmup) * k // 8 for k in range(1, 8)}
    samples = []
    for index in range(1, clips + 1):
        pipeline({"filename": paths[index % len(paths)], "start_index": 0})
        if index in checkpoints:
            samples.append([index, round(resident_mb(), 1)])
    start, end = samples[0][1], samples[-1][1]
    return {"clips": clips, "warmup_clips": warmup, "rss_after_warmup_mb": start, "rss_end_mb": end,
            "growth_mb": round(end - start, 1), "peak_mb": max(mb for _, mb in samples), "rss_by_clip": samples,
            "within_target": end - start < TARGET_GROWTH_MB}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="50 clips of 2 s videos (CI smoke size)")
    parser.add_argument("--clips", type=int, default=None, help="clips per backend (default 2000, quick 200)")
    parser.add_argument("--data-dir", default=None, help="where the generated videos are cached")
    parser.add_argument("--worker", choices=sorted(DECODERS), help=argparse.SUPPRESS)
    parser.add_argument("--paths", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    clips = args.clips or (50 if args.quick else 2000)
    if args.worker:
        print(json.dumps(measure(args.worker, args.paths, clips)))
        return
    paths = training_videos(args.quick, Path(args.data_dir) if args.data_dir else None)
    report: dict[str, object] = {"benchmark": "memory", "quick": args.quick, "video": "240p_gop12",
                                 "target_growth_mb": TARGET_GROWTH_MB, "rss_source": _rss_source(), "backends": {}}
    for backend in DECODERS:  # a fresh process each, so one backend's heap does not hide the other's growth
        done = subprocess.run([sys.executable, __file__, "--worker", backend, "--clips", str(clips), "--paths", *paths],
                              capture_output=True, text=True)
        if done.returncode != 0:
            report["backends"][backend] = {"error": (done.stderr.strip().splitlines() or ["no output"])[-1]}
        else:
            report["backends"][backend] = json.loads(done.stdout.strip().splitlines()[-1])
    print(json.dumps(report))


def _rss_source() -> str:
    try:
        import psutil  # noqa: F401
    except ImportError:
        return "/proc/self/statm"
    return "psutil"


if __name__ == "__main__":
    main()
