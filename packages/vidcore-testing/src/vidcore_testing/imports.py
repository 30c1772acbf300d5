"""`check_imports`: a plugin's source imports only the modules it declares, and only public names of vidcore
and of other vidcore plugins."""

from __future__ import annotations

import ast
import importlib
import importlib.util
from pathlib import Path
from typing import Iterable, Iterator

__all__ = ["check_imports"]


def check_imports(package: str, *, modules: Iterable[str], prefixes: Iterable[str] = ()) -> list[str]:
    """The problems of `package`'s imports (parsed, function-level ones included; nothing is imported), one line
    each (`file.py: imports X`): a module neither in `modules` (exact names, e.g. `vidcore.registry`) nor under
    one of `prefixes` (`torch` allows `torch.nn`) nor `package` itself; and, for a module of `modules` whose
    top-level name starts with `vidcore`, a name imported from it that is not in its `__all__`."""
    allowed, roots = set(modules), (package, *prefixes)
    problems = []
    for path, module, name in _imports(package):
        if module not in allowed and module.split(".")[0] not in roots:
            problems.append(f"{path.name}: imports {module}")
        elif (module in allowed and module.startswith("vidcore") and name is not None
              and name not in importlib.import_module(module).__all__):
            problems.append(f"{path.name}: {module}.{name} is not in {module}.__all__")
    return problems


def _imports(package: str) -> Iterator[tuple[Path, str, str | None]]:
    """(file, module, imported name or None) of each import in the package's source; relative imports count as
    imports of the package itself."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ValueError(f"check_imports: {package!r} is not an installed package")
    for folder in spec.submodule_search_locations:
        for path in sorted(Path(folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
                if isinstance(node, ast.Import):
                    for alias in node.names:
                        yield path, alias.name, None
                elif isinstance(node, ast.ImportFrom):
                    module = package if node.level else node.module
                    for alias in node.names:
                        yield path, module, alias.name
