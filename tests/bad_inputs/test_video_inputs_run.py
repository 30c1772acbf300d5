"""Video inputs through `vidcore run`: a partial download (an MP4 whose index comes first, cut short) is a
decode error naming the file, handled by `on_decode_error` — never training on copies of its last good
frame; an annotation list saved with a UTF-8 byte-order mark reads as written; a crop larger than the
frames names the pipeline step's argument."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_cases import assert_kept, assert_user_error, snapshot, vidcore
from test_data_inputs import ENV, GOOD, TSN, run_tsn

pytest.importorskip("av")


@pytest.fixture(scope="module")
def videos(tmp_path_factory) -> Path:
    """Good videos v1..v3 and `cut.mp4`: 24 frames with the index (moov) first, cut inside the last frame's data."""
    import av
    import numpy as np
    from vidcore_testing.video import encode_video

    videos = tmp_path_factory.mktemp("videos")
    for index in range(1, 4):
        encode_video(videos / f"v{index}.mp4", num_frames=8)
    path = videos / "cut_source.mp4"
    with av.open(str(path), "w", options={"movflags": "+faststart"}) as container:
        stream = container.add_stream("libx264", rate=8, options={"threads": "1", "preset": "veryfast"})
        stream.width, stream.height, stream.pix_fmt = 32, 32, "yuv420p"
        for index in range(24):
            image = np.full((32, 32, 3), index * 10, dtype=np.uint8)
            container.mux(stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")))
        container.mux(stream.encode())
    with av.open(str(path)) as container:
        offset, size = max((packet.pos, packet.size) for packet in container.demux(video=0) if packet.size)
    (videos / "cut.mp4").write_bytes(path.read_bytes()[: offset + size // 2])
    return videos


def test_truncated_mp4_stops_the_run_with_one_line(project: Path, videos: Path):
    result, before = run_tsn(project, videos, ["cut.mp4 0"] + GOOD[1:], backend="PyAV")
    assert_user_error(result, f"cannot decode {videos}/cut.mp4: truncated: the file ends inside the data of "
                              "frame 24 of the 24 the container claims")
    assert_kept(project / "work_dir", before)


def test_truncated_mp4_is_skipped_by_on_decode_error_skip(project: Path, videos: Path):
    result, before = run_tsn(project, videos, ["cut.mp4 0"] + GOOD[1:], backend="Decord", on_error="skip")
    assert result.returncode == 0, result
    assert f"skipping undecodable {videos}/cut.mp4 (truncated: the file ends inside the data of frame 24" \
        in result.stderr
    assert_kept(project / "work_dir", before, replaced=("epoch_1.pth", "last_checkpoint"))


def test_bom_annotation_list_and_a_crop_larger_than_the_frames(project: Path, videos: Path):
    """The list's first path reads as `v1.mp4` (not "\\ufeffv1.mp4 is missing"), so the run gets as far as
    the crop, whose error names the pipeline step's key rather than blaming the video."""
    (project / "ann.txt").write_text("".join(f"{line}\n" for line in GOOD[1:]), encoding="utf-8-sig")
    (project / "tsn.yaml").write_text(TSN.format(ann="ann.txt", videos=videos, backend="PyAV", workers=0,
                                                 on_error="raise"))
    before = snapshot(project / "work_dir")
    result = vidcore("run", "tsn.yaml", "--work-dir", "work_dir", "--overwrite", "--cfg-options",
                     "train_dataloader.dataset.pipeline.3={type: CenterCrop, crop_size: 64}", cwd=project, env=ENV)
    assert_user_error(result, "pipeline[3].crop_size: CenterCrop crop of 64x64 is larger than the frames it gets "
                              f"(32x32, from {videos}/v", "); lower crop_size or resize the frames before CenterCrop")
    assert_kept(project / "work_dir", before)
