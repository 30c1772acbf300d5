"""Render the plugin template (`template/`, `string.Template` files) into a new distribution folder.

Template paths mirror the generated project: a `.tmpl` suffix is dropped and the folder `PACKAGE`
becomes the import name. In the files, `$name`, `$dist`, `$package`, `$prefix`, `$vidcore_requirement`
and `$vidcore_version` are substituted (`$$` writes a literal `$`).
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from vidcore import __version__
from vidcore.errors import VidcoreError
from vidcore.registry import FIRST_PARTY_PATHS

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

__all__ = ["PluginNames", "plugin_names", "render_plugin", "vidcore_requirement"]

DIST_PREFIX = "vidcore-"
_NAME = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")
_TEMPLATE_SUFFIX = ".tmpl"
_PACKAGE_FOLDER = "PACKAGE"


@dataclass(frozen=True)
class PluginNames:
    """The names derived from `vidcore new-plugin NAME`."""

    name: str  # my-plugin: the entry-point name
    dist: str  # vidcore-my-plugin: the distribution
    package: str  # vidcore_my_plugin: the import name
    prefix: str  # MyPlugin: starts every component name, so plugins do not collide


def plugin_names(name: str) -> PluginNames:
    """Validate NAME (lowercase letters, digits, single hyphens; not a first-party plugin) and derive the rest."""
    if name.startswith(DIST_PREFIX) or name == DIST_PREFIX[:-1]:
        example = name[len(DIST_PREFIX):] or "my-plugin"
        raise VidcoreError(f"invalid plugin name {name!r}: give the part after '{DIST_PREFIX}' (e.g. '{example}'); "
                           f"the distribution is named {DIST_PREFIX}NAME")
    if not _NAME.fullmatch(name):
        raise VidcoreError(f"invalid plugin name {name!r}: use lowercase letters, digits and single hyphens, "
                           "starting with a letter (e.g. 'my-plugin')")
    dist = DIST_PREFIX + name
    if dist in FIRST_PARTY_PATHS:
        raise VidcoreError(f"invalid plugin name {name!r}: {dist} is a first-party vidcore distribution; "
                           "choose another")
    return PluginNames(name, dist, dist.replace("-", "_"), "".join(part.capitalize() for part in name.split("-")))


def vidcore_requirement(version: str = __version__, dist: str = "vidcore") -> str:
    """`vidcore>=X.Y,<X.(Y+1)` for vidcore `version`: the minor release a new plugin is written against
    (`dist="vidcore-testing"`: the test kit of that release)."""
    match = re.match(r"(\d+)\.(\d+)", version)
    if not match:
        raise ValueError(f"cannot read a major.minor version from vidcore version {version!r}")
    major, minor = int(match.group(1)), int(match.group(2))
    return f"{dist}>={major}.{minor},<{major}.{minor + 1}"


def render_plugin(name: str, target: str | Path | None = None) -> tuple[PluginNames, Path, list[Path]]:
    """Write the plugin distribution for NAME into `target` (default `./vidcore-NAME`), which must be empty.

    Returns the names, the project folder and the files written (relative to it).
    """
    names = plugin_names(name)
    folder = Path(target) if target is not None else Path.cwd() / names.dist
    if folder.exists() and not folder.is_dir():
        raise VidcoreError(f"{folder}: exists and is not a directory; choose another --dir")
    if folder.is_dir() and any(folder.iterdir()):
        raise VidcoreError(f"{folder}: directory exists and is not empty; choose another --dir")
    values = {
        "name": names.name, "dist": names.dist, "package": names.package, "prefix": names.prefix,
        "vidcore_requirement": vidcore_requirement(), "vidcore_version": __version__,
        "vidcore_testing_requirement": vidcore_requirement(dist="vidcore-testing"),
    }
    written = []
    for relative, template in _templates():
        output = Path(*(names.package if part == _PACKAGE_FOLDER else part for part in relative.parts))
        text = string.Template(template.read_text(encoding="utf-8")).substitute(values)
        try:
            (folder / output).parent.mkdir(parents=True, exist_ok=True)
            (folder / output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise VidcoreError(f"{folder / output}: cannot write: {exc.strerror or exc}") from exc
        written.append(output)
    return names, folder, written


def _templates(node: Traversable | None = None, relative: Path = Path()) -> Iterator[tuple[Path, Traversable]]:
    """(path inside the generated project, template file) for every template, in a stable order."""
    node = node if node is not None else resources.files(__package__) / "template"
    for child in sorted(node.iterdir(), key=lambda item: item.name):
        if child.is_dir():
            yield from _templates(child, relative / child.name)
        elif child.name.endswith(_TEMPLATE_SUFFIX):
            yield relative / child.name[: -len(_TEMPLATE_SUFFIX)], child
