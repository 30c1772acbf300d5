"""`vidcore --help` from the stored text: the same output as building the parser, without loading a plugin,
and a new text as soon as what is installed changes (vidcore.cli._help_cache); where that text is kept
(vidcore.cache_dir)."""

from __future__ import annotations

from pathlib import Path

import pytest
from vidcore_testing import CliResult, pip_install, run_python, run_vidcore, write_distribution

HELLO = {
    "vidcore_hello/plugin.py": '''
        from vidcore import hookimpl


        @hookimpl
        def vidcore_add_commands(subparsers):
            parser = subparsers.add_parser("hello", help="say hello from vidcore-hello")
            parser.set_defaults(handler=lambda args: print("hello"))
    ''',
}

BROKEN = {"vidcore_broken/plugin.py": 'raise ImportError("libbroken.so.3: cannot open shared object file")\n'}

# Runs the CLI's main() in-process, then reports whether pluggy or a plugin module was imported.
MAIN_THEN_REPORT = """
    import sys
    from vidcore.cli._main import main
    status = main({argv!r})
    loaded = sorted(name for name in sys.modules if name == "pluggy" or name.startswith("vidcore_hello"))
    print("@@", status, loaded)
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("help_cache")
    projects = [write_distribution(root / "projects", name, files, entry_point=f"{name.replace('-', '_')}.plugin")
                for name, files in (("vidcore-hello", HELLO), ("vidcore-broken", BROKEN))]
    return pip_install(projects, root / "site")


def help_run(cache: Path, *args: str, site: Path | None = None, allow: str = "vidcore-hello") -> CliResult:
    return run_vidcore(*args, pythonpath=[site] if site else [],
                       env={"VIDCORE_CACHE_DIR": str(cache), "VIDCORE_PLUGINS": allow, "COLUMNS": "100"})


def stored_files(cache: Path) -> list[Path]:
    return sorted((cache / "cli").glob("help-*.txt")) if (cache / "cli").is_dir() else []


def test_the_stored_help_is_identical_and_loads_no_plugin(site, tmp_path):
    first = help_run(tmp_path, "--help", site=site)
    assert first.returncode == 0, first.stderr
    assert "hello" in first.stdout and "say hello from vidcore-hello" in first.stdout
    assert len(stored_files(tmp_path)) == 1
    for args in (["--help"], ["-h"], []):
        again = help_run(tmp_path, *args, site=site)
        assert (again.returncode, again.stdout) == (0, first.stdout), again.stderr
    env = {"VIDCORE_CACHE_DIR": str(tmp_path), "VIDCORE_PLUGINS": "vidcore-hello", "COLUMNS": "100"}
    cached = run_python(MAIN_THEN_REPORT.format(argv=["--help"]), pythonpath=[site], env=env)
    assert cached.returncode == 0, cached.stderr
    assert cached.stdout.split("@@")[0] == first.stdout
    assert cached.stdout.split("@@")[1].split() == ["0", "[]"], "the stored text needs neither pluggy nor the plugin"
    # Any other command loads the plugins as before.
    assert help_run(tmp_path, "hello", site=site).stdout == "hello\n"


def test_installing_or_removing_a_plugin_changes_the_help(site, tmp_path):
    without = help_run(tmp_path, "--help")
    with_plugin = help_run(tmp_path, "--help", site=site)
    assert "say hello from vidcore-hello" not in without.stdout
    assert "say hello from vidcore-hello" in with_plugin.stdout
    assert help_run(tmp_path, "--help").stdout == without.stdout
    narrower = run_vidcore("--help", pythonpath=[site], env={"VIDCORE_CACHE_DIR": str(tmp_path),
                                                             "VIDCORE_PLUGINS": "vidcore-hello", "COLUMNS": "60"})
    assert max(len(line) for line in narrower.stdout.splitlines()) <= 60 < max(
        len(line) for line in with_plugin.stdout.splitlines())
    assert len(stored_files(tmp_path)) == 3


def test_a_run_with_a_failed_plugin_stores_nothing(site, tmp_path):
    result = help_run(tmp_path, "--help", site=site, allow="vidcore-hello,vidcore-broken")
    assert result.returncode == 0 and "say hello from vidcore-hello" in result.stdout
    assert stored_files(tmp_path) == []


def test_a_damaged_or_foreign_stored_text_is_not_used(site, tmp_path):
    good = help_run(tmp_path, "--help", site=site)
    [stored] = stored_files(tmp_path)
    stored.write_bytes(b"some other key\nusage: not vidcore's help\n")
    assert help_run(tmp_path, "--help", site=site).stdout == good.stdout
    stored.write_bytes(b"\xff\xfe garbage")
    assert help_run(tmp_path, "--help", site=site).stdout == good.stdout


def test_an_unwritable_cache_folder_is_not_an_error(site, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    result = help_run(blocker / "cache", "--help", site=site)
    assert result.returncode == 0 and "say hello from vidcore-hello" in result.stdout and not result.stderr


def test_cache_dir_prefers_vidcore_then_xdg_then_home(tmp_path, monkeypatch):
    from vidcore import cache_dir

    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.delenv("VIDCORE_CACHE_DIR", raising=False)
    assert cache_dir() == str(tmp_path / "home" / ".cache" / "vidcore")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == str(tmp_path / "xdg" / "vidcore")
    monkeypatch.setenv("VIDCORE_CACHE_DIR", "~/mine")
    assert cache_dir() == str(tmp_path / "home" / "mine")
