"""Loading mmaction2 Python configs: `_base_` chains with mmengine's merge rules, substitutions, read_base()."""

from __future__ import annotations

import pytest
from vidcore.errors import ConfigError
from vidcore_tsn.interop.py_config import load_py_config


def test_base_chain_merges_dicts_replaces_lists_and_honours_delete(write_files):
    paths = write_files({
        "base/a.py": """
            model = dict(backbone=dict(type='ResNet', depth=50, norm_eval=True), cls_head=dict(num_classes=400))
            optimizer = dict(type='SGD', lr=0.1, momentum=0.9)
            steps = [1, 2, 3]
            """,
        "base/b.py": """
            _base_ = './a.py'
            model = dict(backbone=dict(depth=101))
            """,
        "child.py": """
            _base_ = ['base/b.py']
            model = dict(cls_head=dict(num_classes=101))
            optimizer = dict(_delete_=True, type='AdamW', lr=0.001)
            steps = [9]
            """,
    })
    loaded = load_py_config(paths["child.py"])
    assert loaded.data["model"] == {"backbone": {"type": "ResNet", "depth": 101, "norm_eval": True},
                                    "cls_head": {"num_classes": 101}}
    assert loaded.data["optimizer"] == {"type": "AdamW", "lr": 0.001}
    assert loaded.data["steps"] == [9]
    assert [p.rsplit("/", 1)[-1] for p in loaded.files] == ["child.py", "b.py", "a.py"]
    assert loaded.origins["optimizer"] == (str(paths["child.py"].resolve()), 3)


def test_base_variable_substitution_and_predefined_fields(write_files):
    paths = write_files({
        "base.py": """
            img_norm_cfg = dict(mean=[1, 2, 3], std=[4, 5, 6])
            pipeline = [dict(type='A'), dict(type='B')]
            epochs = 100
            """,
        "exp/child.py": """
            _base_ = '../base.py'
            norm = {{_base_.img_norm_cfg}}
            second = {{ _base_.pipeline.1 }}
            epochs = {{_base_.epochs}} // 2
            work_dir = './work_dirs/{{ fileBasenameNoExtension }}'
            """,
    })
    data = load_py_config(paths["exp/child.py"]).data
    assert data["norm"] == {"mean": [1, 2, 3], "std": [4, 5, 6]}
    assert data["second"] == {"type": "B"}
    assert data["epochs"] == 50
    assert data["work_dir"] == "./work_dirs/child"


def test_a_key_in_two_bases_is_an_error(write_files):
    paths = write_files({"a.py": "x = 1\n", "b.py": "x = 2\n", "c.py": "_base_ = ['a.py', 'b.py']\n"})
    with pytest.raises(ConfigError, match="'x' is defined in both"):
        load_py_config(paths["c.py"])


def test_circular_and_missing_bases_are_errors(write_files):
    paths = write_files({"a.py": "_base_ = 'b.py'\n", "b.py": "_base_ = 'a.py'\n",
                                  "c.py": "_base_ = 'nowhere.py'\n", "d.py": "_base_ = some_call()\n"})
    with pytest.raises(ConfigError, match="circular _base_"):
        load_py_config(paths["a.py"])
    with pytest.raises(ConfigError, match="base config not found"):
        load_py_config(paths["c.py"])
    with pytest.raises(ConfigError, match="d.py:1: _base_: call"):
        load_py_config(paths["d.py"])


def test_syntax_errors_name_file_and_line(write_files):
    paths = write_files({"bad.py": "model = dict(\n  depth=50,,\n)\n"})
    with pytest.raises(ConfigError, match=r"bad.py:2: Python syntax error"):
        load_py_config(paths["bad.py"])


def test_mmaction_package_bases_need_the_package(write_files):
    paths = write_files({"c.py": "_base_ = ['mmaction::_base_/models/tsn_r50.py']\n"})
    with pytest.raises(ConfigError, match="'mmaction', which is not installed"):
        load_py_config(paths["c.py"])


def test_yaml_bases_are_read_as_data(write_files):
    paths = write_files({"base.yaml": "model:\n  depth: 50\n", "c.py": "_base_ = 'base.yaml'\nmodel = dict(x=1)\n"})
    assert load_py_config(paths["c.py"]).data == {"model": {"depth": 50, "x": 1}}


def test_read_base_binds_base_names_and_updates_them(read_base_config):
    loaded = load_py_config(read_base_config)
    data = loaded.data
    assert data["model"]["cls_head"]["num_classes"] == 51
    assert data["model"]["cls_head"]["type"] == "TSNHead"
    assert data["model"]["cls_head"]["in_channels"] == 2048
    assert data["optim_wrapper"]["optimizer"] == {"type": "SGD", "lr": 0.005, "momentum": 0.9, "weight_decay": 0.0001}
    assert data["optim_wrapper"]["clip_grad"] == {"max_norm": 40, "norm_type": 2}
    assert data["train_cfg"]["max_epochs"] == 12 and data["param_scheduler"][0]["end"] == 12
    assert "read_base" not in data and "TSNHead" not in data and "SGD" not in data
    assert not loaded.diagnostics.items


def test_v0_fixture_loads_without_warnings(v0_config):
    loaded = load_py_config(v0_config)
    assert not loaded.diagnostics.warnings
    assert loaded.data["model"]["cls_head"]["num_classes"] == 101
    assert loaded.data["model"]["cls_head"]["init_std"] == 0.01
    assert loaded.data["optimizer"] == {"type": "SGD", "lr": 0.00128, "momentum": 0.9, "weight_decay": 0.0005}
    assert loaded.data["total_epochs"] == 50
    assert loaded.data["data"]["train"]["pipeline"][7]["mean"] == [123.675, 116.28, 103.53]
    assert {"img_norm_cfg", "train_pipeline", "dataset_type"} <= loaded.referenced
