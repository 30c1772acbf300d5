"""Safe loading: no vidcore command unpickles Python objects from a checkpoint (`weights_only=True`), the one
escape hatch is `vidcore convert-checkpoint --unsafe-load` for a file the user trusts, configs never execute
code, and `custom_imports` imports only the modules a config names."""

from __future__ import annotations

import os
import pickle
import re
import sys
from pathlib import Path

import pytest
import torch

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE / "bad_inputs"))

from cli_cases import TOY_CONFIG, assert_user_error, vidcore  # noqa: E402
from reliability_toys import toy_env  # noqa: E402

pytestmark = pytest.mark.slow

TSN_CONFIG = """\
model:
  type: Recognizer2D
  backbone: {type: ResNet, depth: 18, pretrained: null}
  cls_head: {type: TSNHead, num_classes: 3, in_channels: 512, consensus: {type: AvgConsensus, dim: 1}}
  data_preprocessor: {type: ActionDataPreprocessor, mean: [128, 128, 128], std: [64, 64, 64], format_shape: NCHW}
test_dataloader:
  dataset:
    type: VideoDataset
    ann_file: unused.txt
    pipeline:
      - {type: PyAVInit}
      - {type: SampleFrames, clip_len: 1, num_clips: 2, test_mode: true}
      - {type: PyAVDecode}
      - {type: Resize, scale: [32, 32], keep_ratio: false}
      - {type: FormatShape, input_format: NCHW}
      - {type: PackActionInputs}
"""


