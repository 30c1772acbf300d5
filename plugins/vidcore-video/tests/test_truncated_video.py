"""A video file shorter than its container says, or with frames that do not decode, is a DecodeError for
every decoder (PyAV, decord, raw frames): a missing frame is never replaced by a copy of another one.

The MP4s are written with their index (moov box) at the front (`movflags=+faststart`), so a cut file still
opens and lists all its frames, as a partial download does."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from vidcore_video.errors import DecodeError
from vidcore_video.transforms.decoding_decord import DecordDecode, DecordInit
from vidcore_video.transforms.decoding_pyav import PyAVDecode, PyAVInit
from vidcore_video.transforms.decoding_rawframes import RawFrameDecode

FRAMES = 24


@pytest.fixture(scope="module")
def faststart_mp4(tmp_path_factory, media) -> tuple[Path, list[tuple[int, int]]]:
    """A 24-frame H.264 MP4 (with B-frames) whose index comes first, and its packets' (offset, size)."""
    import av

    path = tmp_path_factory.mktemp("faststart") / "full.mp4"
    with av.open(str(path), "w", options={"movflags": "+faststart"}) as container:
        stream = container.add_stream("libx264", rate=8, options={"threads": "1", "preset": "veryfast"})
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        stream.codec_context.gop_size = 8
        for frame in media.indexed_frames(FRAMES, 48, 64):
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        container.mux(stream.encode())
    data = path.read_bytes()
    assert 0 < data.find(b"moov") < data.find(b"mdat"), "the index must come before the frames"
    with av.open(str(path)) as container:
        packets = sorted((packet.pos, packet.size) for packet in container.demux(video=0) if packet.size)
    assert len(packets) == FRAMES
    return path, packets


def decode(init, decoder, path: Path, indices) -> np.ndarray:
    results = init({"filename": str(path)})
    results["frame_inds"] = np.asarray(indices)
    return decoder(results)["imgs"]


DECODERS = {
    "pyav": (PyAVInit, PyAVDecode),
    "decord": (DecordInit, DecordDecode),
}


@pytest.mark.timeout(60)  # decord has hung on damaged files before; its EOF retries are capped
@pytest.mark.parametrize("backend", sorted(DECODERS))
def test_a_file_cut_inside_its_last_frame_is_truncated(faststart_mp4, tmp_path, backend):
    path, packets = faststart_mp4
    offset, size = packets[-1]
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(path.read_bytes()[: offset + size // 2])
    init, decoder = DECODERS[backend]
    with pytest.raises(DecodeError, match=f"cannot decode {cut}: truncated: the file ends inside the data of "
                                          f"frame {FRAMES} of the {FRAMES} the container claims"):
        decode(init(), decoder(), cut, range(FRAMES))


@pytest.mark.timeout(60)
def test_decord_without_the_probe_never_repeats_a_frame(faststart_mp4, tmp_path, media):
    """decord itself opens the cut file and fails on its last frames; the PyAV fallback names the damage."""
    path, packets = faststart_mp4
    offset, size = packets[-1]
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(path.read_bytes()[: offset + size // 2])
    with pytest.raises(DecodeError, match="truncated"):
        decode(DecordInit(validate=False), DecordDecode(), cut, range(FRAMES))
    with pytest.raises(DecodeError, match="decord failed"):
        decode(DecordInit(validate=False), DecordDecode(fallback_to_pyav=False), cut, range(FRAMES))


@pytest.mark.timeout(60)
@pytest.mark.parametrize("backend", sorted(DECODERS))
def test_a_file_cut_between_frames_is_truncated(faststart_mp4, tmp_path, backend):
    """Every frame left decodes, but the container lists 24: the file is still refused, not trained on in part."""
    path, packets = faststart_mp4
    offset, size = packets[19]
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(path.read_bytes()[: offset + size])
    init, decoder = DECODERS[backend]
    with pytest.raises(DecodeError, match=f"truncated: the container claims {FRAMES} frames, 20 are present"):
        decode(init(), decoder(), cut, [0, 5, 10])


@pytest.mark.timeout(60)
@pytest.mark.parametrize("backend", sorted(DECODERS))
def test_frames_that_do_not_decode_are_named_not_repeated(faststart_mp4, tmp_path, media, backend):
    """The last frame's data overwritten in place (the file's length is right): the frames that depend on it
    do not decode, and asking for them is an error naming them; the frames before still come back right."""
    path, packets = faststart_mp4
    offset, size = packets[-1]
    damaged = bytearray(path.read_bytes())
    damaged[offset: offset + size] = b"\xff" * size
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(bytes(damaged))
    init, decoder = DECODERS[backend]
    with pytest.raises(DecodeError, match=rf"cannot decode {broken}: \d of {FRAMES} requested frames do not decode "
                                          rf"\(frame .*{FRAMES - 1} of {FRAMES}\): the file is damaged"):
        decode(init(), decoder(), broken, range(FRAMES))
    imgs = decode(init(), decoder(), broken, [3, 0, 12])
    assert [media.index_of(frame) for frame in imgs] == [3, 0, 12]


def test_raw_frame_folder_with_fewer_frames_than_listed(frame_folder, tmp_path):
    folder = tmp_path / "clip"
    shutil.copytree(frame_folder[0], folder)
    present = sorted(folder.iterdir())
    present[-1].unlink()
    listed = len(present)
    with pytest.raises(DecodeError, match=f"frame file not found \\(frame {listed} of the {listed} its annotation "
                                          f"lists for {folder}\\)"):
        RawFrameDecode()({"frame_dir": str(folder), "frame_inds": np.arange(listed) + 1, "total_frames": listed,
                          "filename_tmpl": "img_{:05}.png"})
