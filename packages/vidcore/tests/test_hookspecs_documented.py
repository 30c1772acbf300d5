"""Every hookspec is documented in docs/plugins.md (signature, when called, do, don't) and implemented by a test."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest
from vidcore import __version__
from vidcore._deprecation import VidcoreDeprecationWarning
from vidcore.plugins import PROJECT_NAME
from vidcore.plugins import _hookspecs as hookspecs

REPOSITORY = Path(__file__).resolve().parents[3]
GUIDE = REPOSITORY / "docs" / "plugins.md"
TEST_FOLDERS = (Path(__file__).resolve().parent, REPOSITORY / "tests")
HEADING = re.compile(r"^### `(?P<name>vidcore_\w+)\((?P<arguments>[^)]*)\)`\s*$", re.MULTILINE)
REQUIRED_PARTS = ("**Called:**", "**Do:**", "**Don't:**")

SPECS = {name: function for name, function in vars(hookspecs).items()
         if callable(function) and getattr(function, f"{PROJECT_NAME}_spec", None) is not None}


def documented_sections() -> dict[str, tuple[list[str], str]]:
    """Hook name -> (arguments in its heading, the text of its section)."""
    text = GUIDE.read_text(encoding="utf-8")
    headings = list(HEADING.finditer(text))
    sections = {}
    for heading, following in zip(headings, headings[1:] + [None]):
        end = following.start() if following else text.find("\n## ", heading.end())
        arguments = [argument.strip() for argument in heading.group("arguments").split(",") if argument.strip()]
        sections[heading.group("name")] = (arguments, text[heading.end(): end if end != -1 else len(text)])
    return sections


def test_there_are_hookspecs_to_check():
    assert {"vidcore_register", "vidcore_add_commands", "vidcore_configure"} <= set(SPECS)


@pytest.mark.parametrize("name", sorted(SPECS))
def test_hookspec_is_documented_with_its_signature(name):
    sections = documented_sections()
    assert name in sections, f"docs/plugins.md has no '### `{name}(...)`' section for the hookspec {name}"
    arguments, body = sections[name]
    expected = list(inspect.signature(SPECS[name]).parameters)
    assert arguments == expected, f"docs/plugins.md documents {name}({', '.join(arguments)}); the hookspec takes " \
                                  f"({', '.join(expected)})"
    missing = [part for part in REQUIRED_PARTS if part not in body]
    assert not missing, f"docs/plugins.md: the section on {name} lacks {', '.join(missing)}"


def test_documentation_describes_no_hook_that_does_not_exist():
    stale = sorted(set(documented_sections()) - set(SPECS))
    assert not stale, f"docs/plugins.md documents hooks that vidcore/plugins/_hookspecs.py does not define: {stale}"


@pytest.mark.parametrize("name", sorted(SPECS))
def test_hookspec_is_implemented_by_a_test(name):
    this_file = Path(__file__).resolve()
    implementation = re.compile(rf"def {name}\(")
    files = [path for folder in TEST_FOLDERS if folder.is_dir() for path in folder.rglob("test_*.py")
             if path.resolve() != this_file]
    assert any(implementation.search(path.read_text(encoding="utf-8")) for path in files), (
        f"no test implements the hook {name} (looked for 'def {name}(' in {', '.join(map(str, TEST_FOLDERS))})")


@pytest.mark.parametrize("name", sorted(SPECS))
def test_deprecated_hooks_are_removed_on_schedule(name):
    options = getattr(SPECS[name], f"{PROJECT_NAME}_spec")
    warnings = [options.get("warn_on_impl"), *(options.get("warn_on_impl_args") or {}).values()]
    for warning in warnings:
        if isinstance(warning, VidcoreDeprecationWarning):
            assert _release(__version__) < _release(warning.removed_in), (
                f"{name}: '{warning}' was due for removal in {warning.removed_in}; this is vidcore {__version__}")


def _release(version: str) -> tuple[int, int]:
    major, minor = re.match(r"(\d+)\.(\d+)", version).groups()
    return int(major), int(minor)
