"""Configs built to exhaust time or memory (a YAML "billion laughs", huge integers, deep nesting, reference
bombs, oversized or endless files) are refused at once with one line naming the file and the limit (exit 2);
the CLI subprocess timeout is only a guard against the hang these cases used to cause."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from cli_cases import assert_kept, assert_user_error, snapshot, vidcore

GUARD_S = 120  # each of these took minutes and gigabytes (or overflowed the stack) before the limits


def billion_laughs() -> str:
    """350 bytes whose aliases expand to 9^9 (387 million) strings."""
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for name, previous in zip("bcdefghi", "abcdefgh"):
        lines.append(f"{name}: &{name} [{','.join(['*' + previous] * 9)}]")
    return "\n".join(lines) + "\n"


def reference_bomb() -> str:
    """The same explosion with `${...}` references, which copy the referenced value."""
    lines = ["r0: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]"]
    lines += [f"r{i}: [{', '.join([repr(f'${{r{i - 1}}}')] * 10)}]" for i in range(1, 12)]
    return "\n".join(lines) + "\n"


CASES = {
    # name: (file name, content, fragments of the error line after "vidcore: error: <tmp>/")
    "billion_laughs": ("bomb.yaml", billion_laughs(),
                       ["bomb.yaml:", "YAML aliases expand this document to more than 200000 values "
                                      "(the limit for a config)"]),
    "recursive_alias": ("loop.yaml", "a: &a [1, *a]\n",
                        ["loop.yaml:1:4: a YAML alias refers to the node that contains it"]),
    "integer_of_5000_digits": ("big.yaml", "randomness: {seed: " + "7" * 5000 + "}\n",
                               ["big.yaml:1:20: an integer of 5000 digits; the limit is 100"]),
    "json_integer_of_5000_digits": ("big.json", '{"seed": ' + "7" * 5000 + "}\n",
                                    ["big.json: an integer of 5000 digits; the limit is 100"]),
    "nesting_20000_deep": ("deep.yaml", "a: " + "[" * 20000 + "]" * 20000 + "\n",
                           ["deep.yaml:1:103: nested more than 100 levels deep (the limit for a config)"]),
    "json_nesting_20000_deep": ("deep.json", '{"a": ' + "[" * 20000 + "]" * 20000 + "}\n",
                                ["deep.json: nested more than 100 levels deep (the limit for a config)"]),
    "reference_bomb": ("refs.yaml", reference_bomb(),
                       ["refs.yaml: r4[5]: ${...} references expand the config to more than 200000 values"]),
    "file_over_1_mib": ("huge.yaml", "# padding\n" * 110_000,
                        ["huge.yaml: config file is larger than 1048576 bytes (1100000 bytes; "
                         "the limit for a config)"]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_config_beyond_a_limit_is_one_line(tmp_path: Path, case: str):
    name, text, fragments = CASES[case]
    (tmp_path / name).write_text(text)
    assert_user_error(vidcore("config", "show", name, cwd=tmp_path, timeout=GUARD_S), f"{tmp_path}/", *fragments)


def test_limits_apply_to_run_base_files_and_cfg_options(project: Path):
    """`vidcore run` refuses a bomb in a `_base_` file before touching the work dir; `config check` and
    `--cfg-options` values are read by the same bounded loader."""
    (project / "bomb.yaml").write_text(billion_laughs())
    (project / "child.yaml").write_text("_base_: [toy.yaml, bomb.yaml]\n")
    before = snapshot(project / "work_dir")
    result = vidcore("run", "child.yaml", "--work-dir", "work_dir", cwd=project, timeout=GUARD_S)
    assert_user_error(result, f"{project}/bomb.yaml:", "YAML aliases expand this document to more than 200000")
    assert_kept(project / "work_dir", before)

    result = vidcore("config", "check", "toy.yaml", "--cfg-options", "randomness.seed=" + "9" * 200,
                     cwd=project, timeout=GUARD_S)
    assert_user_error(result, "--cfg-options: 'randomness.seed=999", "an integer of 200 digits; the limit is 100")


def test_device_or_pipe_is_not_a_regular_file(tmp_path: Path):
    """`/dev/zero` never ends and a FIFO blocks its reader: both are refused before being opened, and not
    reported as missing."""
    (tmp_path / "child.yaml").write_text("_base_: /dev/zero\n")
    result = vidcore("config", "show", "child.yaml", cwd=tmp_path, timeout=GUARD_S)
    assert_user_error(result, f"{tmp_path}/child.yaml: _base_: base config is not a regular file "
                              "(a character device): /dev/zero")
    result = vidcore("config", "check", "/dev/zero", cwd=tmp_path, timeout=GUARD_S)
    assert_user_error(result, "/dev/zero: config file is not a regular file (a character device)")
    os.mkfifo(tmp_path / "fifo.yaml")
    result = vidcore("config", "show", "fifo.yaml", cwd=tmp_path, timeout=GUARD_S)
    assert_user_error(result, "fifo.yaml: config file is not a regular file (a pipe)")
