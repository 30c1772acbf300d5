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


# --- install lines of the docs and of error hints work from this repository as written --------------------

DOCUMENTS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md")), *sorted(REPO.glob("*/*/README.md")),
             *sorted((REPO / "configs").rglob("*.yaml"))]
# what a `pip install` line may name besides local paths: published distributions the docs point to
PUBLISHED = {"matplotlib", "rich", "torch", "mmengine", "mmcv-lite==2.1.0", "decord", "scipy", "mmaction2==1.2.0",
             "wandb[media]", "PyTurboJPEG", "av"}


def install_lines(text: str) -> list[str]:
    """The arguments of each `pip install` in `text` (a `.` is the current folder: a plugin project's own)."""
    return [match.strip() for match in re.findall(r"pip install ([^`\n#(]+)", text)]


OPTIONS_WITH_VALUE = {"-c", "-r", "--index-url", "--extra-index-url", "--target"}


def check_install_line(line: str, where: str) -> None:
    arguments = line.split("&&")[0].split()
    for previous, argument in zip(["", *arguments], arguments):
        argument = argument.strip("'\"")
        if argument.startswith("-") or previous in OPTIONS_WITH_VALUE or argument.split("[")[0] in {".", "\\"}:
            continue
        if argument.startswith("./"):
            folder = REPO / argument.split("[")[0]
            assert (folder / "pyproject.toml").is_file(), f"{where}: {line}: {argument} is not a distribution here"
        else:
            assert argument in PUBLISHED, f"{where}: {line}: {argument} is not on the package index"


def test_every_install_line_in_the_docs_works_from_this_repository():
    lines = [(path.relative_to(REPO), line) for path in DOCUMENTS for line in install_lines(path.read_text())]
    assert len(lines) > 10
    for where, line in lines:
        check_install_line(line, str(where))


def test_the_install_hint_of_every_first_party_component_names_its_folder_here():
    from vidcore.plugins import default_registry
    from vidcore.registry import FIRST_PARTY_PATHS
    from vidcore_plot.plotting import PLOT_INSTALL_HINT

    for dist, path in FIRST_PARTY_PATHS.items():
        assert f'name = "{dist}"' in (REPO / path / "pyproject.toml").read_text()
    registry = default_registry()
    registry.ensure_loaded()
    assert registry.install_hints, "no installed plugin names the components of the others"
    for name, dist in registry.install_hints.items():
        (line,) = install_lines(registry.install_hint(name))
        check_install_line(line, name)
        assert line.split()[-1] == f"./{FIRST_PARTY_PATHS[dist]}"
    check_install_line(install_lines(PLOT_INSTALL_HINT)[0], "PLOT_INSTALL_HINT")


def test_a_missing_plugin_error_gives_an_install_line_that_works_here(tmp_path: Path):
    from vidcore_testing import run_vidcore

    (tmp_path / "cfg.yaml").write_text("visualizer: {vis_backends: [{type: TensorboardVisBackend}]}\n")
    result = run_vidcore("config", "check", "cfg.yaml", cwd=tmp_path,
                         env={"VIDCORE_DISABLE_PLUGINS": "vidcore-tensorboard"})
    assert result.returncode == 2, str(result)
    (error,) = result.stderr.strip().splitlines()
    assert "visualizer.vis_backends[0].type: unknown vis_backends type 'TensorboardVisBackend'" in error
    (line,) = install_lines(error)
    assert line == "./plugins/vidcore-tensorboard"
    check_install_line(line, "vidcore config check")
