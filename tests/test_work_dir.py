"""Nothing previously saved is ever lost (docs/reliability.md, "Work-dir ownership"), through the real CLI: a copied
work dir resumes its own files and leaves the original alone; a work dir belongs to one run at a time; a new
run does not replace an earlier run's checkpoints unasked; damaged resume metadata and impossible positions
fall back or stop with one line; a full disk while saving is one line; SIGINT at any moment of start-up is a
clean exit 130; and kills at random moments never damage a file that was already on disk."""

from __future__ import annotations

import hashlib
import os
import random
import resource
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "bad_inputs"))

from cli_cases import TOY_CONFIG, VIDCORE, assert_user_error, snapshot, vidcore  # noqa: E402
from reliability_toys import toy_env  # noqa: E402
from vidcore.checkpoint import load_checkpoint, read_last_checkpoint, save_checkpoint  # noqa: E402
from vidcore.runner._checkpointing import checkpoint_problem  # noqa: E402

pytestmark = pytest.mark.slow

# 2 epochs of 4 iterations, a checkpoint per epoch, the best one kept, at most 2 periodic ones
CONFIG = TOY_CONFIG.replace(
    "default_hooks: {logger: {interval: 1}, checkpoint: {interval: 1}}",
    "default_hooks: {logger: {interval: 1}, checkpoint: {interval: 1, max_keep_ckpts: 2, save_best: auto}}")
SLOW = "custom_hooks: [{type: SlowIterHook, seconds: 0.25}]\n"
TEST_SPLIT = """\
test_dataloader:
  batch_size: 8
  dataset: {type: ToyDataset, size: 8, seed: 1, noise: 0.0}
test_evaluator: {type: ToyAccuracy}
"""
WORK_DIR = "work_dirs/exp"  # relative, as users write it


@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> Path:
    """A project folder (`toy.yaml`, `work_dirs/exp/`) after a complete 2-epoch run."""
    project = tmp_path_factory.mktemp("finished")
    (project / "toy.yaml").write_text(CONFIG)
    result = vidcore("run", "toy.yaml", "--work-dir", WORK_DIR, cwd=project)
    assert result.returncode == 0, result
    return project


@pytest.fixture
def project(tmp_path: Path, finished: Path) -> Path:
    shutil.copytree(finished, tmp_path / "project")
    return tmp_path / "project"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def rewrite(path: Path, change) -> None:
    checkpoint = load_checkpoint(path)
    change(checkpoint)
    save_checkpoint(checkpoint, path)


# --- 1: records are relative; a copy never touches the original -------------------------------------------
def test_a_copied_work_dir_resumes_its_own_files_and_leaves_the_original_alone(project: Path, tmp_path: Path):
    original = project / WORK_DIR
    assert (original / "last_checkpoint").read_text() == "epoch_2.pth"
    state = load_checkpoint(original / "epoch_2.pth")["hooks"]["CheckpointHook"]
    assert state["kept"] == ["epoch_1.pth", "epoch_2.pth"] and "/" not in state["best_path"]

    copy = tmp_path / "elsewhere"
    copy.mkdir()
    shutil.copy(project / "toy.yaml", copy / "toy.yaml")
    shutil.copytree(project / "work_dirs", copy / "work_dirs")
    # records as versions before relative paths wrote them: absolute, naming the original's files
    (copy / WORK_DIR / "last_checkpoint").write_text(str((original / "epoch_2.pth").resolve()))
    best = next(original.glob("best_*.pth"))

    def absolute(checkpoint):
        checkpoint["hooks"]["CheckpointHook"].update(
            kept=[str((original / name).resolve()) for name in ("epoch_1.pth", "epoch_2.pth")],
            best_path=str(best.resolve()))

    rewrite(copy / WORK_DIR / "epoch_2.pth", absolute)
    before = snapshot(original)

    # resumed from another current directory, with the same relative --work-dir
    result = vidcore("run", "toy.yaml", "--work-dir", WORK_DIR, "--resume", "--cfg-options", "train_cfg.max_epochs=4",
                     cwd=copy)
    assert result.returncode == 0, result
    assert snapshot(original) == before, "the original work dir was touched"
    assert (f"outside this work dir (copied or moved?); using {WORK_DIR}/epoch_2.pth" in result.stdout), result
    assert f"resumed from {WORK_DIR}/epoch_2.pth: continuing after iteration 8" in result.stdout, result
    own = copy / WORK_DIR
    assert sorted(path.name for path in own.glob("epoch_*.pth")) == ["epoch_3.pth", "epoch_4.pth"]  # pruned its own
    assert (own / "last_checkpoint").read_text() == "epoch_4.pth"
    assert read_last_checkpoint(own) == (own / "epoch_4.pth", None)


