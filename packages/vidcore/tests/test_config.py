"""Config: YAML/JSON loading, _base_ (relative and pkg://), merge, _delete_, references, overrides, dump."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

import pytest
import yaml
from vidcore.config import Config, import_custom_modules, load_config
from vidcore.errors import ConfigError


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip())
    return path


@pytest.fixture
def chain(tmp_path):
    write(tmp_path / "_base_/models/net.yaml", """
        model:
          type: Net
          depth: 50
          head: {type: Head, num_classes: 400, dropout: 0.4}
        """)
    write(tmp_path / "_base_/schedule.yaml", """
        optim_wrapper:
          optimizer: {type: SGD, lr: 0.01, momentum: 0.9}
          clip_grad: {max_norm: 40}
        param_scheduler: [{type: MultiStepLR, milestones: [40, 80]}]
        """)
    return write(tmp_path / "exp/cfg.yaml", """
        _base_: [../_base_/models/net.yaml, ../_base_/schedule.yaml]
        num_classes: 10
        model:
          head: {num_classes: "${num_classes}"}
        optim_wrapper:
          clip_grad: {_delete_: true, clip_value: 1}
        param_scheduler: [{type: StepLR, step_size: 3}]
        """)


def test_base_chain_merges_dicts_and_replaces_lists(chain):
    cfg = load_config(chain)
    assert cfg["model"] == {"type": "Net", "depth": 50, "head": {"type": "Head", "num_classes": 10, "dropout": 0.4}}
    assert cfg["optim_wrapper"]["optimizer"]["lr"] == 0.01
    assert cfg["optim_wrapper"]["clip_grad"] == {"clip_value": 1}  # _delete_ replaced instead of merging
    assert cfg["param_scheduler"] == [{"type": "StepLR", "step_size": 3}]
    assert "_base_" not in cfg and "_delete_" not in json.dumps(cfg.to_dict())


def test_locate_names_the_file_that_set_each_key(chain, tmp_path):
    cfg = load_config(chain, ["model.depth=18"])
    assert cfg.locate(("model", "head", "dropout")) == str(tmp_path / "_base_/models/net.yaml")
    assert cfg.locate(("model", "head", "num_classes")) == str(chain)
    assert cfg.locate(("optim_wrapper", "optimizer", "lr")) == str(tmp_path / "_base_/schedule.yaml")
    assert cfg.locate(("model", "depth")) == "--cfg-options"
    assert cfg.locate(("optim_wrapper", "clip_grad", "clip_value")) == str(chain)


def test_package_base(tmp_path, monkeypatch):
    write(tmp_path / "site/fake_pkg/__init__.py", "raise RuntimeError('a pkg:// base must not import the package')\n")
    write(tmp_path / "site/fake_pkg/configs/base.yaml", "shared: {a: 1, b: 2}\n")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    cfg_file = write(tmp_path / "cfg.yaml", "_base_: pkg://fake_pkg/configs/base.yaml\nshared: {b: 3}\n")
    assert load_config(cfg_file)["shared"] == {"a": 1, "b": 3}
    assert "fake_pkg" not in sys.modules


def test_package_base_for_a_missing_package(tmp_path):
    cfg_file = write(tmp_path / "cfg.yaml", "_base_: pkg://no_such_pkg_abc/configs/x.yaml\n")
    with pytest.raises(ConfigError, match=r"cfg\.yaml: _base_: package 'no_such_pkg_abc' .* is not installed"):
        load_config(cfg_file)


def test_json_configs_and_json_bases(tmp_path):
    write(tmp_path / "base.json", json.dumps({"a": {"x": 1}}))
    cfg_file = write(tmp_path / "cfg.yaml", "_base_: base.json\na: {y: 2}\n")
    assert load_config(cfg_file)["a"] == {"x": 1, "y": 2}


def test_same_key_in_two_bases_is_an_error(tmp_path):
    write(tmp_path / "a.yaml", "model: {depth: 1}\n")
    write(tmp_path / "b.yaml", "model: {depth: 2}\n")
    cfg_file = write(tmp_path / "cfg.yaml", "_base_: [a.yaml, b.yaml]\n")
    with pytest.raises(ConfigError, match=r"key 'model' is defined in both .*a\.yaml and .*b\.yaml"):
        load_config(cfg_file)


def test_base_cycle_names_the_chain(tmp_path):
    write(tmp_path / "a.yaml", "_base_: b.yaml\n")
    write(tmp_path / "b.yaml", "_base_: a.yaml\n")
    with pytest.raises(ConfigError, match=r"circular _base_: .*a\.yaml -> .*b\.yaml -> .*a\.yaml"):
        load_config(tmp_path / "a.yaml")


def test_missing_base_file(tmp_path):
    cfg_file = write(tmp_path / "cfg.yaml", "_base_: nowhere.yaml\n")
    with pytest.raises(ConfigError, match=r"cfg\.yaml: _base_: base config not found: .*nowhere\.yaml"):
        load_config(cfg_file)


def test_bad_base_value(tmp_path):
    cfg_file = write(tmp_path / "cfg.yaml", "_base_: {a: 1}\n")
    with pytest.raises(ConfigError, match="expected a path or a list of paths"):
        load_config(cfg_file)


def test_yaml_syntax_error_has_file_line_and_column(tmp_path):
    cfg_file = write(tmp_path / "cfg.yaml", "model:\n  type: Net\n  depth: [1, 2\n")
    with pytest.raises(ConfigError, match=r"cfg\.yaml:\d+:\d+: YAML syntax error"):
        load_config(cfg_file)


def test_duplicate_key_in_one_file_is_an_error(tmp_path):
    cfg_file = write(tmp_path / "cfg.yaml", "model:\n  depth: 1\n  depth: 2\n")
    with pytest.raises(ConfigError, match=r"cfg\.yaml:3:\d+: YAML syntax error: key 'depth' appears twice"):
        load_config(cfg_file)


def test_json_syntax_error(tmp_path):
    cfg_file = write(tmp_path / "cfg.json", '{"a": 1,}')
    with pytest.raises(ConfigError, match=r"cfg\.json:1:\d+: JSON syntax error"):
        load_config(cfg_file)


def test_missing_and_non_mapping_and_python_configs(tmp_path):
    with pytest.raises(ConfigError, match=r"nope\.yaml: config file not found"):
        load_config(tmp_path / "nope.yaml")
    with pytest.raises(ConfigError, match="expected a mapping of keys at the top level, got list"):
        load_config(write(tmp_path / "list.yaml", "- 1\n- 2\n"))
    with pytest.raises(ConfigError, match="Python configs are not executed; convert it with `vidcore migrate"):
        load_config(write(tmp_path / "old.py", "model = dict(type='X')\n"))
    assert load_config(write(tmp_path / "empty.yaml", "")).to_dict() == {}


def test_yaml_never_executes_tags(tmp_path):
    cfg_file = write(tmp_path / "cfg.yaml", "x: !!python/object/apply:os.system ['echo hacked']\n")
    with pytest.raises(ConfigError, match="YAML syntax error"):
        load_config(cfg_file)


def test_delete_must_be_boolean(tmp_path):
    write(tmp_path / "base.yaml", "a: {x: 1}\n")
    cfg_file = write(tmp_path / "cfg.yaml", "_base_: base.yaml\na: {_delete_: yes please}\n")
    with pytest.raises(ConfigError, match=r"a\._delete_: expected true or false"):
        load_config(cfg_file)


def test_references_keep_types_and_embed_in_strings(tmp_path, monkeypatch):
    monkeypatch.setenv("VIDCORE_TEST_BATCH", "16")
    monkeypatch.delenv("VIDCORE_TEST_UNSET", raising=False)
    cfg_file = write(tmp_path / "cfg.yaml", """
        data: {root: /data/k400, sizes: [1, 2]}
        train: {root: "${data.root}", sizes: "${data.sizes}", first: "${data.sizes[0]}",
                file: "${data.root}/train_${data.sizes.1}.txt", batch: "${env:VIDCORE_TEST_BATCH}",
                workers: "${env:VIDCORE_TEST_UNSET,4}", tag: "${env:VIDCORE_TEST_UNSET,run}-x",
                literal: "cost $${not_a_ref}"}
        chained: "${train.first}"
        """)
    train = load_config(cfg_file)["train"]
    assert train == {"root": "/data/k400", "sizes": [1, 2], "first": 1, "file": "/data/k400/train_2.txt",
                     "batch": 16, "workers": 4, "tag": "run-x", "literal": "cost ${not_a_ref}"}
    assert load_config(cfg_file)["chained"] == 1


def test_reference_errors(tmp_path, monkeypatch):
    monkeypatch.delenv("VIDCORE_TEST_UNSET", raising=False)
    cases = {
        'a: "${b.c}"\nb: {}\n': r"cfg\.yaml: a: \$\{b\.c\} refers to 'b\.c', which is not in the config",
        'a: "${b}"\nb: "${a}"\n': r"circular reference: a -> b -> a|circular reference: b -> a -> b",
        'a: "${env:VIDCORE_TEST_UNSET}"\n': r"environment variable VIDCORE_TEST_UNSET is not set",
        'a: "x-${b}"\nb: [1]\n': r"only scalars can be embedded",
    }
    for text, pattern in cases.items():
        with pytest.raises(ConfigError, match=pattern):
            load_config(write(tmp_path / "cfg.yaml", text))


def test_cfg_options_override_with_yaml_types_and_list_indices(chain):
    cfg = load_config(chain, [
        "optim_wrapper.optimizer.lr=1e-3",
        "param_scheduler.0.step_size=7",
        "model.head[dropout]=null",
        "train_dataloader.dataset.pipeline=[{type: Resize, scale: [-1, 256]}]",
        "work_dir=runs/a b",
        "num_classes=5",
        "flag=true",
    ])
    assert cfg["optim_wrapper"]["optimizer"]["lr"] == 0.001
    assert cfg["param_scheduler"][0]["step_size"] == 7
    assert cfg["model"]["head"]["dropout"] is None
    assert cfg["train_dataloader"]["dataset"]["pipeline"] == [{"type": "Resize", "scale": [-1, 256]}]
    assert cfg["work_dir"] == "runs/a b" and cfg["flag"] is True
    assert cfg["model"]["head"]["num_classes"] == 5  # references resolve after overrides


def test_cfg_options_errors(chain):
    cases = {
        "model.depth": r"--cfg-options: 'model\.depth' is not of the form KEY=VALUE",
        "param_scheduler.3.gamma=1": r"index 3 is out of range for 'param_scheduler' \(1 items\)",
        "param_scheduler.gamma=1": r"'param_scheduler' is a list; use an index",
        "model.depth.x=1": r"'model\.depth' is a int, not a mapping or list",
        "model.depth=[1, 2": r"value is not valid YAML",
        "model..depth=1": r"empty component in key path",
    }
    for option, pattern in cases.items():
        with pytest.raises(ConfigError, match=pattern):
            load_config(chain, [option])


def test_dump_loads_back_identically(chain, tmp_path):
    cfg = load_config(chain, ["extra=[1, 2.5, 'x', null, {k: [true]}]"])
    out = tmp_path / "dumped.yaml"
    text = cfg.dump(out)
    assert yaml.safe_load(text) == cfg.to_dict()
    assert load_config(out).to_dict() == cfg.to_dict()
    assert "milestones" not in text or "[40, 80]" in text


def test_config_mapping_api(chain):
    cfg = Config.fromfile(chain)
    assert cfg.select("model.head.num_classes") == 10
    assert cfg.select("param_scheduler[0].type") == "StepLR"
    assert cfg.select("model.nothing", "default") == "default"
    copy = cfg.to_dict()
    copy["model"]["depth"] = 1
    assert cfg["model"]["depth"] == 50


def test_custom_imports_imports_exactly_what_is_named(tmp_path, monkeypatch):
    write(tmp_path / "my_components.py", "import vidcore\nIMPORTED = True\n")
    write(tmp_path / "not_named.py", "raise RuntimeError('must not be imported')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert import_custom_modules({"custom_imports": {"imports": ["my_components"]}}) == ["my_components"]
    assert "my_components" in sys.modules and "not_named" not in sys.modules
    with pytest.raises(ConfigError, match=r"custom_imports\.imports\[0\]: cannot import 'missing_mod_q'"):
        import_custom_modules({"custom_imports": {"imports": ["missing_mod_q"]}}, "cfg.yaml")
    with pytest.warns(UserWarning, match="missing_mod_q"):
        assert import_custom_modules({"custom_imports": {"imports": ["missing_mod_q"],
                                                         "allow_failed_imports": True}}) == []


def test_check_config_reports_every_problem_and_its_old_config_name_forwards(tmp_path, vidcore_registry):
    import vidcore.config
    from vidcore._deprecation import VidcoreDeprecationWarning
    from vidcore.runner import check_config

    with pytest.warns(VidcoreDeprecationWarning, match="vidcore.config.check_config .*vidcore.runner"):
        assert vidcore.config.check_config is check_config

    cfg = load_config(write(tmp_path / "cfg.yaml", """
        model: {type: NoSuchNet}
        optim_wrapper: {optimizer: {type: SDG, lr: 0.1}}
        """))
    errors, checked = check_config(cfg)
    assert checked == 4  # the model, the optim wrapper, its optimizer and the constructor that builds them
    messages = sorted(str(error) for error in errors)
    assert len(messages) == 2
    assert "model.type: unknown models type 'NoSuchNet'" in messages[0]
    assert "optim_wrapper.optimizer.type: unknown optimizers type 'SDG'; did you mean 'SGD'?" in messages[1]
