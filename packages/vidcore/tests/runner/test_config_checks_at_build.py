"""A run validates top-level keys and runner values before building anything, and keeps only keys it reads."""

from __future__ import annotations

from pathlib import Path

import pytest
from vidcore.config import Config, load_config
from vidcore.config._keys import CORE_KEYS, top_level_key_errors
from vidcore.runner import Runner
from vidcore.runner._config_check import ConfigProblems
from vidcore_runner_toys import make_cfg


def test_a_run_drops_variables_and_writes_a_config_that_loads_back(registry, tmp_path: Path):
    data = make_cfg(tmp_path / "run", train_cfg={"type": "EpochBasedTrainLoop", "max_epochs": 1}, epochs=1,
                    _notes="kept: a key of the user's own")
    config = Config(data, str(tmp_path / "cfg.yaml"), variables={"epochs"})
    with Runner(config, registry=registry) as runner:
        assert "epochs" not in runner.cfg and "_notes" in runner.cfg
        runner.train()
    dumped = load_config(tmp_path / "run" / "cfg.yaml")
    assert "epochs" not in dumped and dumped["_notes"] == "kept: a key of the user's own"
    assert top_level_key_errors(dumped, dumped.variables, dumped.locate, CORE_KEYS) == []


def test_unknown_keys_and_bad_values_stop_the_runner_before_it_builds(registry, tmp_path: Path):
    cfg = make_cfg(tmp_path / "run", total_epochs=3, epochs=3)
    cfg["train_dataloader"]["batch_size"] = "abc"
    with pytest.raises(ConfigProblems) as raised:
        Runner(cfg, filename="cfg.yaml", registry=registry)
    assert [line.split(": ", 2)[1] for line in raised.value.lines] == ["total_epochs", "epochs",
                                                                        "train_dataloader.batch_size"]
    assert raised.value.lines[-1].endswith("(3 problems in cfg.yaml)")
    assert not (tmp_path / "run").exists()
