"""Bad configs and command lines: each is one clear line naming the file and key (exit 2), and the work dir
of the previous run is left as it was."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_cases import assert_kept, assert_user_error, snapshot, vidcore

CASES = {
    # name: (config text, expected fragments of the error line after "vidcore: error: <project>/")
    "yaml_syntax_error": ("_base_: toy.yaml\nmodel: {type: ToyModel\ntrain_cfg: 1\n",
                          ["bad.yaml:3:10: YAML syntax error: expected ',' or '}', but got ':'"]),
    "unknown_component_type": ("_base_: toy.yaml\nmodel: {type: SlowFastRecognizer}\n",
                               ["bad.yaml: model.type: unknown models type 'SlowFastRecognizer'"]),
    "typo_in_type_name": ("_base_: toy.yaml\nmodel: {type: ToyModle}\n",
                          ["bad.yaml: model.type: unknown models type 'ToyModle'; did you mean 'ToyModel'"]),
    "unknown_argument": ("_base_: toy.yaml\nmodel: {type: ToyModel, hiden: 8}\n",
                         ["bad.yaml: model.hiden: ToyModel got an unexpected argument 'hiden'; did you mean "
                          "'hidden'? (accepted: dim, hidden, dropout)"]),
    "missing_argument": ("_base_: toy.yaml\ncustom_hooks: [{type: PoisonLossHook}]\n",
                         ["bad.yaml: custom_hooks[0]: PoisonLossHook is missing required argument 'iterations'"]),
    "mistyped_argument": ("_base_: toy.yaml\nmodel: {type: ToyModel, hidden: eight}\n",
                          ["bad.yaml: model.hidden: ToyModel argument 'hidden' expects int, got str 'eight'"]),
    "circular_base": ("_base_: loop_b.yaml\n", ["bad.yaml: circular _base_: ", "bad.yaml -> ", "loop_b.yaml -> ",
                                                "bad.yaml"]),
    "missing_base_file": ("_base_: [toy.yaml, schedules/missing.yaml]\n",
                          ["bad.yaml: _base_: base config not found: ", "schedules/missing.yaml"]),
    "empty_config": ("", ["bad.yaml: model: missing"]),
    "bad_dataloader_key": ("_base_: toy.yaml\ntrain_dataloader: {batch_sizes: 4}\n",
                           ["bad.yaml: train_dataloader.batch_sizes: unknown DataLoader key; did you mean "
                            "'batch_size'?"]),
    "mmaction2_key": ("_base_: toy.yaml\ntotal_epochs: 7\n",
                      ["bad.yaml: total_epochs: 'total_epochs' is an mmaction2 key that vidcore does not read; use "
                       "train_cfg.max_epochs; `vidcore migrate CONFIG.py` converts a whole mmaction2 config"]),
    "batch_size_not_a_number": ("_base_: toy.yaml\ntrain_dataloader: {batch_size: abc}\n",
                                ["bad.yaml: train_dataloader.batch_size: expected a positive integer (at most "
                                 "16777216), got str 'abc'"]),
    "negative_num_workers": ("_base_: toy.yaml\nval_dataloader: {num_workers: -1}\n",
                             ["bad.yaml: val_dataloader.num_workers: expected an integer >= 0, got int -1"]),
    "clip_grad_not_a_number": ("_base_: toy.yaml\noptim_wrapper: {clip_grad: {max_norm: big}}\n",
                               ["bad.yaml: optim_wrapper.clip_grad.max_norm (OptimWrapper): must be a positive "
                                "number, got str 'big'"]),
}


@pytest.fixture
def bad_config(project: Path):
    def write(text: str) -> Path:
        (project / "loop_b.yaml").write_text("_base_: bad.yaml\n")
        (project / "bad.yaml").write_text(text)
        return project / "bad.yaml"
    return write


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_config(project: Path, bad_config, case: str):
    text, fragments = CASES[case]
    bad_config(text)
    before = snapshot(project / "work_dir")
    result = vidcore("run", "bad.yaml", "--work-dir", "work_dir", cwd=project)
    line = assert_user_error(result, *fragments)
    assert f"{project}/bad.yaml" in line or line.startswith(f"vidcore: error: {project}")
    assert_kept(project / "work_dir", before)
    assert {path.name for path in (project / "work_dir").iterdir() if path.name != ".vidcore.lock"} == \
        {Path(name).parts[0] for name in before}, \
        "a run that fails on its config must not even create a log dir"


@pytest.mark.parametrize("option, fragment", [
    ("model.type", "--cfg-options: 'model.type' is not of the form KEY=VALUE (e.g. optim_wrapper.optimizer.lr=0.01)"),
    ("model=[1", "--cfg-options: 'model=[1': value is not valid YAML: expected ',' or ']', but got '<stream end>'"),
    ("default_hooks..logger=1", "--cfg-options: 'default_hooks..logger=1'"),
    ("custom_hooks=[]\0custom_hooks.3.type=X", "--cfg-options: 'custom_hooks.3.type=X': index 3 is out of range for "
                                                "'custom_hooks' (0 items)"),
    ("train_dataloader.sampler.9=1", "--cfg-options: train_dataloader.sampler[9]: DefaultSampler got an unexpected "
                                     "argument '9'"),
], ids=["no_equals", "bad_yaml_value", "empty_key", "list_index_out_of_range", "index_into_a_mapping"])
def test_bad_cfg_options(project: Path, option: str, fragment: str):
    before = snapshot(project / "work_dir")
    result = vidcore("run", "toy.yaml", "--work-dir", "work_dir", "--cfg-options", *option.split("\0"), cwd=project)
    assert_user_error(result, fragment)
    assert_kept(project / "work_dir", before)


def test_missing_config_file(project: Path):
    assert_user_error(vidcore("run", "nope.yaml", cwd=project), "nope.yaml: config file not found")


def test_debug_shows_the_traceback(project: Path, bad_config):
    bad_config(CASES["typo_in_type_name"][0])
    result = vidcore("--debug", "run", "bad.yaml", "--work-dir", "work_dir", cwd=project)
    assert result.returncode == 2
    assert "Traceback (most recent call last)" in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("vidcore: error: ")
