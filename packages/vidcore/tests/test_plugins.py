"""The plugin mechanism as users meet it: real (throwaway) distributions, pip-installed, seen by `vidcore`.

Four distributions are installed once into a `--target` folder and every command runs with
`PYTHONPATH=<that folder>`: vidcore-acme (a good plugin implementing every hook), vidcore-rival (registers a
name acme registers too), vidcore-broken (its plugin module raises on import) and vidcore-faulty (each of
its hooks raises). VIDCORE_PLUGINS names them, so the first-party plugins installed beside them stay out.
Two more are installed beside them and loaded only by the tests that name them: vidcore-chatty (prints to
stdout on import and in its hooks) and vidcore-interrupting (its register hook raises KeyboardInterrupt).
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pluggy
import pytest
from vidcore._deprecation import removal_version
from vidcore.plugins import PROJECT_NAME, VidcoreDeprecationWarning, deprecation, hookimpl, hookspec, warn_deprecated
from vidcore_testing import CliResult, pip_install, run_python, run_vidcore, write_distribution

THROWAWAY = ("vidcore-acme", "vidcore-rival", "vidcore-broken", "vidcore-faulty")
MISBEHAVING = ("vidcore-chatty", "vidcore-interrupting")

ACME = {
    "vidcore_acme/plugin.py": '''
        import os
        from pathlib import Path

        from vidcore import ConfigError, hookimpl

        if os.environ.get("ACME_IMPORT_MARKER"):  # lets a test see whether this module was ever imported
            Path(os.environ["ACME_IMPORT_MARKER"]).write_text("imported")


        @hookimpl
        def vidcore_register(registry):
            registry.register_many("models", {"AcmeNet": "vidcore_acme.models:AcmeNet",
                                              "Shared": "vidcore_acme.models:Shared"})


        @hookimpl
        def vidcore_add_commands(subparsers):
            parser = subparsers.add_parser("acme-hello", help="say hello from vidcore-acme")
            parser.set_defaults(handler=lambda args: print("hello from vidcore-acme"))


        @hookimpl
        def vidcore_configure(cfg):
            level = cfg.get("acme", {}).get("level", 1)
            if not isinstance(level, int):
                raise ConfigError(f"acme.level: expected an integer, got {level!r}")
    ''',
    "vidcore_acme/models.py": '''
        class AcmeNet:
            def __init__(self, depth: int, width: int = 8):
                self.depth, self.width = depth, width


        class Shared:
            pass
    ''',
}

RIVAL = {
    "vidcore_rival/plugin.py": '''
        from vidcore import hookimpl


        @hookimpl
        def vidcore_register(registry):
            registry.register("models", "Shared", "vidcore_rival.models:Shared")
    ''',
    "vidcore_rival/models.py": '''
        class Shared:
            pass
    ''',
}

BROKEN = {
    "vidcore_broken/plugin.py": '''
        raise ImportError("libbroken.so.3: cannot open shared object file")
    ''',
}

FAULTY = {
    "vidcore_faulty/plugin.py": '''
        from vidcore import hookimpl


        @hookimpl
        def vidcore_register(registry):
            raise RuntimeError("boom in register")


        @hookimpl
        def vidcore_add_commands(subparsers):
            raise RuntimeError("boom in add_commands")


        @hookimpl
        def vidcore_configure(cfg):
            raise KeyError("boom in configure")
    ''',
}

CHATTY = {
    "vidcore_chatty/plugin.py": '''
        from vidcore import hookimpl

        print("chatty: imported")


        @hookimpl
        def vidcore_register(registry):
            print("chatty: registering")


        @hookimpl
        def vidcore_add_commands(subparsers):
            print("chatty: adding commands")


        @hookimpl
        def vidcore_configure(cfg):
            print("chatty: configuring")
    ''',
}

INTERRUPTING = {
    "vidcore_interrupting/plugin.py": '''
        import os
        import time
        from pathlib import Path

        from vidcore import hookimpl


        @hookimpl
        def vidcore_register(registry):
            marker = os.environ.get("INTERRUPTING_SLOW_MARKER")
            if marker:  # a slow hook, to be interrupted by the user's Ctrl-C
                Path(marker).write_text("in the hook")
                time.sleep(60)
            raise KeyboardInterrupt("raised by the plugin itself")
    ''',
}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The throwaway distributions, installed with one pip call."""
    root = tmp_path_factory.mktemp("throwaway")
    projects = [write_distribution(root / "projects", name, files, entry_point=f"{name.replace('-', '_')}.plugin")
                for name, files in zip(THROWAWAY + MISBEHAVING, (ACME, RIVAL, BROKEN, FAULTY, CHATTY, INTERRUPTING))]
    return pip_install(projects, root / "site")


