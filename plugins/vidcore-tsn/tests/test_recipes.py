"""The TSN recipes vidcore-tsn ships (vidcore_tsn/configs/tsn/*.yaml): each one checks clean, and each split's
pipeline turns a real video into the views its model expects, decoded by PyAV."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

import pytest
from vidcore.config import load_config
from vidcore.runner import check_config

RECIPES = Path(str(files("vidcore_tsn") / "configs" / "tsn"))
SPLITS = ("train", "val", "test")
# recipe: {split: (views per video, crop side)}
VIEWS = {
    "tsn_r50_1x1x3_100e_kinetics400.yaml": {"train": (3, 224), "val": (3, 224), "test": (25 * 10, 224)},
    "tsn_r50_1x1x8_100e_kinetics400.yaml": {"train": (8, 224), "val": (8, 224), "test": (25 * 10, 224)},
    "tsn_r50_1x1x3_75e_ucf101_split1.yaml": {"train": (3, 224), "val": (3, 256), "test": (25 * 3, 256)},
}


def test_every_recipe_is_covered():
    assert sorted(path.name for path in RECIPES.glob("*.yaml")) == sorted(VIEWS)


@pytest.mark.vidcore_plugins("vidcore-video", "vidcore-tsn")
@pytest.mark.parametrize("recipe", sorted(VIEWS))
def test_recipe_checks_clean_and_its_pipelines_make_the_expected_views(recipe, vidcore_registry, make_video,
                                                                       tmp_path):
    video = make_video("clip.mp4", num_frames=40, height=48, width=64)
    ann_file = tmp_path / "list.txt"
    ann_file.write_text(f"{video.name} 7\n")
    options = [f"{split}_dataloader.dataset.{key}={value}" for split in SPLITS
               for key, value in (("ann_file", ann_file), ("data_prefix.video", tmp_path))]
    cfg = load_config(RECIPES / recipe, cfg_options=options)

    errors, checked = check_config(cfg)
    assert errors == [] and checked > 20

    for split in SPLITS:
        dataset_cfg = cfg[f"{split}_dataloader"]["dataset"]
        decoders = [step["type"] for step in dataset_cfg["pipeline"] if step["type"].endswith(("Init", "Decode"))]
        assert decoders == ["PyAVInit", "PyAVDecode"], split
        sample = vidcore_registry.build(dataset_cfg, "datasets")[0]
        views, side = VIEWS[recipe][split]
        assert tuple(sample["inputs"].shape) == (views, 3, side, side), split
        assert int(sample["data_samples"].gt_label) == 7
