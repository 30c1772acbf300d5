"""`vidcore migrate` and `vidcore convert-checkpoint` through the CLI: output files, messages, exit codes."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch
import yaml
from vidcore.cli._main import main


def test_migrate_writes_yaml_with_todo_header(v0_config, tmp_path, capsys):
    out = tmp_path / "out" / "tsn.yaml"
    assert main(["migrate", str(v0_config), "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert f"wrote {out}" in err
    text = out.read_text()
    assert text.startswith(f"# Migrated from the mmaction2 config {v0_config}")
    data = yaml.safe_load(text)
    assert data["model"]["type"] == "Recognizer2D" and data["train_cfg"]["max_epochs"] == 50


def test_migrate_to_stdout_and_verbose_notes(v1_config, capsys):
    assert main(["migrate", str(v1_config), "--verbose"]) == 0
    captured = capsys.readouterr()
    assert yaml.safe_load(captured.out)["train_dataloader"]["batch_size"] == 32
    assert "note:" in captured.err and "default_scope: dropped" in captured.err


def test_code_in_a_config_is_never_executed(write_files, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    paths = write_files({"evil.py": (
        "model = dict(type='Recognizer2D')\n"
        "hack = __import__('os').system('touch marker')\n"
        "optimizer = dict(type='SGD', lr=__import__('os').system('touch marker2'))\n")})
    out = tmp_path / "evil.yaml"
    assert main(["migrate", str(paths["evil.py"]), "-o", str(out)]) == 0
    assert not (tmp_path / "marker").exists() and not (tmp_path / "marker2").exists()
    err = capsys.readouterr().err
    assert f"{paths['evil.py'].resolve()}:2: hack: call `__import__('os').system('touch marker')`" in err
    assert f"{paths['evil.py'].resolve()}:3: optimizer.lr: call" in err
    assert "# TODO(migrate): " in out.read_text() and ":2: hack: call" in out.read_text()


def test_strict_fails_on_warnings_and_writes_nothing(write_files, tmp_path, capsys):
    paths = write_files({"cfg.py": "model = dict(type='Recognizer2D')\nimg_norm_cfg = dict(mean=[1], std=[1])\n"
                                "unknown_setting = 3\n"})
    out = tmp_path / "strict.yaml"
    assert main(["migrate", str(paths["cfg.py"]), "-o", str(out), "--strict"]) == 2
    err = capsys.readouterr().err
    assert "unknown_setting" in err and "--strict: 1 item(s) could not be mapped" in err
    assert "Traceback" not in err and not out.exists()


MMACTION_TENSORBOARD = "vis_backends = [dict(type='LocalVisBackend'), dict(type='TensorboardVisBackend')]\n" \
    "visualizer = dict(type='ActionVisualizer', vis_backends=vis_backends)\n"


@pytest.mark.parametrize("installed", [True, False])
def test_migrate_warns_when_the_result_needs_a_distribution_that_is_not_installed(write_files, tmp_path, installed):
    """Through the CLI, as a user whose environment lacks vidcore-tensorboard sees it."""
    from vidcore_testing import run_vidcore

    paths = write_files({"cfg.py": MMACTION_TENSORBOARD})
    out = tmp_path / "migrated.yaml"
    result = run_vidcore("migrate", paths["cfg.py"], "-o", out,
                         env={"VIDCORE_DISABLE_PLUGINS": None if installed else "vidcore-tensorboard"})
    assert result.returncode == 0, str(result)
    text = out.read_text()
    assert {"type": "TensorboardVisBackend"} in yaml.safe_load(text)["visualizer"]["vis_backends"]  # kept
    if installed:
        assert "# Everything was mapped." in text and "; 0 warning(s)" in result.stderr
        return
    warning = ("visualizer.vis_backends[1].type: 'TensorboardVisBackend' is provided by vidcore-tensorboard, which "
               "is not installed or not loaded: pip install ./plugins/vidcore-tensorboard (from the root of the "
               "vidcore repository); kept")
    where = f"{paths['cfg.py'].resolve()}:2: "  # the line of the mmaction2 config that set it
    assert f"vidcore migrate: warning: {where}{warning}" in result.stderr and "; 1 warning(s)" in result.stderr
    assert "Everything was mapped" not in text and f"# TODO(migrate): {where}{warning}" in text


def test_user_errors_exit_2_with_one_line(write_files, tmp_path, capsys):
    paths = write_files({"bad.py": "model = dict(\n", "base.py": "_base_ = 'missing.py'\n"})
    assert main(["migrate", str(paths["bad.py"])]) == 2
    assert main(["migrate", str(paths["base.py"])]) == 2
    assert main(["migrate", str(tmp_path / "nothing.py")]) == 2
    assert main(["migrate", str(paths["base.py"]), "-o", str(paths["base.py"])]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 4 and all(line.startswith("vidcore: error: ") for line in lines)
    assert "Python syntax error" in lines[0] and "base config not found" in lines[1]
    assert "overwrite the input" in lines[3]


def test_convert_checkpoint_command(tmp_path, capsys, mmaction_names):
    config = tmp_path / "tsn.yaml"
    config.write_text("model:\n  type: Recognizer2D\n  backbone: {type: ResNet, depth: 18}\n"
                      "  cls_head: {type: TSNHead, num_classes: 3, in_channels: 512}\n")
    from vidcore.plugins import default_registry

    model = default_registry().build(yaml.safe_load(config.read_text())["model"], "models")
    mm_state = mmaction_names(model.state_dict())
    assert "backbone.layer1.0.conv2.bn.running_mean" in mm_state and "backbone.conv1.bn.weight" in mm_state
    source, output = tmp_path / "mm.pth", tmp_path / "vc.pth"
    torch.save({"meta": {}, "state_dict": mm_state}, source)
    assert main(["convert-checkpoint", str(source), str(output), "--config", str(config)]) == 0
    assert f"{source} -> {output}: {len(mm_state)} tensors mapped" in capsys.readouterr().err
    converted = torch.load(output, weights_only=True)["state_dict"]
    assert all(torch.equal(converted[key], value) for key, value in model.state_dict().items())

    source.write_bytes(b"garbage")
    assert main(["convert-checkpoint", str(source), str(output), "--config", str(config)]) == 2
    assert capsys.readouterr().err.startswith("vidcore: error: ")


def test_help_does_not_import_torch():
    code = ("import sys\nfrom vidcore.cli._main import main\n"
            "for command in ('migrate', 'convert-checkpoint'):\n"
            "    try:\n        main([command, '--help'])\n    except SystemExit:\n        pass\n"
            "print('TORCH' if 'torch' in sys.modules else 'NO-TORCH')\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.stdout.strip().endswith("NO-TORCH"), result.stdout + result.stderr
    assert "--unsafe-load" in result.stdout and "MMACTION_CFG.py" in result.stdout


@pytest.mark.parametrize("command", ["migrate", "convert-checkpoint"])
def test_commands_are_registered(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
