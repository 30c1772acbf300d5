"""The README's install commands agree: both resolve torch through constraints.txt (so the second command never
replaces the torch of the first), and CI runs the README's test command verbatim."""

from __future__ import annotations

import re
from importlib.metadata import version
from pathlib import Path

from packaging.requirements import Requirement

REPO = Path(__file__).resolve().parents[1]


def quick_start_commands() -> list[str]:
    readme = (REPO / "README.md").read_text()
    block = readme.split("## Quick start", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    return [line for line in block.splitlines() if line and not line.startswith("#")]


def pins() -> dict[str, str]:
    lines = [line for line in (REPO / "constraints.txt").read_text().splitlines() if line and line[0] != "#"]
    requirements = [Requirement(line) for line in lines]
    return {requirement.name: str(requirement.specifier) for requirement in requirements}


def test_both_quick_start_commands_use_the_constraints_file():
    install, test = quick_start_commands()
    assert install.startswith("pip install -c constraints.txt ./packages/vidcore ")
    assert test == "python -m pip install -r requirements-test.txt && python -m pytest"
    requirements = (REPO / "requirements-test.txt").read_text().splitlines()
    assert "-c constraints.txt" in requirements
    # the constraints file is the one place torch is pinned
    assert [line for line in requirements if re.match(r"torch(vision)?\s*[=<>~!]", line)] == []


def test_the_constraints_pin_a_matching_torch_pair_and_this_environment_has_it():
    assert set(pins()) == {"torch", "torchvision"}
    for name, specifier in pins().items():
        assert specifier.startswith("=="), (name, specifier)
        assert version(name).split("+")[0] == specifier[2:], name  # +cpu / +cu130 builds are the same version


def test_ci_runs_the_readme_test_command_verbatim():
    _, test = quick_start_commands()
    assert test in (REPO / ".ci" / "run").read_text().splitlines()
