"""Helpers of the bad-input corpus: run the real `vidcore` CLI in a subprocess and check the user-error policy
of docs/reliability.md: exit status 2, ONE line on stderr (`vidcore: error: <file or key>: <what was
expected>`), no traceback without `--debug`, and the files already in the work dir (checkpoints, logs) left
byte for byte as they were."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

from reliability_toys import toy_env
from vidcore_testing import CliResult

VIDCORE = Path(sys.executable).with_name("vidcore")

# A toy training config (components from reliability_toys through custom_imports); cases break one thing.
TOY_CONFIG = """\
custom_imports: {imports: [reliability_toys]}
model: {type: ToyModel}
train_dataloader:
  batch_size: 4
  sampler: {type: DefaultSampler, shuffle: true}
  dataset: {type: ToyDataset, size: 16}
val_dataloader:
  batch_size: 8
  dataset: {type: ToyDataset, size: 8, seed: 1, noise: 0.0}
val_evaluator: {type: ToyAccuracy}
optim_wrapper: {optimizer: {type: SGD, lr: 0.1, momentum: 0.9}}
train_cfg: {type: EpochBasedTrainLoop, max_epochs: 2}
default_hooks: {logger: {interval: 1}, checkpoint: {interval: 1}}
randomness: {seed: 0}
"""


def vidcore(*args: str | Path, cwd: Path, env: dict[str, str] | None = None, timeout: float = 600) -> CliResult:
    """Run the `vidcore` console script in `cwd` (toy components importable, no installed plugins by default)."""
    arguments = tuple(str(arg) for arg in args)
    completed = subprocess.run([str(VIDCORE), *arguments], cwd=cwd, env=env or toy_env(), capture_output=True,
                               text=True, timeout=timeout)
    return CliResult(arguments, completed.returncode, completed.stdout, completed.stderr)


def snapshot(folder: Path) -> dict[str, str]:
    """sha256 of every file under `folder`, by relative path (not the work-dir lock: each run notes itself there)."""
    return {str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(folder.rglob("*")) if path.is_file() and path.name != ".vidcore.lock"}


def assert_user_error(result: CliResult, *fragments: str) -> str:
    """Exit 2, one stderr line `vidcore: error: ...` holding every fragment, no traceback; returns the line."""
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, result
    assert len(lines) == 1, result
    assert lines[0].startswith("vidcore: error: "), result
    for fragment in fragments:
        assert fragment in lines[0], f"{fragment!r} not in {lines[0]!r}"
    assert "Traceback" not in result.stdout + result.stderr, result
    return lines[0]


def assert_kept(work_dir: Path, before: dict[str, str], replaced: tuple[str, ...] = ()) -> None:
    """Every file that was in `work_dir` is still there, byte for byte (new files, e.g. a run's log, may appear).

    `replaced`: files a run that started training rewrites by design (`<config name>.yaml`, the resolved
    config of the newest run; each run's own copy stays in its log dir).
    """
    after = snapshot(work_dir)
    changed = sorted(name for name in before if after.get(name) != before[name] and name not in replaced)
    assert not changed, f"changed or removed: {changed}"
