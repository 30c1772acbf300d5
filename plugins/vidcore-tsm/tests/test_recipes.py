"""The TSM recipes vidcore-tsm ships (vidcore_tsm/configs/tsm/*.yaml): each one checks clean, and each split's
pipeline turns a real video into the views its model expects, decoded by PyAV."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

import pytest
from vidcore.config import load_config
from vidcore.runner import check_config

CONFIGS = Path(str(files("vidcore_tsm") / "configs"))
REPOSITORY_CONFIGS = Path(__file__).resolve().parents[3] / "configs"
SPLITS = ("train", "val", "test")
# recipe: {split: (views per video, crop side)}; the test takes 10 crops of every frame
VIEWS = {
    "tsm_imagenet-pretrained-r50_8xb16-1x1x8-50e_kinetics400-rgb.yaml":
        {"train": (8, 224), "val": (8, 224), "test": (8 * 10, 224)},
    "tsm_imagenet-pretrained-r50_8xb16-1x1x16-50e_kinetics400-rgb.yaml":
        {"train": (16, 224), "val": (16, 224), "test": (16 * 10, 224)},
}


def test_every_recipe_is_covered_and_has_its_repository_copy():
    assert sorted(path.name for path in (CONFIGS / "tsm").glob("*.yaml")) == sorted(VIEWS)
    assert sorted(path.name for path in (REPOSITORY_CONFIGS / "tsm").glob("*.yaml")) == sorted(VIEWS)


@pytest.mark.vidcore_plugins("vidcore-video", "vidcore-tsn", "vidcore-tsm")
@pytest.mark.parametrize("recipe", sorted(VIEWS))
def test_recipe_checks_clean_and_its_pipelines_make_the_expected_views(recipe, vidcore_registry, make_video,
                                                                       tmp_path):
    video = make_video("clip.mp4", num_frames=40, height=48, width=64)
    ann_file = tmp_path / "list.txt"
    ann_file.write_text(f"{video.name} 7\n")
    options = [f"{split}_dataloader.dataset.{key}={value}" for split in SPLITS
               for key, value in (("ann_file", ann_file), ("data_prefix", tmp_path))]
    cfg = load_config(CONFIGS / "tsm" / recipe, cfg_options=options)

    errors, checked = check_config(cfg)
    assert errors == [] and checked > 20
    model = cfg["model"]
    segments = VIEWS[recipe]["train"][0]
    assert model["backbone"]["num_segments"] == model["cls_head"]["num_segments"] == segments
    assert cfg["optim_wrapper"]["constructor"] == "TSMOptimWrapperConstructor"

    for split in SPLITS:
        dataset_cfg = cfg[f"{split}_dataloader"]["dataset"]
        decoders = [step["type"] for step in dataset_cfg["pipeline"] if step["type"].endswith(("Init", "Decode"))]
        assert decoders == ["PyAVInit", "PyAVDecode"], split
        sample = vidcore_registry.build(dataset_cfg, "datasets")[0]
        views, side = VIEWS[recipe][split]
        assert tuple(sample["inputs"].shape) == (views, 3, side, side), split


@pytest.mark.vidcore_plugins("vidcore-video", "vidcore-tsn", "vidcore-tsm")
def test_repository_configs_check_clean(vidcore_registry):
    demo = REPOSITORY_CONFIGS / "demo" / "tsm_r18_synthetic.yaml"
    for path in sorted(REPOSITORY_CONFIGS.glob("tsm/*.yaml")) + [demo]:
        errors, checked = check_config(load_config(path))
        assert errors == [] and checked > 10, path
