"""`vidcore plugins [--verbose] [--json]`: distributions, versions, components per kind, load errors."""

from __future__ import annotations

import argparse
from collections import Counter, defaultdict

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing: the CLI starts faster
if TYPE_CHECKING:
    from typing import Any


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("plugins", help="list plugin distributions and what they register")
    parser.add_argument("--verbose", "-v", action="store_true", help="list every component and hook")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(handler=run)


def collect() -> list[dict[str, Any]]:
    """One record per plugin distribution: version, status, error, hooks and registered components."""
    from ...plugins import default_registry
    from ...plugins._manager import get_plugin_manager
    from ...registry import normalize_dist

    manager = get_plugin_manager()
    registry = default_registry()
    registry.ensure_loaded()
    manager.load()
    components: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for entry in registry.entries():
        components[normalize_dist(entry.dist)].append(
            {"kind": entry.kind, "name": entry.name, "target": entry.import_string, "loaded": entry.loaded})
    records = []
    for info in manager.plugins.values():
        records.append({
            "name": info.name, "distribution": info.dist, "version": info.version, "module": info.module,
            "status": info.status, "error": info.error, "hook_errors": info.hook_errors, "hooks": info.hooks,
            "components": components.pop(normalize_dist(info.dist), []) if info.status == "loaded" else [],
        })
    for dist, entries in components.items():  # eager registrations from local modules (custom_imports)
        records.append({"name": dist, "distribution": dist, "version": "", "module": dist, "status": "local",
                        "error": None, "hook_errors": {}, "hooks": [], "components": entries})
    return records


def run(args: argparse.Namespace) -> int:
    records = collect()
    if args.json:
        import json

        print(json.dumps(records, indent=2))
        return 0
    for record in records:
        counts = Counter(component["kind"] for component in record["components"])
        summary = ", ".join(f"{count} {kind}" for kind, count in sorted(counts.items())) or "no components"
        print(f"{record['distribution']} {record['version']}  [{record['status']}]  {summary}")
        if record["error"]:
            print(f"    error: {record['error']}")
        for hook, error in record["hook_errors"].items():
            print(f"    error in {hook}: {error}")
        if args.verbose:
            if record["status"] != "local":
                print(f"    module: {record['module']}")
            if record["hooks"]:
                print(f"    hooks: {', '.join(record['hooks'])}")
            for component in record["components"]:
                state = "loaded" if component["loaded"] else "lazy"
                print(f"    {component['kind']:<18} {component['name']:<28} {state:<6} {component['target']}")
    return 0
