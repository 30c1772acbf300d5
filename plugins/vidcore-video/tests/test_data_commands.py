"""`vidcore data`: build-list, check, prepare and extract-frames, run through the CLI as a user runs them, on
videos encoded here (several sizes, keyframe intervals and containers) and on broken files."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

# (name, container suffix, codec, frames, width, height, keyframe interval) of the good sources
SOURCES = [
    ("walk/a", ".mp4", "libx264", 30, 64, 48, 250),
    ("walk/b", ".mkv", "libx264", 36, 48, 64, 12),
    ("run/c", ".avi", "mpeg4", 40, 70, 38, 5),
    ("run/d", ".mp4", "libx264", 30, 66, 50, 30),
]


def decoded_frames(path: str | Path) -> list:
    """Every frame of `path`'s video stream, decoded (PyAV frames)."""
    import av

    with av.open(str(path)) as container:
        return list(container.decode(video=0))


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def hidden_leftovers(folder: Path) -> list[Path]:
    return [path for path in folder.rglob(".*") if path.name != ".vidcore-data.json"]


@pytest.fixture(scope="module")
def dataset(tmp_path_factory, media):
    """A folder per class holding good videos, and broken files next to them; lists of both kinds."""
    import av
    import numpy as np

    root = tmp_path_factory.mktemp("dataset")
    good = []
    for name, suffix, codec, count, width, height, gop in SOURCES:
        path = root / f"{name}{suffix}"
        path.parent.mkdir(parents=True, exist_ok=True)
        media.write_video(path, media.indexed_frames(count, height, width), codec, gop=gop)
        good.append(f"{name}{suffix}")
    bad = {}
    (root / "run/empty.mp4").write_bytes(b"")
    bad["run/empty.mp4"] = "file is empty (0 bytes)"
    data = (root / "walk/a.mp4").read_bytes()
    (root / "run/cut.mp4").write_bytes(data[: len(data) // 2])
    bad["run/cut.mp4"] = "truncated or damaged MP4/MOV"
    data = (root / "walk/b.mkv").read_bytes()
    (root / "run/chopped.mkv").write_bytes(data[: len(data) * 2 // 3])
    bad["run/chopped.mkv"] = "truncated: the container claims 36 frames"
    (root / "run/notes.mp4").write_text("this is not a video\n" * 20)
    bad["run/notes.mp4"] = "not a readable video"
    with av.open(str(root / "run/sound.mp4"), "w") as container:  # audio only
        stream = container.add_stream("aac", rate=8000)
        for index in range(8):
            frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
            frame.sample_rate, frame.pts = 8000, index * 1024
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    bad["run/sound.mp4"] = "no video stream"
    bad["run/gone.mp4"] = "file not found"
    lists = root.parent / f"{root.name}-lists"
    lists.mkdir()
    (lists / "good.txt").write_text("".join(f"{path} {index % 2}\n" for index, path in enumerate(good)))
    mixed = [f"{path} 0\n" for path in good[:2]] + [f"{path} 1\n" for path in bad] + [f"{good[2]} 0\n"]
    mixed.append("run/empty.mp4 0\n")  # listed twice: checked once, both lines reported
    (lists / "mixed.txt").write_text("# a comment line\n" + "".join(mixed))
    return {"root": root, "lists": lists, "good": good, "bad": bad}


def test_data_lists_its_subcommands_and_registration_imports_nothing_heavy(run_vidcore):
    result = run_vidcore("data", "--help")
    assert result.returncode == 0, result
    for command in ("build-list", "check", "prepare", "extract-frames"):
        assert command in result.stdout
    code = ("import argparse, sys, vidcore_video.plugin as p\n"
            "p.vidcore_add_commands(argparse.ArgumentParser().add_subparsers())\n"
            "print(','.join(m for m in ('torch', 'av', 'numpy', 'PIL', 'rich') if m in sys.modules))\n")
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert output.strip() == ""


def test_build_list_writes_sorted_lists_a_per_class_split_and_class_names(run_vidcore, tmp_path):
    root = tmp_path / "ucf"
    for name, count in (("jump", 5), ("archery", 4), ("surf", 10)):
        (root / name / "sub").mkdir(parents=True)
        for index in range(count):
            (root / name / ("sub" if index == 0 else "") / f"v{index}.avi").write_bytes(b"x")
    (root / "surf" / "notes.txt").write_text("not a video")
    (root / "surf" / ".hidden.mp4").write_bytes(b"x")

    result = run_vidcore("data", "build-list", root, "-o", tmp_path / "all.txt")
    assert result.returncode == 0, result
    assert (tmp_path / "all_classes.txt").read_text() == "archery\njump\nsurf\n"
    lines = (tmp_path / "all.txt").read_text().splitlines()
    assert len(lines) == 19 and lines[0] == "archery/sub/v0.avi 0" and lines[-1] == "surf/v9.avi 2"
    assert lines == sorted(lines, key=lambda line: (int(line.split()[1]), line))
    assert "1 files that are not videos were left out" in result.stdout

    split = [run_vidcore("data", "build-list", root, "-o", tmp_path / f"s{run}.txt", "--val-fraction", "0.2",
                         "--seed", "3") for run in range(2)]
    assert all(run.returncode == 0 for run in split), split
    train, val = ((tmp_path / f"s0_{part}.txt").read_text().splitlines() for part in ("train", "val"))
    assert (tmp_path / "s1_val.txt").read_text().splitlines() == val  # deterministic
    assert sorted(train + val) == sorted(lines)
    assert [sum(line.endswith(f" {label}") for line in val) for label in range(3)] == [1, 1, 2]  # round(0.2 n)
    other_seed = run_vidcore("data", "build-list", root, "-o", tmp_path / "t.txt", "--val-fraction", "0.2",
                             "--seed", "4")
    assert other_seed.returncode == 0 and (tmp_path / "t_val.txt").read_text().splitlines() != val

    (tmp_path / "names.txt").write_text("surf\njump\n")
    chosen = run_vidcore("data", "build-list", root, "-o", tmp_path / "c.txt", "--classes", tmp_path / "names.txt")
    assert chosen.returncode == 0, chosen
    labels = [line.split() for line in (tmp_path / "c.txt").read_text().splitlines()]
    assert {path.split("/")[0]: int(label) for path, label in labels} == {"surf": 0, "jump": 1}

    (tmp_path / "names.txt").write_text("surf\nskiing\n")
    unknown = run_vidcore("data", "build-list", root, "-o", tmp_path / "u.txt", "--classes", tmp_path / "names.txt")
    assert unknown.returncode == 2 and "skiing" in unknown.stderr and len(unknown.stderr.splitlines()) == 1
    assert not (tmp_path / "u.txt").exists()


def test_check_reports_every_bad_file_with_its_reason_and_writes_the_clean_list(run_vidcore, dataset):
    lists = dataset["lists"]
    result = run_vidcore("data", "check", lists / "mixed.txt", "--data-prefix", dataset["root"], "--workers", "2",
                         "--write-clean", lists / "clean.txt")
    assert result.returncode == 1, result
    reported = [line for line in result.stdout.splitlines() if line.startswith(str(lists / "mixed.txt"))]
    assert len(reported) == len(dataset["bad"]) + 1, result.stdout
    assert sum("/run/empty.mp4: " in line for line in reported) == 2
    for path, reason in dataset["bad"].items():
        line = next((line for line in reported if f"/{path}: " in line), None)
        assert line is not None and reason in line, (path, result.stdout)
    assert f"{len(dataset['bad']) + 3} files, 3 good, {len(dataset['bad'])} bad" in result.stdout
    clean = (lists / "clean.txt").read_text().splitlines()
    assert clean == ["# a comment line", f"{dataset['good'][0]} 0", f"{dataset['good'][1]} 0",
                     f"{dataset['good'][2]} 0"]

    again = run_vidcore("data", "check", lists / "clean.txt", "--data-prefix", dataset["root"], "--full")
    assert again.returncode == 0, again
    assert "3 files, 3 good, 0 bad" in again.stdout


def test_check_kills_a_decode_past_the_time_limit_and_goes_on(run_vidcore, tmp_path, dataset, media):
    # a full decode of 300 frames of 640x480 takes far longer than 5 ms on any machine
    media.write_video(tmp_path / "long.mp4", media.indexed_frames(300, 480, 640), "libx264", gop=250)
    (tmp_path / "list.txt").write_text(f"long.mp4 0\n{dataset['root'] / dataset['good'][0]} 1\n")
    result = run_vidcore("data", "check", tmp_path / "list.txt", "--data-prefix", tmp_path, "--full",
                         "--timeout", "0.005", "--workers", "1", timeout=60)
    assert result.returncode == 1, result
    assert "long.mp4: timed out after 0.005 s (killed)" in result.stdout
    assert "2 files, 1 good, 1 bad" in result.stdout


def test_prepare_reencodes_with_the_short_side_keyframe_interval_and_frame_count(run_vidcore, dataset, tmp_path):
    root, out = dataset["root"], tmp_path / "prepared"
    sources = {path: digest(root / path) for path in dataset["good"]}
    result = run_vidcore("data", "prepare", dataset["lists"] / "mixed.txt", out, "--data-prefix", root,
                         "--short-side", "32", "--gop", "4", "--workers", "2")
    assert result.returncode == 1, result  # the bad files failed, the others were prepared
    assert f"{len(dataset['bad']) + 3} files: 3 done, 0 already done, {len(dataset['bad'])} failed" in result.stdout
    assert "run/empty.mp4: file is empty" in result.stdout
    listed = (out / "mixed.txt").read_text().splitlines()
    assert listed == [f"{Path(path).with_suffix('.mp4')} 0" for path in dataset["good"][:3]]
    for source_name, line in zip(dataset["good"], listed):
        source = decoded_frames(root / source_name)
        frames = decoded_frames(out / line.split()[0])
        assert len(frames) == len(source)
        width, height = frames[0].width, frames[0].height
        assert min(width, height) == 32 and width % 2 == 0 and height % 2 == 0
        ratio = source[0].width / source[0].height
        assert abs(width / height - ratio) < 0.1
        assert [index for index, frame in enumerate(frames) if frame.key_frame] == list(range(0, len(frames), 4))
        import av

        with av.open(str(out / line.split()[0])) as container:
            assert [stream.type for stream in container.streams] == ["video"]
            assert container.streams.video[0].codec_context.name == "h264"
            assert container.streams.video[0].format.name == "yuv420p"
    assert {path: digest(root / path) for path in dataset["good"]} == sources  # sources untouched
    assert hidden_leftovers(out) == []

    stamps = {path: path.stat().st_mtime_ns for path in out.rglob("*.mp4")}
    rerun = run_vidcore("data", "prepare", dataset["lists"] / "good.txt", out, "--data-prefix", root,
                        "--short-side", "32", "--gop", "4", "-o", tmp_path / "good-prepared.txt")
    assert rerun.returncode == 0, rerun
    assert "4 files: 1 done, 3 already done, 0 failed" in rerun.stdout
    assert {path: path.stat().st_mtime_ns for path in stamps} == stamps
    assert len((tmp_path / "good-prepared.txt").read_text().splitlines()) == 4

    changed = root / dataset["good"][0]
    os.utime(changed, (time.time() + 60, time.time() + 60))  # the source changed after it was prepared
    try:
        redo = run_vidcore("data", "prepare", dataset["lists"] / "good.txt", out, "--data-prefix", root,
                           "--short-side", "32", "--gop", "4", "-o", tmp_path / "good-prepared.txt")
    finally:
        os.utime(changed, None)
    assert redo.returncode == 0 and "4 files: 1 done, 3 already done, 0 failed" in redo.stdout, redo

    other = run_vidcore("data", "prepare", dataset["lists"] / "good.txt", out, "--data-prefix", root,
                        "--short-side", "64")
    assert other.returncode == 2 and "other settings" in other.stderr and len(other.stderr.splitlines()) == 1


def test_prepare_killed_mid_run_leaves_only_complete_files_and_a_rerun_finishes(dataset, tmp_path):
    root, out = dataset["root"], tmp_path / "prepared"
    lines = [f"{dataset['good'][index % 4]}" for index in range(4)]
    for copy in range(2):  # eight sources, each upscaled so that the run lasts long enough to be interrupted
        for line in lines:
            target = root.parent / f"{root.name}-copies" / f"c{copy}" / line
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes((root / line).read_bytes())
    copies = root.parent / f"{root.name}-copies"
    (tmp_path / "list.txt").write_text("".join(f"c{copy}/{line} {copy}\n" for copy in range(2) for line in lines))
    command = [sys.executable, "-m", "vidcore", "data", "prepare", str(tmp_path / "list.txt"), str(out),
               "--data-prefix", str(copies), "--short-side", "360", "--gop", "8", "--workers", "1"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not list(out.rglob("*.mp4")) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.communicate()
    time.sleep(1.0)  # the worker notices that its parent is gone and exits
    finished = sorted(out.rglob("*.mp4"))
    assert 1 <= len(finished) < 8, "the run was not interrupted mid-way"
    for path in finished:  # whatever has its final name is complete
        source = copies / path.relative_to(out)
        expected = len(decoded_frames(next(source.parent.glob(source.stem + ".*"))))
        assert len(decoded_frames(path)) == expected
    stamps = {path: path.stat().st_mtime_ns for path in finished}

    rerun = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    assert f"8 files: {8 - len(finished)} done, {len(finished)} already done, 0 failed" in rerun.stdout
    assert {path: path.stat().st_mtime_ns for path in finished} == stamps
    assert hidden_leftovers(out) == []
    for line in (out / "list.txt").read_text().splitlines():
        path, label = line.split()
        source = next((copies / path).parent.glob(Path(path).stem + ".*"))
        frames = decoded_frames(out / path)
        assert len(frames) == len(decoded_frames(source)) and min(frames[0].width, frames[0].height) == 360


def test_extract_frames_writes_rawframe_folders_and_their_list(run_vidcore, dataset, tmp_path):
    from PIL import Image
    from vidcore_video.datasets.rawframe_dataset import RawframeDataset

    root, out = dataset["root"], tmp_path / "frames"
    result = run_vidcore("data", "extract-frames", dataset["lists"] / "mixed.txt", out, "--data-prefix", root,
                         "--short-side", "24", "--quality", "90")
    assert result.returncode == 1, result
    listed = [line.split() for line in (out / "mixed.txt").read_text().splitlines()]
    assert [folder for folder, _, _ in listed] == [str(Path(path).with_suffix("")) for path in dataset["good"][:3]]
    for (folder, total, _), source in zip(listed, dataset["good"]):
        assert int(total) == len(decoded_frames(root / source))
        names = sorted(os.listdir(out / folder))
        assert names == [f"img_{index:05}.jpg" for index in range(1, int(total) + 1)]
        with Image.open(out / folder / names[-1]) as image:
            assert min(image.size) == 24
    assert hidden_leftovers(out) == []
    dataset_view = RawframeDataset(str(out / "mixed.txt"), pipeline=[], data_prefix=str(out))
    assert len(dataset_view) == 3

    rerun = run_vidcore("data", "extract-frames", dataset["lists"] / "good.txt", out, "--data-prefix", root,
                        "--short-side", "24", "--quality", "90", "-o", tmp_path / "frames.txt")
    assert rerun.returncode == 0, rerun
    assert "4 files: 1 done, 3 already done, 0 failed" in rerun.stdout
    assert [line.split()[:2] for line in (tmp_path / "frames.txt").read_text().splitlines()][:3] == \
        [entry[:2] for entry in listed]


@pytest.mark.parametrize("args, expected", [
    (["prepare", "LIST", "OUT", "--short-side", "255"], "--short-side: expected an even number"),
    (["prepare", "LIST", "OUT", "--gop", "0"], "--gop: expected a positive number"),
    (["prepare", "LIST", "OUT", "--workers", "0"], "--workers: expected a positive number"),
    (["check", "MISSING"], "annotation file not found"),
    (["check", "LIST", "--write-clean", "LIST"], "would overwrite the list being checked"),
    (["extract-frames", "LIST", "OUT", "--quality", "0"], "--quality: expected 1-95"),
    (["prepare", "LIST", "PREFIX", "--data-prefix", "PREFIX"], "is the source file itself"),
    (["extract-frames", "LIST", "LIST"], "cannot create the output folder"),
])
def test_bad_arguments_fail_with_one_line_and_touch_nothing(run_vidcore, dataset, tmp_path, args, expected):
    names = {"LIST": str(dataset["lists"] / "good.txt"), "OUT": str(tmp_path / "out"),
             "MISSING": str(tmp_path / "missing.txt"), "PREFIX": str(dataset["root"])}
    before = {path: digest(path) for path in dataset["root"].rglob("*") if path.is_file()}
    result = run_vidcore("data", *[names.get(arg, arg) for arg in args])
    assert result.returncode == 2, result
    assert expected in result.stderr and len(result.stderr.splitlines()) == 1, result.stderr
    assert not (tmp_path / "out").exists()
    assert {path: digest(path) for path in dataset["root"].rglob("*") if path.is_file()} == before


def test_check_accepts_every_decodable_test_video_and_flags_every_bad_one(run_vidcore, videos, bad_files, tmp_path):
    """No false alarms on any codec and container the decoders support (B-frames, VP9, MJPEG, odd sizes,
    3 frames); every file the decoders refuse is flagged."""
    good = [video.path for video in videos.values()]
    (tmp_path / "list.txt").write_text("".join(f"{path} 0\n" for path in [*good, *bad_files.values()]))
    result = run_vidcore("data", "check", tmp_path / "list.txt", "--full")
    assert result.returncode == 1, result
    flagged = {line.split(": ")[1] for line in result.stdout.splitlines() if line.count(": ") >= 2}
    assert flagged == set(bad_files.values()), result.stdout
    assert f"{len(good) + len(bad_files)} files, {len(good)} good, {len(bad_files)} bad" in result.stdout
