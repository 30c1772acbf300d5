"""docs/api.md is the public API. Each module it lists exports exactly the names it lists (`__all__`), and each
of those names resolves. First-party plugins are written as a third party would write them: every import of
vidcore is a name that docs/api.md lists under the module it is imported from, and every import of another
vidcore plugin is a name of that plugin package's `__all__` (never a submodule). The sources are parsed
(ast), function-level imports included; the plugin that `vidcore new-plugin` writes is checked too."""

from __future__ import annotations

import ast
import importlib
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
API_DOC = REPO / "docs" / "api.md"


def documented_api(text: str) -> dict[str, set[str]]:
    """{module: names} from the `## `module`` sections and their `| `name` | ... |` rows."""
    api: dict[str, set[str]] = {}
    module = None
    for line in text.splitlines():
        heading = re.fullmatch(r"## `([\w.]+)`", line.strip())
        if heading:
            module = heading.group(1)
            api[module] = set()
        elif line.startswith("## "):
            module = None
        elif module:
            row = re.match(r"\| `(\w+)` \|", line)
            if row:
                api[module].add(row.group(1))
    return api


def test_the_api_page_lists_the_core_packages():
    api = documented_api(API_DOC.read_text(encoding="utf-8"))
    assert {"vidcore", "vidcore.config", "vidcore.registry", "vidcore.plugins", "vidcore.hooks", "vidcore.runner",
            "vidcore.model", "vidcore.optim", "vidcore.evaluation", "vidcore.visualization"} <= set(api)
    assert all(api.values()), [module for module, names in api.items() if not names]


def test_each_documented_module_exports_exactly_its_documented_names():
    problems = []
    for module_name, names in documented_api(API_DOC.read_text(encoding="utf-8")).items():
        module = importlib.import_module(module_name)
        exported = set(module.__all__)
        if exported - names:
            problems.append(f"{module_name}.__all__ has undocumented {sorted(exported - names)}")
        if names - exported:
            problems.append(f"docs/api.md lists {sorted(names - exported)} missing from {module_name}.__all__")
        problems += [f"{module_name}.{name} does not resolve" for name in names if not hasattr(module, name)]
    assert problems == []


CORE = REPO / "packages" / "vidcore" / "src" / "vidcore"
# modules that are neither listed nor private: the CLI's command package and the forwarding modules of names
# that moved out of the core (they warn, see docs/api.md)
NOT_LISTED = {"vidcore.__main__", "vidcore.cli", "vidcore.cli.commands", "vidcore.testing", "vidcore.plotting"}


def core_module_names() -> dict[str, Path]:
    modules = {}
    for path in sorted(CORE.rglob("*.py")):
        parts = path.relative_to(CORE.parent).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def test_every_core_module_is_listed_or_private():
    """A module the page does not list is `_`-prefixed (or inside such a module's package) and has no `__all__`,
    so that a reader sees from its name alone that it may change."""
    listed = set(documented_api(API_DOC.read_text(encoding="utf-8")))
    problems = []
    for name, path in core_module_names().items():
        private = any(part.startswith("_") and part not in {"__init__", "__main__"} for part in name.split("."))
        has_all = any(isinstance(target, ast.Name) and target.id == "__all__"
                      for node in ast.parse(path.read_text(encoding="utf-8")).body
                      if isinstance(node, (ast.Assign, ast.AnnAssign))
                      for target in (node.targets if isinstance(node, ast.Assign) else [node.target]))
        if name in listed and not has_all:
            problems.append(f"{name} is public but has no __all__")
        elif name not in listed and name not in NOT_LISTED and not private:
            problems.append(f"{name} is neither on docs/api.md nor private (_-prefixed)")
        elif private and has_all:
            problems.append(f"{name} is private but has an __all__")
    assert problems == []


