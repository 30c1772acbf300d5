"""Run `vidcore` (or a snippet of Python) in a subprocess, as a user would, and keep what it printed."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping

__all__ = ["CliResult", "run_python", "run_vidcore"]


@dataclass(frozen=True)
class CliResult:
    """What one command returned and printed; `args` are its arguments after the Python interpreter."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    def __str__(self) -> str:
        return (f"{' '.join(self.args)} exited {self.returncode}\n"
                f"--- stdout ---\n{self.stdout}--- stderr ---\n{self.stderr}")


def run_vidcore(
    *args: str | os.PathLike,
    env: Mapping[str, str | None] | None = None,
    pythonpath: Iterable[str | os.PathLike] = (),
    cwd: str | os.PathLike | None = None,
    timeout: float = 600,
) -> CliResult:
    """Run `python -m vidcore ARGS...` with this interpreter and return its exit status and output.

    `env` adds variables to (or, with the value None, removes them from) the current environment;
    `pythonpath` directories go in front of PYTHONPATH, e.g. a `pip install --target` directory holding
    throwaway plugin distributions.
    """
    return _run(("-m", "vidcore", *map(str, args)), env, pythonpath, cwd, timeout)


def run_python(
    code: str,
    *,
    env: Mapping[str, str | None] | None = None,
    pythonpath: Iterable[str | os.PathLike] = (),
    cwd: str | os.PathLike | None = None,
    timeout: float = 600,
) -> CliResult:
    """Run `python -c CODE` (dedented) in a fresh interpreter, e.g. to check what an import pulls into sys.modules.

    `env`, `pythonpath` and `cwd` are those of `run_vidcore`.
    """
    return _run(("-c", textwrap.dedent(code)), env, pythonpath, cwd, timeout)


def _run(args: tuple[str, ...], env: Mapping[str, str | None] | None, pythonpath: Iterable[str | os.PathLike],
         cwd: str | os.PathLike | None, timeout: float) -> CliResult:
    environment = dict(os.environ)
    for key, value in (env or {}).items():
        if value is None:
            environment.pop(key, None)
        else:
            environment[key] = value
    paths = [str(path) for path in pythonpath]
    if paths:
        environment["PYTHONPATH"] = os.pathsep.join(paths + [environment.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    completed = subprocess.run([sys.executable, *args], capture_output=True, text=True, env=environment,
                               cwd=Path(cwd) if cwd else None, timeout=timeout)
    return CliResult(args, completed.returncode, completed.stdout, completed.stderr)
