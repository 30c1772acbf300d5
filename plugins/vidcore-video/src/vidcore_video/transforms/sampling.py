"""Temporal sampling: which frame indices a clip is made of (`SampleFrames`, `DenseSampleFrames`,
`UniformSample`). Semantics follow mmaction2 1.x; random draws use numpy's global generator, which
PyTorch seeds per DataLoader worker."""

from __future__ import annotations

import numpy as np
from vidcore.errors import DataError
from vidcore.registry import check_by_constructing

from .clip import require

__all__ = ["SampleFrames", "DenseSampleFrames", "UniformSample"]

_OUT_OF_BOUND_OPTIONS = ("loop", "repeat_last")


def _total_frames(results: dict) -> int:
    total = int(results["total_frames"])
    if total < 1:
        source = results.get("filename") or results.get("frame_dir") or "sample"
        raise DataError(f"{source}: has {total} frames, nothing to sample")
    return total


def _start_index(results: dict, override: int | None) -> int:
    return int(override) if override is not None else int(results.get("start_index", 0))


class SampleFrames:
    """`num_clips` clips of `clip_len` frames, `frame_interval` apart.

    Training: clips start at random offsets within equal segments of the video. Test mode: deterministic
    offsets — for `clip_len == 1` (2D models) the centre of each of `num_clips` equal segments
    (`int(i * n / num_clips + n / num_clips / 2)`); otherwise `num_clips` offsets spread evenly over
    `[0, n - ((clip_len - 1) * frame_interval + 1)]` and rounded, or the middle offset for one clip.
    Indices past the end wrap around (`loop`) or repeat the clip's last valid frame (`repeat_last`).
    `start_index` (normally set by the dataset: 0 for videos, 1 for raw frames) is added to every index.
    """

    check_config = classmethod(check_by_constructing)  # the constructor validates and stores only

    def __init__(self, clip_len: int, frame_interval: int = 1, num_clips: int = 1, temporal_jitter: bool = False,
                 twice_sample: bool = False, out_of_bound_opt: str = "loop", test_mode: bool = False,
                 keep_tail_frames: bool = False, start_index: int | None = None) -> None:
        name = type(self).__name__
        require(clip_len >= 1, f"{name}: clip_len must be >= 1, got {clip_len}")
        require(frame_interval >= 1, f"{name}: frame_interval must be >= 1, got {frame_interval}")
        require(num_clips >= 1, f"{name}: num_clips must be >= 1, got {num_clips}")
        require(out_of_bound_opt in _OUT_OF_BOUND_OPTIONS,
                f"{name}: out_of_bound_opt must be one of {_OUT_OF_BOUND_OPTIONS}, got {out_of_bound_opt!r}")
        self.clip_len = clip_len
        self.frame_interval = frame_interval
        self.num_clips = num_clips
        self.temporal_jitter = temporal_jitter
        self.twice_sample = twice_sample
        self.out_of_bound_opt = out_of_bound_opt
        self.test_mode = test_mode
        self.keep_tail_frames = keep_tail_frames
        self.start_index = start_index

    # --- clip offsets -------------------------------------------------------------------------------
    def _train_offsets(self, total: int) -> np.ndarray:
        span = self.clip_len * self.frame_interval
        if self.keep_tail_frames:
            if total <= span - 1:
                return np.zeros(self.num_clips, dtype=np.int64)
            segment = (total - span + 1) / self.num_clips
            starts = np.arange(self.num_clips) * segment
            return (starts + np.random.uniform(0, segment, self.num_clips)).astype(np.int64)
        segment = (total - span + 1) // self.num_clips
        if segment > 0:
            return np.arange(self.num_clips) * segment + np.random.randint(segment, size=self.num_clips)
        if total > max(self.num_clips, span):
            return np.sort(np.random.randint(total - span + 1, size=self.num_clips))
        if segment == 0:
            ratio = (total - span + 1.0) / self.num_clips
            return np.around(np.arange(self.num_clips) * ratio)
        return np.zeros(self.num_clips, dtype=np.int64)

    def _test_offsets(self, total: int) -> np.ndarray:
        if self.clip_len == 1:
            segment = total / float(self.num_clips)
            starts = np.arange(self.num_clips) * segment
            offsets = starts + segment / 2.0
            return np.concatenate([offsets, starts]) if self.twice_sample else offsets
        span = (self.clip_len - 1) * self.frame_interval + 1
        max_offset = max(total - span, 0)
        count = self.num_clips * (2 if self.twice_sample else 1)
        if count == 1 or self.num_clips == 1:
            return np.full(count, max_offset // 2)
        step = max_offset / float(self.num_clips - 1)
        return np.round(np.arange(count) * step)

    def _clip_offsets(self, total: int) -> np.ndarray:
        return self._test_offsets(total) if self.test_mode else self._train_offsets(total)

    # --- indices ------------------------------------------------------------------------------------
    def _frame_indices(self, offsets: np.ndarray, total: int) -> np.ndarray:
        """(num_offsets * clip_len,) indices for clips starting at `offsets`, kept inside [0, total)."""
        steps = np.arange(self.clip_len) * self.frame_interval
        inds = np.floor(np.asarray(offsets, dtype=np.float64)[:, None] + steps[None, :]).astype(np.int64)
        if self.temporal_jitter:
            inds += np.random.randint(self.frame_interval, size=inds.shape)
        if self.out_of_bound_opt == "loop":
            inds = np.mod(inds, total)
        else:
            valid = inds < total
            last_valid = np.max(np.where(valid, inds, 0), axis=1, keepdims=True)
            inds = np.where(valid, inds, last_valid)
        return inds.reshape(-1)

    def __call__(self, results: dict) -> dict:
        total = _total_frames(results)
        inds = self._frame_indices(self._clip_offsets(total), total)
        results["frame_inds"] = inds + _start_index(results, self.start_index)
        results["clip_len"] = self.clip_len
        results["frame_interval"] = self.frame_interval
        results["num_clips"] = self.num_clips
        return results

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(clip_len={self.clip_len}, frame_interval={self.frame_interval}, "
                f"num_clips={self.num_clips}, temporal_jitter={self.temporal_jitter}, "
                f"twice_sample={self.twice_sample}, out_of_bound_opt={self.out_of_bound_opt!r}, "
                f"test_mode={self.test_mode}, keep_tail_frames={self.keep_tail_frames})")


class DenseSampleFrames(SampleFrames):
    """Clips from a window of `sample_range` frames: `num_clips` clips `sample_range // num_clips` apart.

    Training picks one random window start; test mode uses `num_sample_positions` window starts spread
    evenly (so it yields `num_sample_positions * num_clips` clips).
    """

    check_config = classmethod(check_by_constructing)  # the constructor validates and stores only

    def __init__(self, clip_len: int, frame_interval: int = 1, num_clips: int = 1, sample_range: int = 64,
                 num_sample_positions: int = 10, temporal_jitter: bool = False, out_of_bound_opt: str = "loop",
                 test_mode: bool = False, start_index: int | None = None) -> None:
        super().__init__(clip_len, frame_interval, num_clips, temporal_jitter=temporal_jitter,
                         out_of_bound_opt=out_of_bound_opt, test_mode=test_mode, start_index=start_index)
        require(sample_range >= 1, f"DenseSampleFrames: sample_range must be >= 1, got {sample_range}")
        require(num_sample_positions >= 1,
                f"DenseSampleFrames: num_sample_positions must be >= 1, got {num_sample_positions}")
        self.sample_range = sample_range
        self.num_sample_positions = num_sample_positions

    def _base_offsets(self) -> np.ndarray:
        return np.arange(self.num_clips) * (self.sample_range // self.num_clips)

    def _train_offsets(self, total: int) -> np.ndarray:
        positions = max(1, 1 + total - self.sample_range)
        start = 0 if positions == 1 else np.random.randint(0, positions - 1)
        return (self._base_offsets() + start) % total

    def _test_offsets(self, total: int) -> np.ndarray:
        positions = max(1, 1 + total - self.sample_range)
        starts = np.linspace(0, positions - 1, num=self.num_sample_positions, dtype=int)
        return ((self._base_offsets()[None, :] + starts[:, None]) % total).reshape(-1)

    def __repr__(self) -> str:
        return (f"DenseSampleFrames(clip_len={self.clip_len}, frame_interval={self.frame_interval}, "
                f"num_clips={self.num_clips}, sample_range={self.sample_range}, "
                f"num_sample_positions={self.num_sample_positions}, test_mode={self.test_mode})")


class UniformSample:
    """One frame from each of `clip_len` equal segments (SlowFast's Something-Something sampling).

    Training draws a random frame per segment; test mode takes, for clip k of `num_clips`, the frame
    `int(seg * (k + 1) / (num_clips + 1))` past each segment start, where `seg = (n - 1) / clip_len`.
    """

    check_config = classmethod(check_by_constructing)  # the constructor validates and stores only

    def __init__(self, clip_len: int, num_clips: int = 1, test_mode: bool = False,
                 start_index: int | None = None) -> None:
        require(clip_len >= 1, f"UniformSample: clip_len must be >= 1, got {clip_len}")
        require(num_clips >= 1, f"UniformSample: num_clips must be >= 1, got {num_clips}")
        self.clip_len = clip_len
        self.num_clips = num_clips
        self.test_mode = test_mode
        self.start_index = start_index

    def _indices(self, total: int) -> np.ndarray:
        segment = float(total - 1) / self.clip_len
        positions = np.arange(self.clip_len)
        starts = np.round(segment * positions).astype(np.int64)
        if not self.test_mode:
            ends = np.round(segment * (positions + 1)).astype(np.int64)
            return np.random.randint(starts, ends + 1)
        shift = segment / (self.num_clips + 1)
        shifts = (shift * (np.arange(self.num_clips) + 1)).astype(np.int64)
        return (shifts[:, None] + starts[None, :]).reshape(-1)

    def __call__(self, results: dict) -> dict:
        total = _total_frames(results)
        results["frame_inds"] = self._indices(total) + _start_index(results, self.start_index)
        results["clip_len"] = self.clip_len
        results["frame_interval"] = None
        results["num_clips"] = self.num_clips
        return results

    def __repr__(self) -> str:
        return f"UniformSample(clip_len={self.clip_len}, num_clips={self.num_clips}, test_mode={self.test_mode})"
