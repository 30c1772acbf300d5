"""End-to-end DataLoader throughput (clips/s) of the TSN training pipeline through vidcore's own
`build_dataloader`: 0, 1 and 2 workers, with and without pin_memory and persistent workers, per decoder.
Videos come from benchmarks/pipeline.py's generator (cached). Prints one JSON object."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pipeline import pipeline_configs, training_videos, write_annotations  # noqa: E402

CASES = [  # (workers, pin_memory, persistent_workers)
    (0, False, False),
    (1, False, False),
    (2, False, False),
    (2, True, False),
    (2, False, True),
]


def build_loader(ann_file: str, decoder: str, workers: int, pin: bool, persistent: bool, batch_size: int) -> Any:
    from vidcore.plugins import default_registry
    from vidcore.runner._dataloader import build_dataloader

    cfg = {
        "batch_size": batch_size, "num_workers": workers, "pin_memory": pin, "persistent_workers": persistent,
        "timeout": 300 if workers else 0,  # a stuck worker raises instead of hanging the benchmark
        "sampler": {"type": "DefaultSampler", "shuffle": True},
        "dataset": {"type": "VideoDataset", "ann_file": ann_file, "pipeline": pipeline_configs(decoder)["train"]},
    }
    return build_dataloader(cfg, "train", default_registry(), seed=0)


def measure(loader: Any, epochs: int) -> dict[str, float]:
    """Clips/s over `epochs` full passes; the first batch (worker start-up) is timed separately."""
    clips, first_batch_s = 0, []
    start = time.perf_counter()
    for _ in range(epochs):
        epoch_start = time.perf_counter()
        for index, batch in enumerate(loader):
            if index == 0:
                first_batch_s.append(time.perf_counter() - epoch_start)
            clips += len(batch["inputs"])
    elapsed = time.perf_counter() - start
    return {"clips_per_s": round(clips / elapsed, 2), "clips": clips,
            "first_batch_s": [round(value, 3) for value in first_batch_s]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny CI smoke size")
    parser.add_argument("--samples", type=int, default=48, help="dataset length (videos are repeated)")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=4)
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    samples, epochs = (8, 1) if args.quick else (args.samples, args.epochs)
    videos = training_videos(args.quick)
    report: dict[str, Any] = {"benchmark": "loader", "quick": args.quick, "samples": samples, "epochs": epochs,
                              "batch_size": args.batch_size, "video": "320x240 h264, keyframe every 12",
                              "cpus": os.cpu_count()}
    with tempfile.TemporaryDirectory() as folder:
        ann_file = Path(folder) / "train.txt"
        write_annotations(ann_file, videos, samples)
        for decoder in ("pyav", "decord"):
            for workers, pin, persistent in CASES:
                if args.quick and (pin or persistent):
                    continue
                loader = build_loader(str(ann_file), decoder, workers, pin, persistent, args.batch_size)
                name = f"workers{workers}" + ("_pin" if pin else "") + ("_persistent" if persistent else "")
                print(f"loader: {decoder} {name}", file=sys.stderr, flush=True)
                report.setdefault(decoder, {})[name] = measure(loader, epochs)
                del loader
    print(json.dumps(report))


if __name__ == "__main__":
    main()
