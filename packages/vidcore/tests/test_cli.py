"""The `vidcore` CLI as users run it: subprocesses, exit statuses, one-line errors, no torch at start-up."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import yaml

COMPONENTS = '''
import vidcore


@vidcore.register("models")
class TinyNet:
    def __init__(self, depth: int, head=None):
        self.depth = depth


@vidcore.register("models")
class TinyHead:
    def __init__(self, num_classes: int):
        self.num_classes = num_classes
'''


VIDCORE = str(Path(sys.executable).with_name("vidcore"))


def vidcore(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run the installed `vidcore` console script, as a user would."""
    return subprocess.run([VIDCORE, *args], capture_output=True, text=True, cwd=cwd, timeout=120)


def write_config(tmp_path: Path, body: str) -> Path:
    (tmp_path / "tiny_components.py").write_text(COMPONENTS)
    path = tmp_path / "cfg.yaml"
    path.write_text("custom_imports: {imports: [tiny_components]}\n" + textwrap.dedent(body))
    return path


def test_config_show_prints_the_resolved_config(tmp_path):
    (tmp_path / "base.yaml").write_text("model: {type: TinyNet, depth: 50}\nlr: 0.1\n")
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text("_base_: base.yaml\nmodel: {depth: '${lr}'}\n")
    result = vidcore("config", "show", str(cfg), "--cfg-options", "lr=0.5", "extra.k=[1, 2]")
    assert result.returncode == 0, result.stderr
    assert yaml.safe_load(result.stdout) == {"model": {"type": "TinyNet", "depth": 0.5}, "lr": 0.5,
                                             "extra": {"k": [1, 2]}}


def test_config_check_passes_a_good_config(tmp_path):
    cfg = write_config(tmp_path, "model: {type: TinyNet, depth: 18, head: {type: TinyHead, num_classes: 3}}\n")
    result = vidcore("config", "check", str(cfg), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "OK, 1 components checked" in result.stdout


def test_config_check_reports_every_error_at_once(tmp_path):
    cfg = write_config(tmp_path, """
        model: {type: TinyNet, dept: 18, head: {type: TinyHaed, num_classes: 3}}
        optim_wrapper: {optimizer: {type: SDG, lr: 0.1}}
        """)
    result = vidcore("config", "check", str(cfg), cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 3, result.stderr
    assert any("model.head.type: unknown models type 'TinyHaed'; did you mean 'TinyHead'" in line for line in lines)
    assert any("model.dept: TinyNet got an unexpected argument 'dept'; did you mean 'depth'?" in line for line in lines)
    assert any("optim_wrapper.optimizer.type: unknown optimizers type 'SDG'; did you mean 'SGD'?" in line
               for line in lines)
    assert "(3 problems in" in lines[-1]


def test_user_errors_exit_2_with_one_line_and_debug_shows_the_traceback(tmp_path):
    cfg = tmp_path / "broken.yaml"
    cfg.write_text("model: [unclosed\n")
    result = vidcore("config", "show", str(cfg))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "broken.yaml:2:1: YAML syntax error" in result.stderr
    assert "Traceback" not in result.stderr
    debug = vidcore("--debug", "config", "show", str(cfg))
    assert debug.returncode == 2 and "Traceback" in debug.stderr


def test_missing_config_file_and_bad_override(tmp_path):
    missing = vidcore("config", "show", str(tmp_path / "nope.yaml"))
    assert missing.returncode == 2 and "nope.yaml: config file not found" in missing.stderr
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text("a: 1\n")
    bad = vidcore("config", "show", str(cfg), "--cfg-options", "a")
    assert bad.returncode == 2 and "--cfg-options: 'a' is not of the form KEY=VALUE" in bad.stderr


def test_usage_errors_are_one_line_with_exit_status_2():
    """argparse's usage block and error become one line naming the (sub)command and where its usage is."""
    cases = {
        ("frobnicate",): "vidcore: error: vidcore: argument COMMAND: invalid choice: 'frobnicate' (choose from ",
        ("confg", "show"): "; did you mean 'config'? (see `vidcore --help`)",
        ("config", "show"): "vidcore: error: vidcore config show: the following arguments are required: CFG "
                            "(see `vidcore config show --help`)",
        ("config", "show", "x.yaml", "--epochs", "3"): "vidcore: error: vidcore config show: unrecognized arguments: "
                                                       "--epochs 3 (see `vidcore config show --help`)",
    }
    for args, expected in cases.items():
        result = vidcore(*args)
        assert result.returncode == 2, result
        assert result.stderr.count("\n") == 1 and not result.stdout, result
        assert expected in result.stderr, result


def test_a_command_that_left_the_core_names_its_distribution():
    env = {**os.environ, "VIDCORE_DISABLE_PLUGINS": "vidcore-plot"}
    result = subprocess.run([VIDCORE, "plot", "work_dirs/x"], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result
    assert ("invalid choice: 'plot'" in result.stderr and "'plot' comes from the distribution vidcore-plot, which is "
            "not installed: pip install ./plugins/vidcore-plot" in result.stderr), result


def test_help_and_plugins_do_not_import_torch():
    code = textwrap.dedent("""
        import sys
        from vidcore.cli._main import main
        for argv in (["--help"], ["plugins", "--verbose"], ["plugins", "--json"]):
            try:
                main(argv)
            except SystemExit:
                pass
        heavy = [m for m in ("torch", "torchvision", "av", "decord", "wandb", "tensorboard", "numpy")
                 if m in sys.modules]
        assert not heavy, heavy
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "vidcore" in result.stdout and "optimizers" in result.stdout


def test_plugins_json_lists_the_core_components():
    import json

    result = vidcore("plugins", "--json")
    assert result.returncode == 0, result.stderr
    records = {record["distribution"]: record for record in json.loads(result.stdout)}
    core = records["vidcore"]
    assert core["status"] == "loaded" and "vidcore_register" in core["hooks"]
    assert {"kind": "optimizers", "name": "SGD", "target": "torch.optim:SGD", "loaded": False} in core["components"]
