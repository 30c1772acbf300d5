"""Bad data for a real video model (vidcore-video's VideoDataset with decord or PyAV, vidcore-tsn's TSN
ResNet-18 on 32x32 frames): malformed annotation files, labels out of range, missing, empty, truncated and
non-video files, videos shorter than the clip. Small real videos are encoded with PyAV."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from cli_cases import assert_kept, assert_user_error, snapshot, vidcore
from reliability_toys import toy_env

pytest.importorskip("av")

TSN = """\
model:
  type: Recognizer2D
  backbone: {{type: ResNet, depth: 18, pretrained: null}}
  cls_head: {{type: TSNHead, num_classes: 3, in_channels: 512, consensus: {{type: AvgConsensus, dim: 1}}}}
  data_preprocessor: {{type: ActionDataPreprocessor, mean: [128, 128, 128], std: [64, 64, 64], format_shape: NCHW}}
train_dataloader:
  batch_size: 2
  num_workers: {workers}
  dataset:
    type: VideoDataset
    ann_file: {ann}
    data_prefix: {{video: {videos}}}
    on_decode_error: {on_error}
    pipeline:
      - {{type: {backend}Init}}
      - {{type: SampleFrames, clip_len: 1, num_clips: 2}}
      - {{type: {backend}Decode}}
      - {{type: Resize, scale: [32, 32], keep_ratio: false}}
      - {{type: FormatShape, input_format: NCHW}}
      - {{type: PackActionInputs}}
optim_wrapper: {{optimizer: {{type: SGD, lr: 0.01}}}}
train_cfg: {{type: EpochBasedTrainLoop, max_epochs: 1}}
default_hooks: {{logger: {{interval: 1}}}}
randomness: {{seed: 0}}
"""
ENV = toy_env(VIDCORE_PLUGINS="vidcore-video,vidcore-tsn")


@pytest.fixture(scope="session")
def videos(tmp_path_factory) -> Path:
    """Good 8-frame videos v0..v3, a 2-frame one, and the bad files: empty, truncated, text named .mp4."""
    from vidcore_testing.video import encode_video

    folder = tmp_path_factory.mktemp("videos")
    for index in range(4):
        encode_video(folder / f"v{index}.mp4", num_frames=8)
    encode_video(folder / "short.mp4", num_frames=2)
    (folder / "empty.mp4").write_bytes(b"")
    data = (folder / "v0.mp4").read_bytes()
    (folder / "truncated.mp4").write_bytes(data[: len(data) // 3])
    (folder / "text.mp4").write_text("this is not a video\n" * 20)
    return folder


def run_tsn(project: Path, videos: Path, lines: list[str], *options: str, backend: str = "Decord", workers: int = 0,
            on_error: str = "raise"):
    (project / "ann.txt").write_text("".join(f"{line}\n" for line in lines))
    (project / "tsn.yaml").write_text(TSN.format(ann="ann.txt", videos=videos, backend=backend, workers=workers,
                                                 on_error=on_error))
    before = snapshot(project / "work_dir")
    result = vidcore("run", "tsn.yaml", "--work-dir", "work_dir", "--overwrite", *options, cwd=project, env=ENV)
    return result, before


GOOD = ["v0.mp4 0", "v1.mp4 1", "v2.mp4 2", "v3.mp4 1"]


def test_malformed_annotation_lines(project: Path, videos: Path):
    result, before = run_tsn(project, videos, ["v0.mp4 0", "v1.mp4", "v2.mp4 two", "v3.mp4 1 2"])
    assert_user_error(result, "tsn.yaml: train_dataloader.dataset (VideoDataset): 3 of 4 annotation lines are "
                              "malformed: ann.txt:2: expected 'path label' in 'v1.mp4'; ann.txt:3: label 'two' is not "
                              "an integer in 'v2.mp4 two'; ann.txt:4: 2 labels on a single-label line")
    assert_kept(project / "work_dir", before)


def test_out_of_range_labels(project: Path, videos: Path):
    result, before = run_tsn(project, videos, ["v0.mp4 0", "v1.mp4 7", "v2.mp4 -1", "v3.mp4 1"],
                             "--cfg-options", "train_dataloader.dataset.num_classes=3")
    assert_user_error(result, "2 of 4 annotation lines are malformed: ann.txt:2: label 7 is out of range [0, 3) for "
                              "num_classes=3 in 'v1.mp4 7'; ann.txt:3: label -1 is negative")
    assert_kept(project / "work_dir", before)


def test_labels_beyond_the_heads_classes(project: Path, videos: Path):
    """Without num_classes on the dataset the annotation file cannot be checked; the head's loss says it."""
    result, before = run_tsn(project, videos, ["v0.mp4 0", "v1.mp4 5", "v2.mp4 2", "v3.mp4 5"])
    assert_user_error(result, "model.cls_head: label 5 is out of range [0, 3) for num_classes=3; set num_classes on "
                              "the dataset")
    assert_kept(project / "work_dir", before)


