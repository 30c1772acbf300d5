"""The recipes vidcore-video3d ships (vidcore_video3d/configs/*/*.yaml): each one checks clean, builds its
model's classes, and each split's pipeline turns a real video into the clips its model expects."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

import pytest
from vidcore.config import load_config
from vidcore.runner import check_config

CONFIGS = Path(str(files("vidcore_video3d") / "configs"))
REPOSITORY_CONFIGS = Path(__file__).resolve().parents[3] / "configs"
SPLITS = ("train", "val", "test")
TEST_CLIPS = 2  # the recipes test 10 (mmaction2) or 5 (torchvision) clips; 2 keep this test quick
# recipe: (clip length, {split: (views per video, crop side)})
RECIPES = {
    "i3d/i3d_imagenet-pretrained-r50_8xb8-32x2x1-100e_kinetics400-rgb.yaml":
        (32, {"train": (1, 224), "val": (1, 224), "test": (TEST_CLIPS * 3, 256)}),
    "slowonly/slowonly_imagenet-pretrained-r50_8xb16-4x16x1-steplr-150e_kinetics400-rgb.yaml":
        (4, {"train": (1, 224), "val": (1, 224), "test": (TEST_CLIPS * 3, 256)}),
    "slowfast/slowfast_r50_8xb8-4x16x1-256e_kinetics400-rgb.yaml":
        (32, {"train": (1, 224), "val": (1, 224), "test": (TEST_CLIPS * 3, 256)}),
    "r2plus1d/r2plus1d-18_torchvision-k400-pre_8xb8-16x2x1-20e_kinetics400-rgb.yaml":
        (16, {"train": (1, 112), "val": (1, 112), "test": (TEST_CLIPS, 112)}),
    "mvit/mvit-v2-s_torchvision-k400-pre_8xb8-16x4x1-20e_kinetics400-rgb.yaml":
        (16, {"train": (1, 224), "val": (1, 224), "test": (TEST_CLIPS, 224)}),
}


def test_every_recipe_is_covered_and_has_its_repository_copy():
    shipped = sorted(str(path.relative_to(CONFIGS)) for path in CONFIGS.glob("*/*.yaml") if path.parent.name != "demo")
    assert shipped == sorted(RECIPES)
    copies = sorted(path.name for path in (REPOSITORY_CONFIGS / "video3d").glob("*.yaml"))
    assert copies == sorted(Path(recipe).name for recipe in RECIPES)


@pytest.mark.vidcore_plugins("vidcore-video", "vidcore-tsn", "vidcore-video3d")
@pytest.mark.parametrize("recipe", sorted(RECIPES))
def test_recipe_checks_clean_and_its_pipelines_make_the_expected_clips(recipe, vidcore_registry, make_video,
                                                                       tmp_path):
    video = make_video("clip.mp4", num_frames=40, height=48, width=64)
    ann_file = tmp_path / "list.txt"
    ann_file.write_text(f"{video.name} 7\n")
    options = [f"{split}_dataloader.dataset.{key}={value}" for split in SPLITS
               for key, value in (("ann_file", ann_file), ("data_prefix", tmp_path))]
    options.append(f"test_dataloader.dataset.pipeline.1.num_clips={TEST_CLIPS}")
    cfg = load_config(CONFIGS / recipe, cfg_options=options)

    errors, checked = check_config(cfg)
    assert errors == [] and checked > 20
    assert cfg["model"]["type"] == "Recognizer3D" and cfg["model"]["data_preprocessor"]["format_shape"] == "NCTHW"
    clip_len, views = RECIPES[recipe]
    for split in SPLITS:
        dataset_cfg = cfg[f"{split}_dataloader"]["dataset"]
        decoders = [step["type"] for step in dataset_cfg["pipeline"] if step["type"].endswith(("Init", "Decode"))]
        assert decoders == ["PyAVInit", "PyAVDecode"], split
        sample = vidcore_registry.build(dataset_cfg, "datasets")[0]
        count, side = views[split]
        assert tuple(sample["inputs"].shape) == (count, 3, clip_len, side, side), split


@pytest.mark.vidcore_plugins("vidcore-video", "vidcore-tsn", "vidcore-video3d")
def test_repository_configs_check_clean(vidcore_registry):
    demo = REPOSITORY_CONFIGS / "demo" / "i3d_r18_synthetic.yaml"
    for path in sorted(REPOSITORY_CONFIGS.glob("video3d/*.yaml")) + [demo]:
        errors, checked = check_config(load_config(path))
        assert errors == [] and checked > 10, path
