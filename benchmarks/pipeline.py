"""Clips per second of vidcore-video's TSN pipelines, per worker (one process, one thread), for each decoder.

Train: SampleFrames 1x1x8, Resize (-1, 256), MultiScaleCrop 224 (scales 1/.875/.75/.66), Resize 224x224,
Flip 0.5, FormatShape NCHW, PackActionInputs. Test: SampleFrames 1x1x25 (test mode), Resize (-1, 256),
CenterCrop 224, FormatShape NCHW, PackActionInputs. Videos: 10 s, 25 fps, H.264, generated once (cached),
at 240p and 480p with short (12) and long (250) keyframe intervals.

The unit is clips per CPU-second of the one worker process (all its threads; fair on a shared machine), best
of `--rounds`; clips per wall-clock second are reported alongside. `--compare-mmaction PYTHON` times the
same pipelines with mmaction2 1.x's transforms in that interpreter on the same files, taking turns with
vidcore on every measurement. `--quick` is a CI smoke size. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

VIDEO_CONFIGS = {  # name: (width, height, keyframe interval)
    "240p_gop12": (320, 240, 12),
    "240p_gop250": (320, 240, 250),
    "480p_gop12": (640, 480, 12),
    "480p_gop250": (640, 480, 250),
}
QUICK_CONFIGS = {"240p_gop12": (320, 240, 12), "240p_gop250": (320, 240, 250)}
DECODERS = {"decord": ("DecordInit", "DecordDecode"), "pyav": ("PyAVInit", "PyAVDecode")}
VIDEOS_PER_CONFIG = 3


def pipeline_configs(decoder: str) -> dict[str, list[dict[str, Any]]]:
    """The train and test pipelines as config dicts, in the names both vidcore and mmaction2 understand."""
    init, decode = DECODERS[decoder]
    return {
        "train": [
            {"type": init},
            {"type": "SampleFrames", "clip_len": 1, "frame_interval": 1, "num_clips": 8},
            {"type": decode},
            {"type": "Resize", "scale": (-1, 256)},
            {"type": "MultiScaleCrop", "input_size": 224, "scales": (1, 0.875, 0.75, 0.66), "random_crop": False,
             "max_wh_scale_gap": 1},
            {"type": "Resize", "scale": (224, 224), "keep_ratio": False},
            {"type": "Flip", "flip_ratio": 0.5},
            {"type": "FormatShape", "input_format": "NCHW"},
            {"type": "PackActionInputs"},
        ],
        "test": [
            {"type": init},
            {"type": "SampleFrames", "clip_len": 1, "frame_interval": 1, "num_clips": 25, "test_mode": True},
            {"type": decode},
            {"type": "Resize", "scale": (-1, 256)},
            {"type": "CenterCrop", "crop_size": 224},
            {"type": "FormatShape", "input_format": "NCHW"},
            {"type": "PackActionInputs"},
        ],
    }


# --- videos --------------------------------------------------------------------------------------------------
def render_frames(width: int, height: int, count: int, seed: int):
    """A drifting smooth colour texture with a moving bright square: camera-like motion, realistic bitrate."""
    import numpy as np
    import torch
    import torch.nn.functional as F

    rng = np.random.default_rng(seed)
    coarse = torch.from_numpy(rng.uniform(0, 255, (1, 3, height // 8 + 8, width // 8 + 8)).astype(np.float32))
    texture = F.interpolate(coarse, scale_factor=4, mode="bicubic", align_corners=False).clamp(0, 255)
    texture = texture[0].permute(1, 2, 0).numpy().astype(np.uint8)
    texture = np.tile(texture, (3, 3, 1))
    for t in range(count):
        y, x = (t * 2) % (texture.shape[0] - height), (t * 3) % (texture.shape[1] - width)
        frame = texture[y:y + height, x:x + width].copy()
        side = height // 6
        sx, sy = (t * 5) % (width - side), (t * 3) % (height - side)
        frame[sy:sy + side, sx:sx + side] = (255, 240, 200)
        yield frame


def make_video(path: Path, width: int, height: int, gop: int, seconds: int, seed: int) -> None:
    import av

    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp.mp4")
    options = {"preset": "veryfast", "crf": "23", "threads": "1",
               "x264-params": f"keyint={gop}:min-keyint={gop}:scenecut=0"}
    with av.open(str(temporary), "w") as container:
        stream = container.add_stream("libx264", rate=25, options=options)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for frame in render_frames(width, height, seconds * 25, seed):
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    os.replace(temporary, path)


def benchmark_videos(data_dir: Path, configs: dict[str, tuple[int, int, int]], seconds: int) -> dict[str, list[str]]:
    """{config name: [paths]}, generating missing files."""
    data_dir.mkdir(parents=True, exist_ok=True)
    videos = {}
    for name, (width, height, gop) in configs.items():
        paths = []
        for index in range(VIDEOS_PER_CONFIG):
            path = data_dir / f"{name}_{seconds}s_{index}.mp4"
            if not path.exists():
                make_video(path, width, height, gop, seconds, seed=index)
            paths.append(str(path))
        videos[name] = paths
    return videos


def default_data_dir() -> Path:
    """Where generated benchmark videos are cached: `vidcore.cache_dir()/benchmark-videos`."""
    from vidcore import cache_dir

    return Path(cache_dir()) / "benchmark-videos"


def training_videos(quick: bool, data_dir: Path | None = None) -> list[str]:
    """The 320x240 videos with a keyframe every 12 frames (2 s when `quick`, else 10 s) that the loader,
    memory and training benchmarks read."""
    name = "240p_gop12"
    return benchmark_videos(data_dir or default_data_dir(), {name: QUICK_CONFIGS[name]}, 2 if quick else 10)[name]


def write_annotations(path: Path, videos: list[str], samples: int) -> None:
    """A `VideoDataset` list of `samples` lines cycling through `videos`, with labels 0 and 1 in turn."""
    path.write_text("".join(f"{videos[i % len(videos)]} {i % 2}\n" for i in range(samples)))


# --- timing ---------------------------------------------------------------------------------------------
def time_pipeline(pipeline: Any, paths: list[str], min_seconds: float, min_clips: int) -> dict[str, float]:
    """Clips per CPU-second and per wall-second, over the videos in turn, after one warm-up clip each.

    CPU time (all threads of the process, decord's decoding thread included) is the per-worker cost even
    when other processes compete for the cores; wall time is reported alongside.
    """
    for path in paths:
        pipeline({"filename": path, "label": 0, "start_index": 0, "modality": "RGB"})
    count, wall, cpu = 0, time.perf_counter(), time.process_time()
    while count < min_clips or time.process_time() - cpu < min_seconds:
        pipeline({"filename": paths[count % len(paths)], "label": 0, "start_index": 0, "modality": "RGB"})
        count += 1
    return {"cpu": count / (time.process_time() - cpu), "wall": count / (time.perf_counter() - wall)}


class VidcoreRunner:
    """Times vidcore-video's pipelines in this process."""

    def __init__(self) -> None:
        import numpy as np
        import torch
        from vidcore_video.transforms.compose import Compose

        torch.set_num_threads(1)
        np.random.seed(0)
        self.pipelines = {(split, decoder): Compose(config)
                          for decoder in DECODERS for split, config in pipeline_configs(decoder).items()}

    def measure(self, split: str, decoder: str, paths: list[str], min_seconds: float, min_clips: int) -> dict:
        return time_pipeline(self.pipelines[split, decoder], paths, min_seconds, min_clips)

    def close(self) -> None:
        pass


MMACTION_SERVER = r"""
import json, sys, time
import cv2, numpy as np, torch
cv2.setNumThreads(0)  # mmengine's default for data workers (opencv_num_threads=0)
torch.set_num_threads(1)
import mmaction
import mmaction.datasets.transforms  # registers the transforms (register_all_modules also imports models)
from mmaction.registry import TRANSFORMS
from mmengine.dataset import Compose
np.random.seed(0)
pipelines = {}
for decoder, splits in json.loads(sys.argv[1]).items():
    for split, config in splits.items():
        steps = [{k: tuple(v) if isinstance(v, list) else v for k, v in step.items()} for step in config]
        pipelines[split, decoder] = Compose([TRANSFORMS.build(step) for step in steps])
print("@@" + json.dumps({"ready": mmaction.__version__}), flush=True)
for line in sys.stdin:
    job = json.loads(line)
    pipeline, paths = pipelines[job["split"], job["decoder"]], job["paths"]
    for path in paths:
        pipeline(dict(filename=path, label=0, start_index=0, modality='RGB'))
    count, wall, cpu = 0, time.perf_counter(), time.process_time()
    while count < job["min_clips"] or time.process_time() - cpu < job["min_seconds"]:
        pipeline(dict(filename=paths[count % len(paths)], label=0, start_index=0, modality='RGB'))
        count += 1
    print("@@" + json.dumps({"cpu": count / (time.process_time() - cpu), "wall": count / (time.perf_counter() - wall)}),
          flush=True)
"""


class MmactionRunner:
    """Times mmaction2's pipelines in a child interpreter, one job at a time, so runs interleave with ours."""

    def __init__(self, python: str) -> None:
        configs = json.dumps({decoder: pipeline_configs(decoder) for decoder in DECODERS})
        env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
        self.process = subprocess.Popen([python, "-c", MMACTION_SERVER, configs], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        self.version = self._reply()["ready"]

    def _reply(self) -> dict:
        """The next "@@{json}" line; mmengine's log lines on stdout are skipped."""
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if line.startswith("@@"):
                return json.loads(line[2:])
        error = self.process.stderr.read().strip().splitlines() if self.process.stderr else []
        raise RuntimeError(error[-1] if error else "mmaction2 runner exited without output")

    def measure(self, split: str, decoder: str, paths: list[str], min_seconds: float, min_clips: int) -> dict:
        job = {"split": split, "decoder": decoder, "paths": paths, "min_seconds": min_seconds, "min_clips": min_clips}
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(job) + "\n")
        self.process.stdin.flush()
        return self._reply()

    def close(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        self.process.wait(timeout=60)


def add_mmaction_runner(runners: dict[str, Any], python: str | None, report: dict[str, Any]) -> None:
    """Add runners["mmaction2"] when `python` is given; its version, or why it could not start, goes in `report`."""
    if not python:
        return
    try:
        runners["mmaction2"] = MmactionRunner(python)
        report["mmaction2_version"] = runners["mmaction2"].version
    except (OSError, RuntimeError) as exc:
        report["mmaction2"] = {"error": str(exc)}


def run_all(runners: dict[str, Any], videos: dict[str, list[str]], rounds: int, min_seconds: float,
            min_clips: int) -> dict[str, dict]:
    """{runner: {"cpu"|"wall": {split: {decoder: {video: best clips/s over the rounds}}}}}; the runners take
    turns on each measurement so that a change in machine load affects them alike."""
    best: dict[str, dict] = {name: {"cpu": {}, "wall": {}} for name in runners}
    for _ in range(rounds):
        for split in ("train", "test"):
            for decoder in DECODERS:
                for video, paths in videos.items():
                    for name, runner in runners.items():
                        result = runner.measure(split, decoder, paths, min_seconds, min_clips)
                        for clock in ("cpu", "wall"):
                            table = best[name][clock].setdefault(split, {}).setdefault(decoder, {})
                            table[video] = round(max(table.get(video, 0.0), result[clock]), 2)
    return best


def speedups(ours: dict[str, Any], theirs: dict[str, Any]) -> dict[str, Any]:
    """vidcore / mmaction2 for each split, decoder and video, plus vidcore's faster decoder vs mmaction2's."""
    table: dict[str, Any] = {}
    for split in ("train", "test"):
        table[split] = {}
        for decoder in DECODERS:
            table[split][decoder] = {name: round(value / theirs[split][decoder][name], 2)
                                     for name, value in ours[split][decoder].items()}
        table[split]["best_vs_best"] = {
            name: round(max(ours[split][d][name] for d in DECODERS) / max(theirs[split][d][name] for d in DECODERS), 2)
            for name in ours[split]["decord"]}
    return table


def add_timing_arguments(parser: argparse.ArgumentParser) -> None:
    """--quick, --data-dir, --seconds, --rounds and --compare-mmaction, as the pipeline benchmarks read them."""
    parser.add_argument("--quick", action="store_true", help="tiny CI smoke size")
    parser.add_argument("--data-dir", default=None, help="where the generated videos are cached")
    parser.add_argument("--seconds", type=float, default=None, help="minimum timing per measurement")
    parser.add_argument("--rounds", type=int, default=None, help="measure each case this many times, keep the best")
    parser.add_argument("--compare-mmaction", metavar="PYTHON", default=None,
                        help="an interpreter with mmaction2 1.x installed, to time the same pipelines")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_timing_arguments(parser)
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    configs = QUICK_CONFIGS if args.quick else VIDEO_CONFIGS
    video_seconds = 2 if args.quick else 10
    min_seconds = args.seconds if args.seconds is not None else (0.3 if args.quick else 1.5)
    args.rounds = args.rounds or (1 if args.quick else 3)
    min_clips = 2 if args.quick else 3
    data_dir = Path(args.data_dir) if args.data_dir else default_data_dir()
    videos = benchmark_videos(data_dir, configs, video_seconds)
    runners: dict[str, Any] = {"vidcore": VidcoreRunner()}
    report: dict[str, Any] = {
        "benchmark": "pipeline",
        "unit": "clips per CPU-second of one worker process (one thread; best of the rounds); "
                "'wall' tables give clips per wall-clock second",
        "quick": args.quick,
        "rounds": args.rounds,
        "videos": {name: {"size": f"{w}x{h}", "keyframe_interval": gop, "seconds": video_seconds, "fps": 25,
                          "codec": "h264", "files": len(videos[name])} for name, (w, h, gop) in configs.items()},
    }
    add_mmaction_runner(runners, args.compare_mmaction, report)
    results = run_all(runners, videos, args.rounds, min_seconds, min_clips)
    for name, runner in runners.items():
        runner.close()
        report[name] = results[name]["cpu"]
        report[f"{name}_wall"] = results[name]["wall"]
    if "mmaction2" in runners:
        report["speedup"] = speedups(report["vidcore"], report["mmaction2"])
        report["speedup_wall"] = speedups(report["vidcore_wall"], report["mmaction2_wall"])
    print(json.dumps(report))


if __name__ == "__main__":
    sys.exit(main())
