"""`visualizer.type`: a registered Visualizer class (kind `visualizers`), checked before the run."""

from __future__ import annotations

from pathlib import Path

import pytest
from vidcore.config import Config
from vidcore.errors import BuildError, RegistryError
from vidcore.runner import Runner, check_config
from vidcore.visualization import Visualizer
from vidcore_runner_toys import make_cfg


class NamedVisualizer(Visualizer):
    """What a plugin registers under another name (vidcore-video's ActionVisualizer)."""


def short_cfg(tmp_path: Path, visualizer: dict) -> dict:
    return make_cfg(tmp_path, visualizer=visualizer, val_dataloader=None, val_evaluator=None,
                    train_cfg={"type": "EpochBasedTrainLoop", "max_epochs": 1})


def test_a_registered_visualizer_type_builds_with_the_backends(registry, tmp_path: Path):
    registry.register("visualizers", "NamedVisualizer", NamedVisualizer, dist="tests")
    runner = Runner(short_cfg(tmp_path, {"type": "NamedVisualizer", "name": "visualizer",
                                         "vis_backends": [{"type": "LocalVisBackend"}]}), registry=registry)
    with runner:
        runner.train()
        assert type(runner.visualizer) is NamedVisualizer and len(runner.visualizer.backends) == 1
    assert (Path(runner.log_dir) / "vis_data" / "scalars.json").is_file()


def test_an_unknown_type_or_argument_names_the_key(registry, tmp_path: Path):
    with pytest.raises(RegistryError, match=r"visualizer\.type: unknown visualizers type 'Visualiser'; did you mean "
                                            r"'Visualizer'"):
        Runner(short_cfg(tmp_path, {"type": "Visualiser"}), registry=registry).train()
    with pytest.raises(BuildError, match=r"visualizer\.fig_save_cfg: Visualizer got an unexpected argument"):
        Runner(short_cfg(tmp_path, {"fig_save_cfg": {"dpi": 100}}), registry=registry).train()


def test_config_check_validates_the_visualizer_type(tmp_path: Path):
    def visualizer_errors(visualizer: dict) -> list[str]:
        errors, _ = check_config(Config(short_cfg(tmp_path, visualizer), filename="cfg.yaml"))
        return [str(error) for error in errors if "visualizer" in str(error)]

    [error] = visualizer_errors({"type": "Visualiser", "vis_backends": [{"type": "LocalVisBackend"}]})
    assert error.startswith("cfg.yaml: visualizer.type: unknown visualizers type 'Visualiser'; did you mean ")
    assert visualizer_errors({"type": "Visualizer", "name": "x", "vis_backends": [{"type": "LocalVisBackend"}]}) == []
