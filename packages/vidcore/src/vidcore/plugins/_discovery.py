"""Find `vidcore` entry points from installed metadata quickly, once per process.

`importlib.metadata.entry_points()` parses every installed distribution (hundreds of milliseconds in a
PyTorch environment). Only the `[vidcore]` section matters here, so this scans the `*.dist-info` folders on
`sys.path` with the same first-found-wins rule and reads the metadata of matching distributions alone.
"""

from __future__ import annotations

import os
import re
import sys
from collections import namedtuple

from .._names import import_target, normalize_dist

ENTRY_POINT_GROUP = "vidcore"

_SECTION = re.compile(r"^\s*\[(?P<name>[^\]]+)\]\s*$")


class PluginEntryPoint(namedtuple("PluginEntryPoint", ["name", "value", "dist", "version"])):
    """One `vidcore` entry point: `name = module:attr` declared by distribution `dist` at `version`.

    A named tuple rather than a dataclass: `vidcore --help` reads entry points, and dataclasses cost it 20 ms.
    """

    __slots__ = ()

    def load(self) -> object:
        return import_target(self.value.split("[")[0])  # `[extras]` are not part of the path


_CACHE: list[PluginEntryPoint] | None = None


def scan_entry_points(refresh: bool = False) -> list[PluginEntryPoint]:
    """Every `vidcore` entry point of the distributions importable now, sorted by name."""
    global _CACHE
    if _CACHE is None or refresh:
        if any(os.path.isfile(entry) for entry in sys.path if entry):
            _CACHE = _scan_with_importlib()  # zipped distributions: let importlib.metadata read them
        else:
            _CACHE = _scan_folders()
    return _CACHE


def _scan_folders() -> list[PluginEntryPoint]:
    seen: set[str] = set()
    found: list[PluginEntryPoint] = []
    for entry in sys.path:
        try:
            names = sorted(os.listdir(entry or "."))
        except OSError:
            continue
        for name in names:
            if not name.endswith((".dist-info", ".egg-info")):
                continue
            dist_key = normalize_dist(name.rsplit(".", 1)[0].split("-")[0])
            if dist_key in seen:
                continue
            seen.add(dist_key)
            folder = os.path.join(entry or ".", name)
            points = _read_group(os.path.join(folder, "entry_points.txt"))
            if points:
                dist, version = _read_name_and_version(folder, name)
                found += [PluginEntryPoint(point, value, dist, version) for point, value in points]
    return sorted(found, key=lambda point: point.name)


def _read_group(path: str) -> list[tuple[str, str]]:
    try:
        with open(path, encoding="utf-8") as file:
            text = file.read()
    except OSError:
        return []
    if f"[{ENTRY_POINT_GROUP}]" not in text:
        return []
    points, inside = [], False
    for line in text.splitlines():
        section = _SECTION.match(line)
        if section:
            inside = section.group("name").strip() == ENTRY_POINT_GROUP
        elif inside and "=" in line and not line.lstrip().startswith(("#", ";")):
            point, value = line.split("=", 1)
            points.append((point.strip(), value.strip()))
    return points


def _read_name_and_version(folder: str, folder_name: str) -> tuple[str, str]:
    name, version = folder_name.rsplit(".", 1)[0].partition("-")[::2]
    for metadata_file in ("METADATA", "PKG-INFO"):
        try:
            with open(os.path.join(folder, metadata_file), encoding="utf-8") as file:
                for line in file:
                    if not line.strip():
                        break
                    key, _, value = line.partition(":")
                    if key == "Name":
                        name = value.strip()
                    elif key == "Version":
                        version = value.strip()
            break
        except OSError:
            continue
    return name, version or "unknown"


def _scan_with_importlib() -> list[PluginEntryPoint]:
    from importlib import metadata

    return sorted(
        (PluginEntryPoint(ep.name, ep.value, ep.dist.name if ep.dist else ep.name, ep.dist.version if ep.dist else "?")
         for ep in metadata.entry_points(group=ENTRY_POINT_GROUP)),
        key=lambda point: point.name,
    )