def test_missing_video_files(project: Path, videos: Path):
    result, before = run_tsn(project, videos, ["v0.mp4 0", "gone_1.mp4 1", "gone_2.mp4 2", "v3.mp4 1"])
    assert_user_error(result, f"ann.txt: 2 of 4 video files are missing (data_prefix '{videos}'): "
                              f"{videos}/gone_1.mp4, {videos}/gone_2.mp4")
    assert_kept(project / "work_dir", before)


@pytest.mark.parametrize("name, backend, reason", [
    ("empty.mp4", "Decord", "file is empty (0 bytes)"),
    ("empty.mp4", "PyAV", "file is empty (0 bytes)"),
    ("truncated.mp4", "Decord", "not a readable video"),
    ("truncated.mp4", "PyAV", ""),
    ("text.mp4", "Decord", "not a readable video"),
    ("text.mp4", "PyAV", "not a readable video"),
])
def test_undecodable_video(project: Path, videos: Path, name: str, backend: str, reason: str):
    result, before = run_tsn(project, videos, [f"{name} 0"] * 4, backend=backend)
    assert_user_error(result, f"cannot decode {videos}/{name}: {reason}")
    assert_kept(project / "work_dir", before)


def test_undecodable_video_in_a_dataloader_worker(project: Path, videos: Path):
    """torch re-raises a worker's exception as a RuntimeError holding its traceback; the runner gives back the
    user error's one line."""
    result, before = run_tsn(project, videos, ["empty.mp4 0"] * 4, workers=1)
    assert_user_error(result, f"cannot decode {videos}/empty.mp4: file is empty (0 bytes)")
    assert_kept(project / "work_dir", before)


def test_on_decode_error_skip_replaces_bad_files_and_trains(project: Path, videos: Path):
    result, before = run_tsn(project, videos, ["v0.mp4 0", "empty.mp4 1", "v2.mp4 2", "text.mp4 1"],
                             on_error="skip")
    assert result.returncode == 0, result
    assert f"skipping undecodable {videos}/empty.mp4 (file is empty (0 bytes))" in result.stderr
    assert_kept(project / "work_dir", before, replaced=("epoch_1.pth", "last_checkpoint"))  # written by this run


def test_videos_shorter_than_the_clip_loop_their_frames(project: Path, videos: Path):
    """Documented policy (docs/video.md, SampleFrames): indices past the end wrap around; training goes on."""
    result, before = run_tsn(project, videos, ["short.mp4 0", "short.mp4 1"] + GOOD[2:], "--cfg-options",
                             "train_dataloader.dataset.pipeline.1.num_clips=8")
    assert result.returncode == 0, result
    assert (project / "work_dir" / "epoch_1.pth").exists()
    assert_kept(project / "work_dir", before, replaced=("epoch_1.pth", "last_checkpoint"))


def test_a_bad_file_removed_by_the_user_mid_run_is_reported(project: Path, videos: Path, tmp_path: Path):
    """A file that disappears after the dataset was checked (network storage) is a decode error naming it."""
    gone = tmp_path / "vanishing"
    gone.mkdir()
    shutil.copy(videos / "v0.mp4", gone / "v0.mp4")
    (project / "ann.txt").write_text("v0.mp4 0\n" * 4)
    (project / "tsn.yaml").write_text(TSN.format(ann="ann.txt", videos=gone, backend="PyAV", workers=0,
                                                 on_error="raise")
                                      + "custom_imports: {imports: [reliability_toys]}\n"
                                      + "custom_hooks: [{type: RemoveFileHook, path: " + str(gone / "v0.mp4") + "}]\n")
    result = vidcore("run", "tsn.yaml", "--work-dir", "work_dir", "--overwrite", cwd=project, env=ENV)
    assert_user_error(result, f"cannot decode {gone}/v0.mp4")