def throwaway_env(allow: tuple[str, ...] = THROWAWAY, **env: str | None) -> dict[str, str | None]:
    """Only the `allow`ed plugins load (VIDCORE_PLUGINS); nothing is blocked unless `env` says so."""
    return {"VIDCORE_PLUGINS": ",".join(allow), "VIDCORE_DISABLE_PLUGINS": None, **env}


def vidcore(site: Path, *args: object, allow: tuple[str, ...] = THROWAWAY, **env: str | None) -> CliResult:
    """`vidcore ARGS` with the throwaway distributions importable."""
    return run_vidcore(*args, pythonpath=[site], env=throwaway_env(allow, **env), cwd=site.parent)


def python(site: Path, code: str) -> CliResult:
    """Python code (not the CLI) with the throwaway distributions importable."""
    return run_python(code, pythonpath=[site], env=throwaway_env(), cwd=site.parent)


def plugin_records(result: CliResult) -> dict[str, dict]:
    assert result.returncode == 0, result.stderr
    return {record["distribution"]: record for record in json.loads(result.stdout)}


def write_config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "cfg.yaml"
    path.write_text(textwrap.dedent(text))
    return path


# --- failures are isolated and reported ---------------------------------------------------------------

def test_broken_plugin_is_reported_and_the_host_keeps_working(site, tmp_path):
    listing = vidcore(site, "plugins")
    assert listing.returncode == 0, listing.stderr
    assert "vidcore-broken 0.1.0  [failed]" in listing.stdout
    assert "error: ImportError: libbroken.so.3: cannot open shared object file" in listing.stdout
    assert "vidcore-acme 0.1.0  [loaded]  2 models" in listing.stdout

    records = plugin_records(vidcore(site, "plugins", "--json"))
    broken = records["vidcore-broken"]
    assert (broken["status"], broken["version"], broken["module"]) == ("failed", "0.1.0", "vidcore_broken.plugin")
    assert broken["error"] == "ImportError: libbroken.so.3: cannot open shared object file"

    cfg = write_config(tmp_path, "model: {type: AcmeNet, depth: 3}\n")
    check = vidcore(site, "config", "check", cfg)
    assert check.returncode == 0, check.stderr
    assert "OK, 1 components checked" in check.stdout
    assert ("vidcore: warning: plugin vidcore-broken 0.1.0 (vidcore_broken.plugin): ImportError: libbroken.so.3: "
            "cannot open shared object file\n") in check.stderr  # the config may need what it would register


def test_strict_plugins_makes_a_failure_fatal(site):
    result = vidcore(site, "--strict-plugins", "plugins")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("vidcore: error: plugins failed to load: ")
    assert "vidcore-broken 0.1.0 (vidcore_broken.plugin): ImportError: libbroken.so.3" in result.stderr

    healthy = vidcore(site, "--strict-plugins", "plugins", allow=("vidcore-acme", "vidcore-rival"))
    assert healthy.returncode == 0, healthy.stderr