# --- 2: one run at a time ----------------------------------------------------------------------------------
def test_a_work_dir_in_use_is_refused_naming_the_holder_and_a_killed_holder_does_not_block(project: Path):
    (project / "slow.yaml").write_text(CONFIG + SLOW)
    holder = subprocess.Popen([str(VIDCORE), "run", "slow.yaml", "--work-dir", "busy", "--cfg-options",
                               "train_cfg.max_epochs=50"], cwd=project, env=toy_env(), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    try:
        for line in holder.stdout:  # wait until it trains (it holds the lock from the start of the phase)
            if "Epoch(train)" in line:
                break
        second = vidcore("run", "toy.yaml", "--work-dir", "busy", "--resume", cwd=project)
        line = assert_user_error(second, f"busy: the work dir is in use by pid {holder.pid} on {socket.gethostname()} "
                                         "(training, `vidcore run slow.yaml --work-dir busy")
        assert line.endswith("wait for it to end, or choose another --work-dir")
        (project / "with_test.yaml").write_text(CONFIG + TEST_SPLIT)
        tester = vidcore("test", "with_test.yaml", str(project / WORK_DIR / "epoch_2.pth"), "--work-dir", "busy",
                         cwd=project)
        assert tester.returncode == 2 and f"in use by pid {holder.pid}" in tester.stderr, tester
    finally:
        holder.kill()  # SIGKILL: the kernel drops its lock
        holder.communicate()
    newest, _ = read_last_checkpoint(project / "busy")
    done = load_checkpoint(newest)["loop"]["epoch"] if newest else 0
    resumed = vidcore("run", "toy.yaml", "--work-dir", "busy", "--resume", "--cfg-options",
                      f"train_cfg.max_epochs={done + 1}", cwd=project)
    assert resumed.returncode == 0, resumed


# --- 2: a new run does not replace an earlier run's checkpoints unasked -------------------------------------
def test_a_new_run_into_a_used_work_dir_is_refused_unless_resume_or_overwrite(project: Path):
    work_dir = project / WORK_DIR
    before = snapshot(work_dir)
    log_dirs = sorted(path.name for path in work_dir.iterdir() if path.is_dir())
    refused = vidcore("run", "toy.yaml", "--work-dir", WORK_DIR, cwd=project)
    assert_user_error(refused, f"{WORK_DIR}: holds the checkpoints of an earlier run (best_",
                      "epoch_1.pth, epoch_2.pth, last_checkpoint); continue it with --resume, replace them with "
                      "--overwrite, or choose another --work-dir")
    assert snapshot(work_dir) == before
    assert sorted(path.name for path in work_dir.iterdir() if path.is_dir()) == log_dirs  # not even a log dir

    both = vidcore("run", "toy.yaml", "--work-dir", WORK_DIR, "--resume", "--overwrite", cwd=project)
    assert both.returncode == 2 and "not allowed with argument" in both.stderr, both
    assert snapshot(work_dir) == before

    replaced = vidcore("run", "toy.yaml", "--work-dir", WORK_DIR, "--overwrite", "--cfg-options",
                       "train_cfg.max_epochs=1", cwd=project)
    assert replaced.returncode == 0, replaced
    assert (work_dir / "last_checkpoint").read_text() == "epoch_1.pth"  # the new run's
    assert load_checkpoint(work_dir / "epoch_1.pth")["meta"]["cfg"]["train_cfg"]["max_epochs"] == 1
    assert digest(work_dir / "epoch_2.pth") == before["epoch_2.pth"]  # replacing only: nothing else removed


# --- 6: damaged resume metadata ----------------------------------------------------------------------------
def damage_binary_record(work_dir: Path) -> None:
    (work_dir / "last_checkpoint").write_bytes(b"\x80\xff\x00\x13garbage")


def damage_absurd_position(work_dir: Path) -> None:
    def absurd(checkpoint):
        checkpoint["loop"].update(epoch=1000000, iter=-5)

    rewrite(work_dir / "epoch_2.pth", absurd)


def damage_record_is_a_directory(work_dir: Path) -> None:
    (work_dir / "last_checkpoint").unlink()
    (work_dir / "last_checkpoint").mkdir()


def damage_beyond_max_epochs(work_dir: Path) -> None:
    def far(checkpoint):
        checkpoint["loop"].update(epoch=7, iter=28)

    rewrite(work_dir / "epoch_2.pth", far)


@pytest.mark.parametrize("damage, outcome", [
    (damage_binary_record, "resume: {w}/last_checkpoint is not readable text ("),
    (damage_absurd_position, "resume: {w}/epoch_2.pth: impossible loop position: iter = -5 (expected an integer >= 0)"),
    (damage_record_is_a_directory, "error: {w}/last_checkpoint: is not a file"),
    (damage_beyond_max_epochs, "error: {w}/epoch_2.pth: holds epoch 7, beyond train_cfg.max_epochs=3 of this config"),
], ids=["binary last_checkpoint", "absurd loop position", "last_checkpoint is a directory", "beyond max_epochs"])
def test_damaged_resume_metadata_falls_back_or_stops_with_one_line(project: Path, damage, outcome: str):
    work_dir = project / WORK_DIR
    damage(work_dir)
    before = snapshot(work_dir)
    result = vidcore("run", "toy.yaml", "--work-dir", WORK_DIR, "--resume", "--cfg-options", "train_cfg.max_epochs=3",
                     cwd=project)
    expected = outcome.format(w=WORK_DIR)
    if outcome.startswith("error"):
        assert_user_error(result, expected)
        after = snapshot(work_dir)
        assert {name: after.get(name) for name in before} == before  # a new log dir at most
        return
    assert result.returncode == 0, result
    warnings = [line for line in result.stdout.splitlines() if "WARNING" in line]
    assert len(warnings) == 1 and expected in warnings[0], result
    previous = "epoch_2.pth" if "last_checkpoint" in expected else "epoch_1.pth"
    assert warnings[0].endswith(f"resuming from the previous good checkpoint {work_dir / previous} instead")
    assert load_checkpoint(work_dir / "epoch_3.pth")["loop"]["epoch"] == 3


def test_checkpoint_parts_of_the_wrong_kind_are_damage():
    good = {"meta": {"seed": 1}, "loop": {"epoch": 1, "iter": 4, "inner_iter": 0}, "hooks": {}, "rng": []}
    assert checkpoint_problem(good) is None
    assert checkpoint_problem({**good, "meta": [1, 2]}) == "'meta' is a list, not a mapping"
    assert checkpoint_problem({**good, "hooks": "x"}) == "'hooks' is a str, not a mapping"
    assert checkpoint_problem({**good, "meta": {"seed": "x"}}) == "meta.seed is 'x', not an integer"
    assert checkpoint_problem({**good, "loop": {"epoch": 1, "iter": True}}).startswith("impossible loop position")
    assert checkpoint_problem({**good, "loop": {"epoch": 5, "iter": 4}}).startswith("impossible loop position")


# --- 7: disk full while saving ------------------------------------------------------------------------------
def _limit_file_size() -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (12_000, 12_000))  # a checkpoint is ~18 kB; logs stay smaller


