"""Frame sampling: explicit indices for mmaction2's documented semantics (test mode is deterministic)."""

from __future__ import annotations

import numpy as np
import pytest
from vidcore.errors import ConfigError, DataError
from vidcore_video.transforms.sampling import DenseSampleFrames, SampleFrames, UniformSample


def sample(transform, total: int, start_index: int = 0) -> list[int]:
    return transform({"total_frames": total, "start_index": start_index})["frame_inds"].tolist()


def test_test_mode_2d_takes_segment_centres():
    assert sample(SampleFrames(1, num_clips=8, test_mode=True), 100) == [6, 18, 31, 43, 56, 68, 81, 93]
    assert sample(SampleFrames(1, num_clips=25, test_mode=True), 300) == list(range(6, 300, 12))


def test_test_mode_2d_twice_sample_adds_segment_starts():
    inds = sample(SampleFrames(1, num_clips=8, test_mode=True, twice_sample=True), 100)
    assert inds == [6, 18, 31, 43, 56, 68, 81, 93, 0, 12, 25, 37, 50, 62, 75, 87]


def test_start_index_shifts_every_index():
    assert sample(SampleFrames(1, num_clips=4, test_mode=True), 8, start_index=1) == [2, 4, 6, 8]
    assert sample(SampleFrames(1, num_clips=4, test_mode=True, start_index=5), 8, start_index=1) == [6, 8, 10, 12]


def test_test_mode_3d_spreads_clips_evenly():
    # span (4 - 1) * 2 + 1 = 7, offsets round([0, 21.5, 43])
    inds = sample(SampleFrames(4, frame_interval=2, num_clips=3, test_mode=True), 50)
    assert inds == [0, 2, 4, 6, 22, 24, 26, 28, 43, 45, 47, 49]
    assert sample(SampleFrames(8, num_clips=1, test_mode=True), 30) == list(range(11, 19))


def test_out_of_bound_loop_and_repeat_last():
    assert sample(SampleFrames(8, frame_interval=2, test_mode=True), 10) == [0, 2, 4, 6, 8, 0, 2, 4]
    repeat = SampleFrames(8, frame_interval=2, test_mode=True, out_of_bound_opt="repeat_last")
    assert sample(repeat, 10) == [0, 2, 4, 6, 8, 8, 8, 8]


def test_test_mode_is_deterministic():
    transform = SampleFrames(2, frame_interval=3, num_clips=5, test_mode=True)
    assert sample(transform, 77) == sample(transform, 77)


def test_train_offsets_fall_in_their_segments():
    np.random.seed(0)
    for _ in range(20):
        inds = np.array(sample(SampleFrames(1, num_clips=8), 100))
        assert ((inds >= np.arange(8) * 12) & (inds < np.arange(8) * 12 + 12)).all()


def test_train_short_videos():
    assert sample(SampleFrames(1, num_clips=8), 8) == list(range(8))  # one frame per segment
    assert sample(SampleFrames(1, num_clips=8), 5) == [0, 1, 1, 2, 2, 3, 4, 4]  # spread with repeats
    assert sample(SampleFrames(8, num_clips=1), 5) == [0, 1, 2, 3, 4, 0, 1, 2]  # shorter than one clip: loop


def test_keep_tail_frames_reaches_the_end():
    np.random.seed(1)
    seen = set()
    for _ in range(200):
        seen.update(sample(SampleFrames(1, num_clips=2, keep_tail_frames=True), 10))
    assert seen == set(range(10))


def test_temporal_jitter_stays_within_the_interval():
    np.random.seed(2)
    inds = np.array(sample(SampleFrames(4, frame_interval=4, num_clips=1, temporal_jitter=True, test_mode=True), 40))
    base = np.array([12, 16, 20, 24])  # max_offset 27 -> 13; 13 + 4 * k, jittered by 0..3
    assert ((inds >= base + 1) & (inds <= base + 4)).all()


def test_results_keys():
    results = SampleFrames(4, frame_interval=2, num_clips=3)({"total_frames": 60, "start_index": 0})
    assert (results["clip_len"], results["frame_interval"], results["num_clips"]) == (4, 2, 3)
    assert results["frame_inds"].shape == (12,)


def test_dense_sample_frames():
    dense = DenseSampleFrames(2, num_clips=2, sample_range=8, num_sample_positions=3, test_mode=True)
    assert sample(dense, 20) == [0, 1, 4, 5, 6, 7, 10, 11, 12, 13, 16, 17]
    assert sample(DenseSampleFrames(2, num_clips=2, sample_range=8), 6) == [0, 1, 4, 5]


def test_uniform_sample():
    assert sample(UniformSample(4, test_mode=True), 21) == [2, 7, 12, 17]
    assert sample(UniformSample(4, num_clips=2, test_mode=True), 21) == [1, 6, 11, 16, 3, 8, 13, 18]
    np.random.seed(3)
    for _ in range(20):
        inds = np.array(sample(UniformSample(4), 21))
        assert ((inds >= [0, 5, 10, 15]) & (inds <= [5, 10, 15, 20])).all()


def test_invalid_arguments_and_empty_videos():
    with pytest.raises(ConfigError, match="out_of_bound_opt"):
        SampleFrames(1, out_of_bound_opt="clamp")
    with pytest.raises(ConfigError, match="clip_len"):
        SampleFrames(0)
    with pytest.raises(DataError, match="v.mp4: has 0 frames"):
        SampleFrames(1)({"total_frames": 0, "start_index": 0, "filename": "v.mp4"})