def test_hooks_that_raise_are_isolated(site, tmp_path):
    help_text = vidcore(site, "--help")
    assert help_text.returncode == 0, help_text.stderr
    assert "config" in help_text.stdout and "acme-hello" in help_text.stdout

    faulty = plugin_records(vidcore(site, "plugins", "--json"))["vidcore-faulty"]
    assert faulty["hook_errors"] == {"vidcore_add_commands": "RuntimeError: boom in add_commands",
                                     "vidcore_register": "RuntimeError: boom in register"}

    # The config that needs a component of the failed plugin fails, with the cause; others still work.
    cfg = write_config(tmp_path, "model: {type: FaultyNet}\n")
    missing = vidcore(site, "config", "check", cfg)
    assert missing.returncode == 2
    assert "unknown models type 'FaultyNet'" in missing.stderr
    assert "plugins that failed to load: " in missing.stderr
    assert "vidcore-faulty 0.1.0 (vidcore_faulty.plugin): " in missing.stderr
    assert "vidcore_register raised RuntimeError: boom in register" in missing.stderr

    # vidcore_configure raising a non-vidcore error is a plugin bug: warned about, the config goes on.
    good = vidcore(site, "config", "check", write_config(tmp_path, "model: {type: AcmeNet, depth: 3}\n"))
    assert good.returncode == 0, good.stderr
    warning = next(line for line in good.stderr.splitlines()
                   if line.startswith("vidcore: warning: plugin") and "vidcore_configure" in line)
    assert "vidcore-faulty 0.1.0 (vidcore_faulty.plugin): " in warning
    assert "vidcore_configure raised KeyError: 'boom in configure'" in warning



def test_a_hook_raising_keyboard_interrupt_is_a_plugin_failure(site, tmp_path):
    """A KeyboardInterrupt the plugin raises itself is recorded like any other failure; the command goes on."""
    allow = ("vidcore-acme", "vidcore-interrupting")
    records = plugin_records(vidcore(site, "plugins", "--json", allow=allow))
    assert records["vidcore-interrupting"]["hook_errors"] == {
        "vidcore_register": "KeyboardInterrupt: raised by the plugin itself"}
    check = vidcore(site, "config", "check", write_config(tmp_path, "model: {type: AcmeNet, depth: 3}\n"), allow=allow)
    assert check.returncode == 0, check.stderr
    assert "vidcore_register raised KeyboardInterrupt: raised by the plugin itself" in check.stderr