def test_an_old_module_path_still_imports_with_a_deprecation_warning():
    code = ("import warnings; warnings.simplefilter('error')\n"
            "try:\n    from vidcore.registry.builder import build\n"
            "except DeprecationWarning as warning: print(warning)\n"
            "warnings.simplefilter('ignore')\n"
            "import vidcore.registry.builder as old, vidcore.registry._builder as new\n"
            "print(old is new, old.__spec__.name)\n"
            "try:\n    import vidcore.registry.nowhere\nexcept ModuleNotFoundError as error: print(error)\n")
    lines = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.splitlines()
    assert lines[0].startswith("the module vidcore.registry.builder is deprecated since vidcore 0.1")
    assert "vidcore.registry._builder" in lines[0]
    assert lines[1:] == ["True vidcore.registry._builder", "No module named 'vidcore.registry.nowhere'"]


def test_the_parser_sees_a_missing_name():
    page = "## `vidcore.errors`\n\n| name | what |\n|---|---|\n| `ConfigError` | x |\n## Other\n| `X` | y |\n"
    api = documented_api(page)
    assert api == {"vidcore.errors": {"ConfigError"}}


def plugin_sources(scaffold_dir: Path) -> dict[str, list[Path]]:
    """{package name: its source files} for every distribution built on the core, and for the plugin that
    `vidcore new-plugin` writes (rendered into `scaffold_dir`)."""
    from vidcore_testing.scaffold import render_plugin

    names, folder, _ = render_plugin("import-probe", scaffold_dir / "plugin")
    sources = {names.package: sorted(folder.rglob("*.py"))}
    for src in sorted([*REPO.glob("plugins/*/src/*"), REPO / "packages/vidcore-testing/src/vidcore_testing"]):
        if src.is_dir() and (src / "__init__.py").exists():
            sources[src.name] = sorted(src.rglob("*.py"))
    return sources


def vidcore_imports(path: Path, own_package: str) -> list[tuple[int, str, str | None]]:
    """(line, module, name) of each absolute import of a vidcore* module other than the file's own package."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name, None) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found += [(node.lineno, node.module, alias.name) for alias in node.names]
    return [(line, module, name) for line, module, name in sorted(found, key=lambda item: item[0])
            if module.split(".")[0].startswith("vidcore") and module.split(".")[0] != own_package]


def import_problems(path: Path, own_package: str, api: dict[str, set[str]], packages: set[str]) -> list[str]:
    problems = []
    for line, module, name in vidcore_imports(path, own_package):
        where = f"{path}:{line}"
        top = module.split(".")[0]
        if top == "vidcore":
            if module not in api:
                problems.append(f"{where}: imports {module}, which docs/api.md does not list")
            elif name is not None and name not in api[module]:
                problems.append(f"{where}: {module}.{name} is not public (docs/api.md)")
        elif top in packages:
            if module != top:
                problems.append(f"{where}: imports {module}, a submodule of another plugin")
            elif name is not None and name not in importlib.import_module(top).__all__:
                problems.append(f"{where}: {top}.{name} is not in {top}.__all__")
    return problems


def test_plugins_import_only_public_names(tmp_path):
    api = documented_api(API_DOC.read_text(encoding="utf-8"))
    sources = plugin_sources(tmp_path)
    assert {"vidcore_video", "vidcore_tsn", "vidcore_tsm", "vidcore_testing", "vidcore_import_probe"} <= set(sources)
    problems = [problem for package, paths in sources.items() for path in paths
                for problem in import_problems(path, package, api, set(sources))]
    assert problems == []


def test_the_check_finds_private_imports(tmp_path):
    api = documented_api(API_DOC.read_text(encoding="utf-8"))
    source = tmp_path / "bad.py"
    source.write_text("from vidcore._keypath import format_key_path\nfrom vidcore.config import loader\n"
                      "def f():\n    from vidcore_tsn.backbones.resnet import ResNet\n"
                      "from vidcore_video import NotPublic\nfrom vidcore.config import format_key_path\n")
    problems = import_problems(source, "vidcore_probe", api, {"vidcore_tsn", "vidcore_video"})
    assert [problem.split(": ", 1)[1] for problem in problems] == [
        "imports vidcore._keypath, which docs/api.md does not list",
        "vidcore.config.loader is not public (docs/api.md)",
        "imports vidcore_tsn.backbones.resnet, a submodule of another plugin",
        "vidcore_video.NotPublic is not in vidcore_video.__all__",
    ]
