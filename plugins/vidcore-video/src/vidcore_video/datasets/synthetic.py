"""`SyntheticVideoDataset`: a small, deterministic set of real encoded videos, generated on first use into
a cache folder, then served exactly like a `VideoDataset`."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Sequence

import numpy as np
from vidcore import cache_dir
from vidcore.errors import ConfigError

from ..data_tools.progress import FileProgress
from .synthetic_patterns import CLASS_SETS, CODEC_EXTENSIONS, encode_video, render_video
from .video_dataset import VideoDataset

__all__ = ["SyntheticVideoDataset", "ensure_synthetic_videos", "folder_name"]

GENERATOR_VERSION = 3  # bump when the drawing changes, so old caches are not reused
SPLITS = ("train", "val", "test")
ANNOTATIONS = "annotations.txt"
CLASSES = "classes.txt"
PARAMETERS = "params.json"
README = "README.txt"


def ensure_synthetic_videos(params: dict[str, Any], data_root: str | os.PathLike | None = None) -> Path:
    """The folder holding the videos for `params`, generating it if needed.

    Generation writes into a private temporary folder next to the target and renames it into place, so
    concurrent processes (DataLoader workers, several ranks) never see a half-written set: the first
    rename wins and the others discard their copy.
    """
    root = Path(data_root).expanduser() if data_root else Path(cache_dir()) / "synthetic" / folder_name(params)
    if _is_complete(root, params):
        return root
    if root.exists() and any(root.iterdir()) and not _is_complete(root, params):
        raise ConfigError(f"data_root {root} exists and is not a synthetic video set; choose an empty folder")
    root.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{root.name}.tmp-", dir=root.parent))
    total = params["videos_per_class"] * params["num_classes"]
    try:
        with FileProgress(f"synthetic {params['split']} videos", total) as progress:
            progress.print(f"generating {total} synthetic {params['split']} videos into {root} (once: later runs "
                           "reuse them)")
            _generate(staging, params, progress)
            progress.print(f"generated {total} synthetic {params['split']} videos in {progress.elapsed:.1f} s")
        if root.exists():
            root.rmdir()  # an empty folder the user created
        os.rename(staging, root)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
        if not _is_complete(root, params):  # not a lost race: a real failure
            raise
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return root


def folder_name(params: dict[str, Any]) -> str:
    """The cache folder of a parameter set, readable and unique: `test-patterns-4classes-40clips-96x72-<hash8>`
    (split, class set, classes, videos, frame size, then 8 hex digits of the hash of all parameters)."""
    key = hashlib.sha1(json.dumps({**params, "version": GENERATOR_VERSION}, sort_keys=True).encode()).hexdigest()
    width, height = params["size"]
    total = params["num_classes"] * params["videos_per_class"]
    return (f"{params['split']}-{params.get('class_set', 'patterns')}-{params['num_classes']}classes-{total}clips-"
            f"{width}x{height}-{key[:8]}")


def _is_complete(root: Path, params: dict[str, Any]) -> bool:
    """True when `root` holds a finished set for `params`; ConfigError when it holds one for other params."""
    recorded = root / PARAMETERS
    if not recorded.is_file():
        return False
    found = json.loads(recorded.read_text())
    if found != {**params, "version": GENERATOR_VERSION}:
        raise ConfigError(f"{root} holds synthetic videos made with other parameters ({found}); "
                          "choose another data_root or delete it")
    return True


def _generate(folder: Path, params: dict[str, Any], progress: FileProgress) -> None:
    class_set = params.get("class_set", "patterns")
    names = CLASS_SETS[class_set][: params["num_classes"]]
    extension = CODEC_EXTENSIONS[params["codec"]]
    width, height = params["size"]
    (folder / "videos").mkdir()
    lines = []
    for video in range(params["videos_per_class"]):
        for label, name in enumerate(names):
            rng = np.random.default_rng([params["seed"], SPLITS.index(params["split"]), label, video])
            frames = render_video(label, rng, params["num_frames"], height, width, class_set)
            relative = f"videos/{name}_{video:03d}{extension}"
            encode_video(str(folder / relative), frames, params["fps"], params["codec"])
            lines.append(f"{relative} {label}\n")
            progress.advance()
    (folder / ANNOTATIONS).write_text("".join(lines))
    (folder / CLASSES).write_text("".join(f"{name}\n" for name in names))
    (folder / README).write_text(_readme(params, names))
    (folder / PARAMETERS).write_text(json.dumps({**params, "version": GENERATOR_VERSION}, sort_keys=True))


def _readme(params: dict[str, Any], names: Sequence[str]) -> str:
    """What the folder holds, for someone who finds it in the cache."""
    width, height = params["size"]
    return (f"Synthetic {params['split']} videos of vidcore-video's SyntheticVideoDataset (docs/video.md, "
            "Synthetic dataset).\n\n"
            f"videos/            {params['videos_per_class']} per class, {width}x{height}, {params['num_frames']} "
            f"frames at {params['fps']} fps, {params['codec']}\n"
            f"annotations.txt    one line per video: path label\n"
            f"classes.txt        the class names, label 0 first: {', '.join(names)}\n"
            f"params.json        the parameters (seed {params['seed']}); the folder name ends with their hash\n\n"
            "Generated on first use and reused after; delete the folder to free the space, the next run "
            "generates it again.\n")


class SyntheticVideoDataset(VideoDataset):
    """Generated videos whose class is a moving spatial pattern in random colours (see
    `synthetic_patterns`). Learnable by a 2D CNN, not by mean colour. Files are cached under `data_root`
    (default `~/.cache/vidcore/synthetic/<split>-<class set>-...-<hash>`, see `folder_name`) and reused; each
    split draws different videos from the same `seed`. `class_set: temporal_order` (opt-in) gives classes that
    differ only in the direction of their motion, which a model must see frame order to tell apart."""

    def __init__(self, pipeline: Sequence[Any], num_classes: int = 4, videos_per_class: int = 16,
                 num_frames: int = 16, size: int | Sequence[int] = (96, 72), fps: int = 16, seed: int = 0,
                 split: str = "train", data_root: str | None = None, codec: str = "libx264",
                 test_mode: bool = False, on_decode_error: str = "raise", max_decode_retries: int = 10,
                 class_set: str = "patterns") -> None:
        if class_set not in CLASS_SETS:
            raise ConfigError(f"SyntheticVideoDataset: class_set must be one of {list(CLASS_SETS)}, got {class_set!r}")
        available = len(CLASS_SETS[class_set])
        if not 2 <= num_classes <= available:
            raise ConfigError(f"SyntheticVideoDataset: num_classes must be in [2, {available}] for class_set "
                              f"{class_set!r}, got {num_classes}")
        if split not in SPLITS:
            raise ConfigError(f"SyntheticVideoDataset: split must be one of {SPLITS}, got {split!r}")
        if codec not in CODEC_EXTENSIONS:
            raise ConfigError(f"SyntheticVideoDataset: codec must be one of {list(CODEC_EXTENSIONS)}, got {codec!r}")
        width, height = (size, size) if isinstance(size, int) else (int(size[0]), int(size[1]))
        if width < 16 or height < 16 or width % 2 or height % 2:
            raise ConfigError(f"SyntheticVideoDataset: size must be even and >= 16 per side, got {size!r}")
        if videos_per_class < 1 or num_frames < 1 or fps < 1:
            raise ConfigError("SyntheticVideoDataset: videos_per_class, num_frames and fps must be >= 1")
        params = {"num_classes": num_classes, "videos_per_class": videos_per_class, "num_frames": num_frames,
                  "size": [width, height], "fps": fps, "seed": seed, "split": split, "codec": codec}
        if class_set != "patterns":  # recorded only when set, so the default sets keep their cache folders
            params["class_set"] = class_set
        self.data_root = str(ensure_synthetic_videos(params, data_root))
        super().__init__(os.path.join(self.data_root, ANNOTATIONS), pipeline, data_prefix=self.data_root,
                         num_classes=num_classes, label_file=os.path.join(self.data_root, CLASSES),
                         test_mode=test_mode, on_decode_error=on_decode_error,
                         max_decode_retries=max_decode_retries)
