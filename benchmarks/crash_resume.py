"""Crash safety: kill `vidcore run` with SIGKILL at seeded random moments, many of them in the middle of a
checkpoint write, resume with `--resume` until training completes, and compare the final checkpoint with
that of an uninterrupted run. Prints one JSON object.

    python benchmarks/crash_resume.py [--kills 40] [--seed 0] [--quick]

A campaign trains a toy model (ToyModel + a random-tensor dataset, from tests/bad_inputs/reliability_toys.py
through `custom_imports`) on the CPU with deterministic algorithms and an iteration checkpoint every
iteration (`max_keep_ckpts: 3`, `save_best`, EMA), from scratch to the end; campaigns alternate between an
epoch-based and an iteration-based loop and follow each other until every kill is spent. Each attempt
resumes and is stopped once a random iteration of what remains is logged: "random" kills at a random
moment of the next iteration, "mid_write" kills as soon as a checkpoint temp file exists (`os.fsync` of
temp files is slowed down, as on a slow disk, so the write is caught before its rename), and one kill in
four is preceded by a SIGTERM or SIGINT stop (before the last iteration). After every stop the harness
checks that the checkpoint `--resume` would pick up loads, and counts leftover temp files (the proof that a
kill landed mid-write).

- `kills_survived`: SIGKILLs after which `--resume` went on; `mid_write_kills`: those that left a temp file;
- `signal_stops`: SIGTERM/SIGINT stops (exit 143/130, one line, a checkpoint of the newest iteration that
  equals the uninterrupted run's checkpoint of that iteration);
- `attempts`, `finished_before_the_stop`: resumed runs started, and those that completed training before
  their kill or signal landed (each campaign's last attempt usually);
- `runs_compared`, `mismatches`: campaigns whose final checkpoint (model, EMA, optimizer, schedulers, loop
  position, RNG states, best score) was compared with the uninterrupted run's, and how many differed;
- `work_dirs_copied_or_moved`: in every third campaign the work dir is copied after the first stop (training
  goes on in the copy; the original must stay byte for byte as it was) and moved after the second;
- `damaged_last_checkpoint`, `fallbacks`, `temp_files_left`, `problems`: must all be 0 / empty. A resume
  that fails instead of continuing ends the benchmark with its output.

The functions are reused by tests/test_crash_resume.py (a few kills in CI).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
TOYS = ROOT / "tests" / "bad_inputs"
VIDCORE = Path(sys.executable).with_name("vidcore")
FSYNC_DELAY_S = 0.03
START_TIMEOUT_S = 300.0

_COMMON = """\
custom_imports: {imports: [reliability_toys]}
model: {type: ToyModel, dropout: 0.2}
train_dataloader:
  batch_size: 4
  sampler: {type: DefaultSampler, shuffle: true}
  dataset: {type: ToyDataset, size: 16, noise: 0.05}
val_dataloader:
  batch_size: 8
  dataset: {type: ToyDataset, size: 8, seed: 1, noise: 0.0}
val_evaluator: {type: ToyAccuracy}
optim_wrapper: {optimizer: {type: SGD, lr: 0.1, momentum: 0.9, weight_decay: 0.001}}
default_hooks:
  logger: {interval: 1, by_epoch: false}
  checkpoint: {by_epoch: false, interval: 1, max_keep_ckpts: 3, save_best: auto}
custom_hooks: [{type: EMAHook, momentum: 0.1}]
randomness: {seed: 0, deterministic: true}
"""
CONFIGS = {
    "epoch": _COMMON + """\
train_cfg: {type: EpochBasedTrainLoop, max_epochs: 3}
param_scheduler:
  - {type: LinearLR, start_factor: 0.2, by_epoch: false, end: 4}
  - {type: CosineAnnealingLR, T_max: 3, eta_min: 0.001}
""",
    "iter": _COMMON + """\
train_cfg: {type: IterBasedTrainLoop, max_iters: 14, val_interval: 5}
param_scheduler:
  - {type: LinearLR, start_factor: 0.2, end: 4}
  - {type: CosineAnnealingLR, begin: 4, end: 14, eta_min: 0.001}
