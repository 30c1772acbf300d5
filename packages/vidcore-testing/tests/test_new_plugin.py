"""`vidcore new-plugin`: the scaffolded distribution installs, passes its own tests and trains with `vidcore run`.

The plugin is pip-installed into a `--target` folder (never into the test environment) and everything that
uses it runs in a subprocess with `PYTHONPATH=<that folder>`, as in a user's fresh project.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import vidcore
from vidcore.cli._main import main
from vidcore_testing import pip_install, run_vidcore
from vidcore_testing.scaffold import vidcore_requirement

NAME, DIST, PACKAGE, PREFIX = "acme-vision", "vidcore-acme-vision", "vidcore_acme_vision", "AcmeVision"
ONLY_THIS_PLUGIN = {"VIDCORE_PLUGINS": DIST, "VIDCORE_DISABLE_PLUGINS": None}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("new-plugin")
    result = run_vidcore("new-plugin", NAME, cwd=root)
    assert result.returncode == 0, result.stderr
    assert f"Created {DIST} in {root / DIST}" in result.stdout
    return root / DIST


@pytest.fixture(scope="module")
def site(project: Path) -> Path:
    return pip_install(project, project.parent / "site")


def test_scaffold_writes_a_complete_distribution(project):
    files = sorted(path.relative_to(project).as_posix() for path in project.rglob("*") if path.is_file())
    assert files == ["README.md", "pyproject.toml", *(f"src/{PACKAGE}/{name}" for name in (
        "__init__.py", "configs/example.yaml", "datasets.py", "hooks.py", "models.py", "plugin.py",
        "structures.py", "transforms.py")), "tests/test_plugin.py"]
    pyproject = (project / "pyproject.toml").read_text()
    assert f'name = "{DIST}"' in pyproject
    assert f'"{vidcore_requirement(vidcore.__version__)}"' in pyproject
    assert f'[project.entry-points.vidcore]\n{NAME} = "{PACKAGE}.plugin"' in pyproject
    plugin = (project / "src" / PACKAGE / "plugin.py").read_text()
    assert f'"{PREFIX}Classifier": "{PACKAGE}.models:{PREFIX}Classifier"' in plugin
    assert "import torch" not in plugin
    assert "$" not in "".join((project / file).read_text() for file in files if not file.endswith(".yaml"))


def test_requirement_pins_the_running_minor_release():
    assert vidcore_requirement("0.1.0") == "vidcore>=0.1,<0.2"
    assert vidcore_requirement("1.12.3rc1") == "vidcore>=1.12,<1.13"


def test_installed_plugin_is_listed_with_lazy_components(site):
    result = run_vidcore("plugins", "--verbose", pythonpath=[site], env=ONLY_THIS_PLUGIN)
    assert result.returncode == 0, result.stderr
    assert f"{DIST} 0.1.0  [loaded]  1 datasets, 1 hooks, 1 models, 1 transforms" in result.stdout
    assert f"{PREFIX}Classifier" in result.stdout and "loaded " not in result.stdout.split(DIST)[1]


@pytest.mark.slow
def test_generated_tests_pass(project, site):
    environment = {key: value for key, value in os.environ.items() if not key.startswith("VIDCORE_")}
    environment.update(PYTHONPATH=str(site), VIDCORE_PLUGINS=DIST)
    # The generated test that trains does what the next test does; running both would train twice.
    training = "tests/test_plugin.py::test_example_config_trains"
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--deselect", training]
    completed = subprocess.run(command, cwd=project, env=environment, capture_output=True, text=True, timeout=600)
    assert completed.returncode == 0, completed.stdout[-4000:] + completed.stderr[-2000:]
    assert "9 passed, 1 deselected" in completed.stdout


@pytest.mark.slow
def test_example_config_trains_with_vidcore_run(site, tmp_path):
    config = site / PACKAGE / "configs" / "example.yaml"
    work_dir = tmp_path / "work"
    result = run_vidcore("run", config, "--work-dir", work_dir, pythonpath=[site], env=ONLY_THIS_PLUGIN,
                         cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (work_dir / f"{NAME}_iterations.txt").read_text() == "8\n"  # the example hook ran: 2 epochs x 4 batches


@pytest.mark.parametrize("name, message", [
    ("Acme", "invalid plugin name 'Acme': use lowercase letters, digits and single hyphens"),
    ("acme_vision", "invalid plugin name 'acme_vision': use lowercase letters"),
    ("acme--vision", "invalid plugin name 'acme--vision': use lowercase letters"),
    ("3d-nets", "invalid plugin name '3d-nets': use lowercase letters, digits and single hyphens, starting with a "
                "letter"),
    ("vidcore-acme", "invalid plugin name 'vidcore-acme': give the part after 'vidcore-' (e.g. 'acme')"),
    ("video", "invalid plugin name 'video': vidcore-video is a first-party vidcore distribution; choose another"),
])
def test_invalid_names_are_refused_with_one_line(name, message, tmp_path, capsys):
    assert main(["new-plugin", name, "--dir", str(tmp_path / "out")]) == 2
    error = capsys.readouterr().err
    assert error.startswith(f"vidcore: error: {message}") and error.count("\n") == 1, error
    assert not (tmp_path / "out").exists()


def test_existing_non_empty_directory_is_refused(tmp_path, capsys):
    target = tmp_path / "taken"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    assert main(["new-plugin", NAME, "--dir", str(target)]) == 2
    error = capsys.readouterr().err
    assert error == f"vidcore: error: {target}: directory exists and is not empty; choose another --dir\n"
    assert [path.name for path in target.iterdir()] == ["notes.txt"]


def test_target_that_is_a_file_or_cannot_be_written_is_refused(tmp_path, capsys):
    occupied = tmp_path / "file.txt"
    occupied.write_text("mine")
    assert main(["new-plugin", NAME, "--dir", str(occupied)]) == 2
    expected = f"vidcore: error: {occupied}: exists and is not a directory; choose another --dir\n"
    assert capsys.readouterr().err == expected
    assert main(["new-plugin", NAME, "--dir", str(occupied / "inside")]) == 2
    error = capsys.readouterr().err
    assert error.startswith(f"vidcore: error: {occupied / 'inside'}/") and ": cannot write: " in error, error
    assert error.count("\n") == 1 and occupied.read_text() == "mine"


def test_existing_empty_directory_is_used(tmp_path, capsys):
    target = tmp_path / "empty"
    target.mkdir()
    assert main(["new-plugin", NAME, "--dir", str(target)]) == 0
    assert (target / "src" / PACKAGE / "plugin.py").is_file()
    assert f"Created {DIST} in {target}" in capsys.readouterr().out
