"""Throwaway plugin distributions for tests: write a tiny hatchling project, pip-install it into a folder.

The distribution is installed with `pip install --target SITE` (never into the running environment);
a subprocess with `PYTHONPATH=SITE` then sees its entry points exactly as it would see a real plugin's.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Iterable, Mapping

__all__ = ["write_distribution", "pip_install", "install_throwaway_distribution"]

_PYPROJECT = """\
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "{name}"
version = "{version}"
requires-python = ">=3.10"
{entry_points}
[tool.hatch.build.targets.wheel]
packages = [{packages}]
"""


def write_distribution(
    root: Path,
    name: str,
    files: Mapping[str, str],
    *,
    entry_point: str | None = None,
    version: str = "0.1.0",
) -> Path:
    """Write project `name` to `root/name` and return its folder.

    `files` maps paths inside the project (`"vidcore_acme/plugin.py"`) to their text, which is dedented;
    each top-level folder becomes a package (an empty `__init__.py` is added where missing).
    `entry_point` is the module named in the `vidcore` entry-point group, e.g. `"vidcore_acme.plugin"`.
    """
    project = Path(root) / name
    packages = sorted({Path(path).parts[0] for path in files if len(Path(path).parts) > 1})
    if not packages:
        raise ValueError(f"{name}: files must live in at least one package folder, got {sorted(files)}")
    for path, text in files.items():
        target = project / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text), encoding="utf-8")
    for package in packages:
        init = project / package / "__init__.py"
        if not init.exists():
            init.write_text("", encoding="utf-8")
    short_name = name.removeprefix("vidcore-")
    entry_points = f'\n[project.entry-points.vidcore]\n{short_name} = "{entry_point}"\n' if entry_point else ""
    (project / "pyproject.toml").write_text(_PYPROJECT.format(
        name=name, version=version, entry_points=entry_points,
        packages=", ".join(f'"{package}"' for package in packages),
    ), encoding="utf-8")
    return project


def pip_install(projects: Path | Iterable[Path], site: Path) -> Path:
    """Install project folders into `site` with this interpreter's pip (no dependencies, no index); return `site`."""
    folders = [Path(projects)] if isinstance(projects, (str, Path)) else [Path(p) for p in projects]
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-index",
               "--no-deps", "--no-build-isolation", "--upgrade", "--target", str(site), *map(str, folders)]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=300)
    if completed.returncode != 0:
        raise RuntimeError(f"pip install of {', '.join(map(str, folders))} failed "
                           f"(exit {completed.returncode}):\n{completed.stdout}{completed.stderr}")
    return Path(site)


def install_throwaway_distribution(
    tmp_path: Path,
    name: str,
    files: Mapping[str, str],
    *,
    entry_point: str | None = None,
    version: str = "0.1.0",
) -> Path:
    """Write distribution `name` under `tmp_path/projects` and install it into `tmp_path/site`; return the site.

    Calls with the same `tmp_path` share one site, so a test can install several distributions and run
    `vidcore` with `PYTHONPATH=<site>` (see `run_vidcore(..., pythonpath=[site])`).
    """
    project = write_distribution(Path(tmp_path) / "projects", name, files, entry_point=entry_point, version=version)
    return pip_install(project, Path(tmp_path) / "site")