""",
}
MAX_ITERS = {"epoch": 12, "iter": 14}
_ITER_LINE = re.compile(r"Iter\(train\) \[\s*(\d+)/(\d+)\]")
_CKPT_TEMP = re.compile(r"^\.(epoch|iter|best).*\.pth\..*\.tmp$")
_IGNORED_KEYS = {"meta", "best_path", "kept", "eta", "time", "data_time"}


def toy_env(**extra: str) -> dict[str, str]:
    """The environment of a `vidcore` subprocess that imports reliability_toys (no installed plugins)."""
    runner_tests = ROOT / "packages" / "vidcore" / "tests" / "runner"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(TOYS), str(runner_tests), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.update(VIDCORE_PLUGINS="", OMP_NUM_THREADS="1", VIDCORE_TEST_FSYNC_DELAY=str(FSYNC_DELAY_S), **extra)
    return env


def write_project(root: Path, kind: str) -> Path:
    """A folder holding the campaign's config `toy_<kind>.yaml`; returns the config path."""
    root.mkdir(parents=True, exist_ok=True)
    config = root / f"toy_{kind}.yaml"
    config.write_text(CONFIGS[kind])
    return config


class Run:
    """`vidcore run CONFIG --work-dir W ARGS...` in a subprocess whose log lines are followed as they come."""

    def __init__(self, config: Path, work_dir: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.process = subprocess.Popen(
            [str(VIDCORE), "run", str(config), "--work-dir", str(work_dir), *args], cwd=config.parent,
            env=env or toy_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.iteration = 0  # the newest training iteration logged
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        self._changed = threading.Condition()
        self._readers = [threading.Thread(target=self._read, args=(self.process.stdout, self.stdout, True)),
                         threading.Thread(target=self._read, args=(self.process.stderr, self.stderr, False))]
        for reader in self._readers:
            reader.start()

    def _read(self, stream: Any, lines: list[str], parse: bool) -> None:
        for line in stream:
            lines.append(line)
            found = _ITER_LINE.search(line) if parse else None
            if found:
                with self._changed:
                    self.iteration = int(found.group(1))
                    self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    def wait_for_iteration(self, iteration: int, timeout: float = START_TIMEOUT_S) -> bool:
        """Block until `iteration` is logged (True) or the process ends (False)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while self.iteration < iteration and self.process.poll() is None:
                if not self._changed.wait(timeout=min(0.5, max(deadline - time.monotonic(), 0.01))):
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"iteration {iteration} not reached in {timeout} s")
            return self.iteration >= iteration

    def send(self, signum: int) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signum)

    def wait(self, timeout: float = START_TIMEOUT_S) -> int:
        code = self.process.wait(timeout=timeout)
        for reader in self._readers:
            reader.join(timeout=10)
        return code

    @property
    def output(self) -> str:
        return "".join(self.stdout) + "".join(self.stderr)


def checkpoint_temp_files(work_dir: Path) -> list[str]:
    """Temp files of checkpoint writes in `work_dir` (what a kill mid-write leaves)."""
    return sorted(path.name for path in work_dir.glob(".*.tmp") if _CKPT_TEMP.match(path.name)) \
        if work_dir.is_dir() else []


def resumable_iteration(work_dir: Path) -> int:
    """The iteration of the checkpoint `last_checkpoint` names (0 when there is none); raises if it is damaged."""
    from vidcore.checkpoint import load_checkpoint, read_last_checkpoint

    path, problem = read_last_checkpoint(work_dir)
    if path is None and problem:
        raise ValueError(problem)
    return 0 if path is None else int(load_checkpoint(path)["loop"]["iter"])


def run_to_completion(config: Path, work_dir: Path, *args: str) -> Run:
    run = Run(config, work_dir, *args)
    code = run.wait()
    if code != 0:
        raise RuntimeError(f"vidcore run {config.name} {' '.join(args)} exited {code}:\n{run.output[-3000:]}")
    return run


def kill_once(config: Path, work_dir: Path, mode: str, target: int, rng: random.Random,
              max_iters: int) -> dict[str, Any]:
    """One attempt (resuming when there is a checkpoint), stopped once iteration `target` is logged, in `mode`:
    'random' (SIGKILL at a random moment of the next iteration), 'mid_write' (SIGKILL while a checkpoint temp
    file exists), 'sigterm' or 'sigint' (a clean stop that must save the position, exit 143/130, one line)."""
    run = Run(config, work_dir, "--resume")
    reached = run.wait_for_iteration(target)
    signum = {"sigterm": signal.SIGTERM, "sigint": signal.SIGINT}.get(mode, signal.SIGKILL)
    landed = False
    if reached and mode != "mid_write":
        time.sleep(rng.uniform(0, 3 * FSYNC_DELAY_S))  # anywhere in the iteration: compute, hooks, writes
        run.send(signum)
        landed = True
    elif reached:
        deadline = time.monotonic() + 30
        while run.process.poll() is None and time.monotonic() < deadline:
            if checkpoint_temp_files(work_dir):
                run.send(signal.SIGKILL)
                landed = True
                break
            time.sleep(0.002)
    code = run.wait()
    outcome = {"mode": mode, "code": code, "completed": code == 0, "stopped": False, "problem": None,
               "temp_files": checkpoint_temp_files(work_dir), "iteration": run.iteration,
               "fallback": "resuming from the previous good checkpoint" in run.output}
    if code == 0:
        return outcome
    if landed and code in (-signum, 130, 128 + signum) and _finished(work_dir, max_iters):
        outcome["completed"] = True  # the signal came as training finished (or after, with default handlers)
        return outcome
    if not landed or code not in (-signal.SIGKILL, 128 + signum):
        raise RuntimeError(f"a resumed run failed (exit {code}) instead of continuing:\n{run.output[-3000:]}")
    outcome["stopped"] = True
    if signum != signal.SIGKILL:
        outcome["problem"] = _check_clean_stop(run, signum)
        outcome["saved"] = _saved_path(run)
    return outcome


def _finished(work_dir: Path, max_iters: int) -> bool:
    try:
        return resumable_iteration(work_dir) >= max_iters
    except Exception:
        return False


def _saved_path(run: Run) -> str | None:
    found = re.search(r": saved (\S+); continue with --resume", "".join(run.stderr))
    return found.group(1) if found else None


def _check_clean_stop(run: Run, signum: int) -> str | None:
    """What is wrong with a SIGINT/SIGTERM stop (None when it is right): one stderr line naming the saved
    checkpoint, which holds the position of the newest iteration logged."""
    from vidcore.checkpoint import load_checkpoint

    lines = [line for line in run.stderr if line.strip()]
    name = signal.Signals(signum).name
    if len(lines) != 1 or not lines[0].startswith(f"vidcore: interrupted by {name} after iteration"):
        return f"{name}: expected one line 'vidcore: interrupted by {name} ...', got {lines!r}"
    saved = _saved_path(run)
    if saved is None:
        return f"{name}: the message names no saved checkpoint: {lines[0]!r}"
    position = load_checkpoint(saved)["loop"]["iter"]
    if position != run.iteration:
        return f"{name}: {saved} holds iteration {position}, the run had logged {run.iteration}"
    return None


@dataclass
class CampaignResult:
    kind: str
    attempts: int = 0
    finished_first: int = 0  # attempts whose training completed before the kill or signal landed
    kills: int = 0
    mid_write_kills: int = 0
    signal_stops: int = 0
    damaged_last_checkpoint: int = 0
    fallbacks: int = 0
    temp_files_left: int = 0
    relocated: int = 0  # times the work dir was copied or moved between attempts
    problems: list[str] = field(default_factory=list)
    differences: list[str] = field(default_factory=list)


def train_reference(root: Path, kind: str, wait: bool = True) -> tuple[Path, Run]:
    """An uninterrupted run of `kind` keeping the checkpoint of every iteration: its work dir, and the run
    (finished, unless `wait` is false: then `finish(run)` before reading the checkpoints)."""
    config = write_project(root, kind)
    run = Run(config, root / "reference", "--cfg-options", "default_hooks.checkpoint.max_keep_ckpts=-1")
    if wait:
        finish(run)
    return root / "reference", run


def finish(run: Run) -> None:
    """Wait for `run`; an error if it failed."""
    code = run.wait()
    if code != 0:
        raise RuntimeError(f"vidcore run exited {code}:\n{run.output[-3000:]}")


def campaign(root: Path, kind: str, modes: list[str], rng: random.Random, reference: Path,
             step: int | None = None, reference_ready: Callable[[], Any] = lambda: None,
             relocations: tuple[str, ...] = ()) -> CampaignResult:
    """Train `kind` ('epoch' or 'iter') from scratch with one attempt per mode in `modes` (see kill_once),
    each stopped at a random iteration at most `step` after the last checkpoint (default: anywhere in what
    remains), until training completes (then the rest of `modes` is left unused: see `attempts`); finish
    with a plain `--resume` and compare with `reference` (the work dir of `train_reference`), including
    the checkpoints that SIGINT/SIGTERM stops wrote (copied aside when written: resumed runs may replace them).
    `reference_ready` is called before the comparisons (the reference may still be training meanwhile).
    `relocations[i]`, after the i-th stop: 'copy' (training goes on in a copy of the work dir; the original must
    stay byte for byte as it was) or 'move' (the work dir is renamed and training goes on there)."""
    config = write_project(root, kind)
    max_iters = MAX_ITERS[kind]
    work_dir = root / "killed"
    result = CampaignResult(kind)
    compare: list[tuple[str, Path]] = []
    originals: list[tuple[Path, dict[str, str]]] = []  # copied work dirs and their files, to find unchanged
    for mode in modes:
        done = resumable_iteration(work_dir)
        signal_stop = mode in ("sigterm", "sigint")
        if done >= max_iters or (signal_stop and done >= max_iters - 1):
            break  # trained to the end (a signal stop waits for the next campaign: it is meant to land mid-run)
        last = max_iters - 1 if signal_stop else max_iters
        target = rng.randint(done + 1, min(last, done + (step or max_iters)))
        outcome = kill_once(config, work_dir, mode, target, rng, max_iters)
        result.attempts += 1
        result.fallbacks += outcome["fallback"]
        if outcome["completed"]:
            result.finished_first += 1
            break
        if mode in ("random", "mid_write"):
            result.kills += 1
            result.mid_write_kills += bool(outcome["temp_files"])
        else:
            result.signal_stops += 1
            if outcome["problem"]:
                result.problems.append(outcome["problem"])
            elif outcome["saved"]:
                saved = Path(outcome["saved"])
                kept = root / f"stopped_{len(compare)}_{saved.name}"
                shutil.copyfile(saved, kept)
                compare.append((saved.name, kept))
        try:
            resumable_iteration(work_dir)
        except Exception as exc:  # what --resume would pick up must load
            result.damaged_last_checkpoint += 1
            result.problems.append(f"after a {mode} stop, last_checkpoint names a damaged file: {exc}")
        stops = result.kills + result.signal_stops
        if stops <= len(relocations):
            work_dir = relocate(work_dir, relocations[stops - 1], originals)
            result.relocated += 1
    final = run_to_completion(config, work_dir, "--resume")
    compare.insert(0, (f"iter_{max_iters}.pth", work_dir / f"iter_{max_iters}.pth"))
    for folder, files in originals:
        if file_digests(folder) != files:
            result.problems.append(f"{folder}: changed after training went on in a copy of it")
    result.fallbacks += "resuming from the previous good checkpoint" in final.output
    result.temp_files_left = len(checkpoint_temp_files(work_dir))
    reference_ready()
    for name, path in compare:
        result.differences += compare_checkpoints(reference / name, path)
    return result


def relocate(work_dir: Path, how: str, originals: list[tuple[Path, dict[str, str]]]) -> Path:
    """Copy or move `work_dir` next to itself; returns where training goes on. A copied original and its files
    are added to `originals`."""
    target = work_dir.with_name(f"{work_dir.name}_{how}")
    if how == "copy":
        shutil.copytree(work_dir, target)
        originals.append((work_dir, file_digests(work_dir)))
    else:
        work_dir.rename(target)
    return target


def file_digests(folder: Path) -> dict[str, str]:
    """sha256 of every file under `folder`, by relative path."""
    import hashlib

    return {str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(folder.rglob("*")) if path.is_file()}


def compare_checkpoints(left: Path, right: Path) -> list[str]:
    """Key paths where two checkpoints differ (tensors bit for bit), ignoring meta, times and file paths."""
    from vidcore.checkpoint import load_checkpoint

    return _differences(load_checkpoint(left), load_checkpoint(right), "")


def _differences(left: Any, right: Any, path: str) -> list[str]:
    import torch

    if isinstance(left, torch.Tensor) or isinstance(right, torch.Tensor):
        same = (isinstance(left, torch.Tensor) and isinstance(right, torch.Tensor) and left.dtype == right.dtype
                and left.shape == right.shape and torch.equal(left, right))
        return [] if same else [path]
    if isinstance(left, dict) and isinstance(right, dict):
        found = [f"{path}.{key}" for key in set(left) ^ set(right) if key not in _IGNORED_KEYS]
        for key in set(left) & set(right):
            if key not in _IGNORED_KEYS:
                found += _differences(left[key], right[key], f"{path}.{key}")
        return found
    if isinstance(left, (list, tuple)) and isinstance(right, (list, tuple)):
        if len(left) != len(right):
            return [path]
        return [item for index, (one, other) in enumerate(zip(left, right))
                for item in _differences(one, other, f"{path}[{index}]")]
    if isinstance(left, float) and isinstance(right, float) and math.isnan(left) and math.isnan(right):
        return []
    return [] if left == right else [path]


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=40, help="SIGKILLs in all (half of them mid-write)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="a smoke run: 6 kills")
    args = parser.parse_args(argv)
    modes = attempt_modes(6 if args.quick else args.kills)
    rng = random.Random(args.seed)
    started = time.monotonic()
    results: list[CampaignResult] = []
    with tempfile.TemporaryDirectory(prefix="vidcore_crash_") as folder:
        references = {kind: train_reference(Path(folder) / f"reference_{kind}", kind)[0] for kind in CONFIGS}
        while modes:
            kind = ("epoch", "iter")[len(results) % 2]
            relocations = ("copy", "move") if len(results) % 3 == 2 else ()  # every third campaign
            result = campaign(Path(folder) / f"campaign_{len(results)}", kind, modes, rng, references[kind],
                              relocations=relocations)
            modes = modes[max(result.attempts, 1):]
            results.append(result)
    report = {
        "kills_survived": sum(result.kills for result in results),
        "mid_write_kills": sum(result.mid_write_kills for result in results),
        "signal_stops": sum(result.signal_stops for result in results),
        "attempts": sum(result.attempts for result in results),
        "finished_before_the_stop": sum(result.finished_first for result in results),
        "runs_compared": len(results),
        "work_dirs_copied_or_moved": sum(result.relocated for result in results),
        "mismatches": sum(bool(result.differences) for result in results),
        "damaged_last_checkpoint": sum(result.damaged_last_checkpoint for result in results),
        "fallbacks": sum(result.fallbacks for result in results),
        "temp_files_left": sum(result.temp_files_left for result in results),
        "problems": [problem for result in results for problem in result.problems][:10],
        "differences": sorted({key for result in results for key in result.differences})[:10],
        "seed": args.seed,
        "seconds": round(time.monotonic() - started, 1),
    }
    print(json.dumps(report))
    return report


def attempt_modes(kills: int) -> list[str]:
    """`kills` SIGKILLs, alternately mid-write and random, and before every fourth one a SIGTERM or SIGINT stop."""
    modes = []
    for index in range(kills):
        if index % 4 == 0:
            modes.append("sigterm" if index % 8 == 0 else "sigint")
        modes.append("mid_write" if index % 2 == 0 else "random")
    return modes


if __name__ == "__main__":
    main()