def test_ctrl_c_during_a_plugin_hook_still_stops_the_command(site, tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    marker = tmp_path / "in-the-hook"
    env = {**os.environ, **throwaway_env(("vidcore-interrupting",)), "PYTHONPATH": str(site),
           "INTERRUPTING_SLOW_MARKER": str(marker)}
    env = {key: value for key, value in env.items() if value is not None}
    process = subprocess.Popen([sys.executable, "-m", "vidcore", "plugins"], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not marker.exists() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert marker.exists(), process.communicate()
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 130, stderr
    assert stderr.strip() == "vidcore: interrupted"


def test_plugin_output_never_mixes_into_command_output(site, tmp_path):
    """What plugins print goes to stderr: `plugins --json` stays JSON and `config show` stays YAML."""
    import yaml

    allow = ("vidcore-acme", "vidcore-chatty")
    result = vidcore(site, "plugins", "--json", allow=allow)
    assert plugin_records(result)["vidcore-chatty"]["status"] == "loaded"
    assert all(f"chatty: {what}" in result.stderr for what in ("imported", "registering", "adding commands"))
    shown = vidcore(site, "config", "show", write_config(tmp_path, "model: {type: AcmeNet, depth: 3}\n"),
                    allow=allow)
    assert shown.returncode == 0, shown.stderr
    assert yaml.safe_load(shown.stdout) == {"model": {"type": "AcmeNet", "depth": 3}}


def test_a_typo_in_the_plugin_lists_is_a_warning_with_the_closest_name(site, tmp_path):
    result = vidcore(site, "plugins", allow=("vidcore-acme", "vidcore-acmee"),
                     VIDCORE_DISABLE_PLUGINS="vidcore-rivall")
    assert result.returncode == 0, result.stderr
    assert ("vidcore: warning: VIDCORE_PLUGINS names 'vidcore-acmee', which is not an installed vidcore plugin; "
            "did you mean 'vidcore-acme'? (installed: ") in result.stderr
    assert "VIDCORE_DISABLE_PLUGINS names 'vidcore-rivall', which is not an installed vidcore plugin; did you " \
           "mean 'vidcore-rival'?" in result.stderr
    # A component of an installed distribution the list leaves out (vidcore-video names the family's
    # components): no `pip install` advice.
    check = vidcore(site, "config", "check", write_config(tmp_path, "model: {type: Recognizer2D}\n"),
                    allow=("vidcore-acme", "vidcore-video"))
    assert check.returncode == 2
    assert ("unknown models type 'Recognizer2D'; it is provided by vidcore-tsn, which is installed but left out by "
            "VIDCORE_PLUGINS=vidcore-acme,vidcore-video; add it to VIDCORE_PLUGINS") in check.stderr
    assert "pip install" not in check.stderr


# --- choosing which plugins load ------------------------------------------------------------------------

def test_allow_list_loads_only_the_named_distributions(site):
    records = plugin_records(vidcore(site, "plugins", "--json", allow=("vidcore-acme",)))
    assert records["vidcore-acme"]["status"] == "loaded"
    assert {records[name]["status"] for name in THROWAWAY[1:]} == {"disabled"}
    assert all(record["error"] is None for record in records.values())

    core_only = plugin_records(vidcore(site, "plugins", "--json", allow=()))
    assert core_only["vidcore"]["status"] == "loaded"
    assert {record["status"] for name, record in core_only.items() if name != "vidcore"} == {"disabled"}


def test_block_list_never_imports_the_plugin_module(site, tmp_path):
    marker = tmp_path / "acme-imported"
    listed = plugin_records(vidcore(site, "plugins", "--json", ACME_IMPORT_MARKER=str(marker)))
    assert listed["vidcore-acme"]["status"] == "loaded" and marker.read_text() == "imported"

    marker.unlink()
    blocked = plugin_records(vidcore(site, "plugins", "--json", ACME_IMPORT_MARKER=str(marker),
                                     VIDCORE_DISABLE_PLUGINS="vidcore-acme, vidcore_broken"))
    assert (blocked["vidcore-acme"]["status"], blocked["vidcore-broken"]["status"]) == ("disabled", "disabled")
    assert not marker.exists()


# --- names -------------------------------------------------------------------------------------------------

def test_collision_names_both_distributions_and_dist_prefix_picks_one(site, tmp_path):
    ambiguous = vidcore(site, "config", "check", write_config(tmp_path, "model: {type: Shared}\n"))
    assert ambiguous.returncode == 2
    message = ambiguous.stderr.strip()
    assert "model.type: models 'Shared' is registered by both vidcore-" in message and "to pick one" in message
    assert all(name in message for name in ("vidcore-acme", "vidcore-rival", "'vidcore-acme::Shared'",
                                            "'vidcore-rival::Shared'"))

    picked = vidcore(site, "config", "check", write_config(tmp_path, "model: {type: 'vidcore-rival::Shared'}\n"))
    assert picked.returncode == 0, picked.stderr
    built = python(site, """
        from vidcore.plugins import default_registry
        print(type(default_registry().build({"type": "vidcore-rival::Shared"}, "models")).__module__)
    """)
    assert built.stdout.strip() == "vidcore_rival.models", built.stderr


def test_third_party_component_is_built_from_yaml(site, tmp_path):
    cfg = write_config(tmp_path, "model: {type: AcmeNet, depth: 3}\n")
    built = python(site, f"""
        from vidcore.config import load_config
        from vidcore.plugins import default_registry
        model = default_registry().build(load_config({str(cfg)!r})["model"], "models")
        print(type(model).__module__, model.depth, model.width)
    """)
    assert built.stdout.strip() == "vidcore_acme.models 3 8", built.stderr

    typo = vidcore(site, "config", "check", write_config(tmp_path, "model: {type: AcmeNet, dept: 3}\n"))
    assert typo.returncode == 2
    assert "model.dept: AcmeNet got an unexpected argument 'dept'; did you mean 'depth'?" in typo.stderr


def test_isolated_registry_holds_exactly_the_requested_plugins(site):
    result = python(site, """
        from vidcore.errors import PluginError
        from vidcore_testing import isolated_registry

        registry = isolated_registry(["vidcore-acme"])
        entry = registry.lookup("models", "AcmeNet")
        assert (entry.dist, entry.loaded) == ("vidcore-acme", False), entry
        assert registry.lookup("models", "Shared").dist == "vidcore-acme"  # vidcore-rival is not loaded
        try:
            isolated_registry(["vidcore-broken"])
        except PluginError as error:
            print(error)
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("requested plugin failed: vidcore-broken 0.1.0 (vidcore_broken.plugin): "
                                    "ImportError: libbroken.so.3")


# --- the other hooks --------------------------------------------------------------------------------------

def test_plugin_subcommand_runs(site):
    result = vidcore(site, "acme-hello")
    assert (result.returncode, result.stdout) == (0, "hello from vidcore-acme\n"), result.stderr


def test_configure_hook_errors_reach_the_user(site, tmp_path):
    result = vidcore(site, "config", "check", write_config(tmp_path, """
        model: {type: AcmeNet, depth: 3}
        acme: {level: high}
    """))
    assert result.returncode == 2
    assert "acme.level: expected an integer, got 'high'" in result.stderr and "Traceback" not in result.stderr


# --- listing without importing ----------------------------------------------------------------------------

def test_plugins_verbose_lists_hooks_and_lazy_components(site):
    result = vidcore(site, "plugins", "--verbose")
    assert result.returncode == 0, result.stderr
    acme = result.stdout.split("vidcore-acme 0.1.0")[1].split("\nvidcore-")[0]
    assert "module: vidcore_acme.plugin" in acme
    assert "hooks: vidcore_add_commands, vidcore_configure, vidcore_register" in acme
    component = next(line.split() for line in acme.splitlines() if " AcmeNet " in line)
    assert component == ["models", "AcmeNet", "lazy", "vidcore_acme.models:AcmeNet"]


def test_help_and_plugins_import_neither_torch_nor_lazy_components(site):
    result = python(site, """
        import sys
        from vidcore.cli._main import main
        for argv in (["--help"], ["plugins", "--verbose"]):
            try:
                main(argv)
            except SystemExit:
                pass
        assert "vidcore_acme.plugin" in sys.modules, "the plugin module itself is loaded"
        imported = [name for name in ("torch", "vidcore_acme.models", "vidcore_rival.models") if name in sys.modules]
        assert not imported, imported
    """)
    assert result.returncode == 0, result.stderr


# --- deprecations (the compatibility policy) --------------------------------------------------------------

def test_deprecated_hook_and_argument_warn_the_implementing_plugin():
    class Specs:
        @hookspec(warn_on_impl=deprecation("vidcore_old_hook", since="0.1", instead="implement vidcore_new_hook"))
        def vidcore_old_hook(self, registry):
            """Deprecated."""

        @hookspec(warn_on_impl_args={"cfg": deprecation("vidcore_tune(cfg)", since="0.1", instead="take `config`")})
        def vidcore_tune(self, cfg, config):
            """Gained `config`; `cfg` is deprecated."""

    class Plugin:
        @hookimpl
        def vidcore_old_hook(self, registry):
            pass

        @hookimpl
        def vidcore_tune(self, cfg):
            pass

    manager = pluggy.PluginManager(PROJECT_NAME)
    manager.add_hookspecs(Specs)
    with pytest.warns(VidcoreDeprecationWarning) as record:
        manager.register(Plugin())
    assert sorted(str(warning.message) for warning in record) == [
        "vidcore_old_hook is deprecated since vidcore 0.1 and will be removed in vidcore 0.2; "
        "implement vidcore_new_hook",
        "vidcore_tune(cfg) is deprecated since vidcore 0.1 and will be removed in vidcore 0.2; take `config`",
    ]


def test_warn_deprecated_points_at_the_caller():
    def old_api():
        warn_deprecated("old_api()", since="0.3", instead="use new_api()")

    with pytest.warns(VidcoreDeprecationWarning, match=r"removed in vidcore 0\.4; use new_api\(\)") as record:
        old_api()
    assert record[0].filename == __file__ and record[0].message.removed_in == "0.4"


def test_removal_is_the_next_minor_release():
    assert [removal_version(v) for v in ("0.1", "0.9.3", "1.12.0rc1")] == ["0.2", "0.10", "1.13"]
    with pytest.raises(ValueError, match="expected a version"):
        removal_version("next")