def test_a_failed_checkpoint_write_is_one_line_and_loses_nothing(project: Path):
    """A real write error from the OS (EFBIG from RLIMIT_FSIZE, through torch's writer as ENOSPC would come)."""
    work_dir = project / WORK_DIR
    before = snapshot(work_dir)
    completed = subprocess.run([str(VIDCORE), "run", "toy.yaml", "--work-dir", WORK_DIR, "--resume", "--cfg-options",
                                "train_cfg.max_epochs=3"], cwd=project, env=toy_env(), capture_output=True, text=True,
                               preexec_fn=_limit_file_size, timeout=600)
    lines = completed.stderr.strip().splitlines()
    assert completed.returncode == 2 and len(lines) == 1, completed
    assert lines[0] == (f"vidcore: error: {WORK_DIR}/epoch_3.pth: cannot write the checkpoint: File too large; the "
                        "previous checkpoints are intact")
    after = snapshot(work_dir)
    assert {name: after.get(name) for name in before if name != "toy.yaml"} == \
        {name: value for name, value in before.items() if name != "toy.yaml"}
    assert not [path for path in work_dir.iterdir() if path.name.endswith(".tmp")]
    assert not (work_dir / "epoch_3.pth").exists()


@pytest.fixture
def tiny_disk(tmp_path: Path):
    """A 48 kB tmpfs (a real full disk), where mounting is allowed (root with CAP_SYS_ADMIN); else skipped."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=48k", "tmpfs", str(mount)],
                                           capture_output=True).returncode != 0:
        pytest.skip("mounting a tmpfs needs root")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], capture_output=True)


def test_disk_full_while_saving_is_one_line_and_the_previous_checkpoint_loads(tmp_path: Path, tiny_disk: Path):
    (tmp_path / "toy.yaml").write_text(CONFIG)
    result = vidcore("run", "toy.yaml", "--work-dir", tiny_disk / "w", "--cfg-options", "train_cfg.max_epochs=4",
                     cwd=tmp_path)
    line = assert_user_error(result, ": cannot write the checkpoint: No space left on device; the previous "
                                     "checkpoints are intact")
    assert line.startswith(f"vidcore: error: {tiny_disk}/w/")  # a periodic or the best checkpoint
    assert not [path for path in (tiny_disk / "w").iterdir() if path.name.endswith(".tmp")]
    newest, _ = read_last_checkpoint(tiny_disk / "w")
    if newest is not None:  # the first checkpoint fit
        assert load_checkpoint(newest)["loop"]["iter"] > 0
    for path in (tiny_disk / "w").glob("*.pth"):
        load_checkpoint(path)


# --- 8: SIGINT at any moment of start-up ----------------------------------------------------------------------
def start(project: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    return subprocess.Popen([str(VIDCORE), "run", "slow.yaml", *args], cwd=project, env=env or toy_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.parametrize("delay", [0.15, 0.6, 1.5])
def test_sigint_during_start_up_is_a_clean_exit_130(tmp_path: Path, delay: float):
    (tmp_path / "slow.yaml").write_text(CONFIG + SLOW)
    process = start(tmp_path, "--work-dir", "w")
    time.sleep(delay)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=300)
    lines = err.strip().splitlines()
    assert process.returncode == 130, (delay, out, err)
    assert len(lines) == 1 and lines[0].startswith("vidcore: interrupted"), (delay, err)
    assert "Traceback" not in out + err


def test_an_interrupt_that_start_up_code_swallows_still_stops_the_run(tmp_path: Path):
    (tmp_path / "slow.yaml").write_text(CONFIG + SLOW)
    process = start(tmp_path, "--work-dir", "w", env=toy_env(VIDCORE_TEST_SWALLOW_SIGINT="1"))
    out, err = process.communicate(timeout=300)
    lines = err.strip().splitlines()
    assert process.returncode == 130, (out, err)
    assert len(lines) == 1 and lines[0].startswith("vidcore: interrupted by SIGINT"), err
    assert "Epoch(train) [2]" not in out  # stopped at the first safe point, not trained to the end


# --- property: kills at random moments never damage what was already on disk ---------------------------------
REWRITTEN = {"last_checkpoint", "toy.yaml", "slow.yaml"}  # rewritten by each run by design (atomically)


def test_kills_at_random_moments_never_damage_a_file_already_on_disk(project: Path):
    """SIGKILL or SIGINT at a random moment (start-up included) of resumed runs: after each, every file that
    existed before is byte for byte the same, or a checkpoint rewritten whole at the same position; the
    record names a checkpoint that loads; and a last resume completes."""
    (project / "slow.yaml").write_text(CONFIG + SLOW)
    work_dir = project / WORK_DIR
    rng = random.Random(16)
    options = ("--work-dir", WORK_DIR, "--resume", "--cfg-options", "train_cfg.max_epochs=5",
               "default_hooks.checkpoint.max_keep_ckpts=-1")
    for attempt in range(3):
        before = snapshot(work_dir)
        positions = {name: load_checkpoint(work_dir / name)["loop"] for name in before if name.endswith(".pth")}
        process = start(project, *options)
        time.sleep(rng.uniform(0.0, 4.0))
        process.send_signal(signal.SIGKILL if attempt != 1 else signal.SIGINT)
        out, err = process.communicate(timeout=300)
        assert process.returncode in (-signal.SIGKILL, 130, 0), (out, err)
        assert "Traceback" not in err, err
        after = snapshot(work_dir)
        for name, content in before.items():
            if name in REWRITTEN or name.startswith("best_"):  # a new best replaces the previous one
                continue
            assert name in after, f"attempt {attempt}: {name} disappeared"
            if after[name] != content:  # only a checkpoint of an interrupted write may be written again, whole
                assert name in positions and load_checkpoint(work_dir / name)["loop"] == positions[name], name
        newest, problem = read_last_checkpoint(work_dir)
        assert problem is None and newest is not None and load_checkpoint(newest)["loop"]["iter"] >= 8
    final = subprocess.run([str(VIDCORE), "run", "toy.yaml", *options], cwd=project, env=toy_env(),
                           capture_output=True, text=True, timeout=600)
    assert final.returncode == 0, final.stderr
    assert load_checkpoint(work_dir / "epoch_5.pth")["loop"]["epoch"] == 5