class Payload:
    """Unpickling this runs `os.mkdir(marker)`: proof that a loader executed code from the file."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


def evil_checkpoint(folder: Path) -> tuple[Path, Path]:
    """A checkpoint whose state dict looks fine but whose meta would run code when unpickled."""
    marker = folder / "PWNED"
    path = folder / "evil.pth"
    torch.save({"state_dict": {"head.weight": torch.zeros(2, 8)}, "meta": {"note": Payload(marker)}}, path,
               pickle_module=pickle)
    return path, marker


@pytest.fixture
def toy_project(tmp_path: Path) -> Path:
    (tmp_path / "toy.yaml").write_text(TOY_CONFIG)
    return tmp_path


@pytest.mark.parametrize("args", [("run", "toy.yaml", "--load-from", "evil.pth"),
                                  ("run", "toy.yaml", "--resume", "evil.pth"),
                                  ("test", "toy.yaml", "evil.pth")],
                         ids=["load_from", "resume", "test"])
def test_runner_commands_refuse_a_checkpoint_holding_code(toy_project: Path, args: tuple[str, ...]):
    _, marker = evil_checkpoint(toy_project)
    if args[0] == "test":
        (toy_project / "toy.yaml").write_text(TOY_CONFIG + "test_dataloader: {dataset: {type: ToyDataset, size: 8}}\n"
                                              "test_evaluator: {type: ToyAccuracy}\n")
    result = vidcore(*args, cwd=toy_project)
    assert_user_error(result, "evil.pth: the checkpoint holds Python objects that cannot be loaded safely "
                              "(e.g. posix.mkdir); if you trust the file, convert it once with: vidcore "
                              "convert-checkpoint evil.pth OUT.pth --config CFG --unsafe-load")
    assert not marker.exists()


def test_infer_and_convert_refuse_it_and_convert_unsafe_load_is_the_escape_hatch(tmp_path: Path, make_video):
    import numpy as np

    (tmp_path / "tsn.yaml").write_text(TSN_CONFIG)
    video = make_video("clip.mp4", num_frames=8)
    evil, marker = evil_checkpoint(tmp_path)
    env = toy_env(VIDCORE_PLUGINS="vidcore-video,vidcore-tsn")

    result = vidcore("infer", "tsn.yaml", "evil.pth", video, cwd=tmp_path, env=env)
    assert_user_error(result, "evil.pth: the checkpoint holds Python objects that cannot be loaded safely")
    result = vidcore("convert-checkpoint", "evil.pth", "out.pth", "--config", "tsn.yaml", cwd=tmp_path, env=env)
    assert_user_error(result, "evil.pth:", "--unsafe-load")
    assert not marker.exists()

    # a trusted file with a harmless object (a numpy scalar, as mmengine writes) converts with --unsafe-load
    import yaml
    from vidcore.plugins import default_registry

    model = default_registry().build(yaml.safe_load(TSN_CONFIG)["model"], "models")
    torch.save({"state_dict": model.state_dict(), "meta": {"epoch": np.int64(3)}}, tmp_path / "trusted.pth",
               pickle_module=pickle)
    result = vidcore("convert-checkpoint", "trusted.pth", "safe.pth", "--config", "tsn.yaml", "--unsafe-load",
                     cwd=tmp_path, env=env)
    assert result.returncode == 0, result
    result = vidcore("infer", "tsn.yaml", "safe.pth", video, "--topk", "1", cwd=tmp_path, env=env)
    assert result.returncode == 0, result
    assert result.stdout.splitlines()[0] == str(video)


def test_a_config_cannot_run_code(tmp_path: Path):
    marker = tmp_path / "PWNED"
    (tmp_path / "evil.yaml").write_text(f'model: !!python/object/apply:os.mkdir ["{marker}"]\n')
    for command in (("run", "evil.yaml"), ("config", "show", "evil.yaml"), ("config", "check", "evil.yaml")):
        result = vidcore(*command, cwd=tmp_path)
        assert_user_error(result, "evil.yaml:1:8: YAML syntax error: could not determine a constructor for the tag "
                                  "'tag:yaml.org,2002:python/object/apply:os.mkdir'")
    (tmp_path / "evil.py").write_text(f"import os\nos.mkdir({str(marker)!r})\n")
    assert_user_error(vidcore("run", "evil.py", cwd=tmp_path), "evil.py", "vidcore migrate")
    assert not marker.exists()


def test_custom_imports_imports_only_the_named_modules(tmp_path: Path):
    (tmp_path / "named_module.py").write_text(
        "import sys\nfrom pathlib import Path\n"
        "ours = sorted(name for name in sys.modules if name.endswith('_module') and '.' not in name)\n"
        "Path('imported.txt').write_text(' '.join(ours))\n")
    (tmp_path / "other_module.py").write_text("from pathlib import Path\nPath('PWNED').mkdir()\n")
    config = TOY_CONFIG.replace("imports: [reliability_toys]", "imports: [reliability_toys, named_module]")
    (tmp_path / "toy.yaml").write_text(config)
    result = vidcore("run", "toy.yaml", "--work-dir", "wd", "--cfg-options", "train_cfg.max_epochs=1", cwd=tmp_path)
    assert result.returncode == 0, result
    assert (tmp_path / "imported.txt").read_text() == "named_module"
    # a type name never imports a module either
    for name in ("other_module:Thing", "other_module.Thing"):
        result = vidcore("run", "toy.yaml", "--cfg-options", f"model.type={name}", cwd=tmp_path)
        assert_user_error(result, f"model.type: unknown models type '{name}'")
    assert not (tmp_path / "PWNED").exists()


SAFE_CALL = re.compile(r"weights_only\s*=\s*(True|not unsafe_load)")


def test_every_loader_in_the_sources_is_weights_only():
    """An audit of every `torch.load(` and `load_state_dict_from_url(` call in the distributions' sources: each
    passes weights_only=True, except convert-checkpoint's documented `--unsafe-load`."""
    calls = []
    for source in sorted(ROOT.glob("packages/*/src/**/*.py")) + sorted(ROOT.glob("plugins/*/src/**/*.py")):
        text = source.read_text(encoding="utf-8")
        for found in re.finditer(r"(torch\.load|load_state_dict_from_url)\(", text):
            call = text[found.start():text.find(")\n", found.start()) + 1]
            calls.append((f"{source.relative_to(ROOT)}:{text.count(chr(10), 0, found.start()) + 1}", call))
    assert calls, "no loader found: the audit looks in the wrong place"
    unsafe = [where for where, call in calls if not SAFE_CALL.search(call)]
    assert unsafe == []
