"""The component registry: one namespace per component kind, lazy entries by import string, eager objects."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, Sequence

from .._keypath import KeyPart
from .._names import import_target, normalize_dist
from ..errors import RegistryError
from ._hints import close_matches, install_command

KINDS: tuple[str, ...] = (
    "models",
    "datasets",
    "transforms",
    "hooks",
    "vis_backends",
    "visualizers",
    "metrics",
    "optimizers",
    "optim_wrappers",
    "optim_constructors",
    "param_schedulers",
    "loops",
    "samplers",
    "weight_inits",
    "collate_fns",  # functions, looked up by name (`collate_fn: {type: pseudo_collate}`) rather than called
)

DIST_SEPARATOR = "::"


def _qualified_target(obj: Any) -> str | None:
    module = getattr(obj, "__module__", None)
    qualname = getattr(obj, "__qualname__", None)
    return f"{module}:{qualname}" if module and qualname else None


@dataclass
class Entry:
    """One registered component: where it comes from, and the object once it has been imported."""

    kind: str
    name: str
    dist: str
    target: str | None = None
    obj: Any = None

    @property
    def loaded(self) -> bool:
        return self.obj is not None

    @property
    def import_string(self) -> str | None:
        return self.target or _qualified_target(self.obj)

    def load(self) -> Any:
        """Import a lazy entry's module (once) and return the registered object."""
        if self.obj is not None:
            return self.obj
        assert self.target is not None
        where = f"{self.kind} '{self.name}' from {self.dist} ({self.target})"
        try:
            obj = import_target(self.target)
        except AttributeError as exc:
            raise RegistryError(f"{where}: {exc}") from exc
        except Exception as exc:  # the plugin's own import error is the real cause: keep it
            module_name = self.target.partition(":")[0]
            raise RegistryError(
                f"{where}: importing {module_name} failed: {type(exc).__name__}: {exc}"
            ) from exc
        self.obj = obj
        return obj

    def same_component(self, target: Any) -> bool:
        """True when `target` (import string or object) names what this entry already holds."""
        if isinstance(target, str):
            return target == self.import_string
        if self.obj is not None:
            return target is self.obj
        return _qualified_target(target) == self.target


class Registry:
    """Components by kind and name. Several distributions may register one name; lookups then need `dist::Name`.

    `loader`, when given, runs once before the first lookup or listing (the plugin manager uses it to
    register installed plugins only when a component is actually needed).
    """

    def __init__(
        self,
        kinds: Iterable[str] = KINDS,
        *,
        loader: Callable[[Registry], None] | None = None,
    ) -> None:
        self._entries: dict[str, dict[str, list[Entry]]] = {kind: {} for kind in kinds}
        self._loader = loader
        self._lock = threading.RLock()
        self.load_failures: list[str] = []  # one line per plugin that failed, shown with unknown names
        self.install_hints: dict[str, str] = {}  # component name -> the distribution that ships it
        self.disabled: dict[str, str] = {}  # installed distributions left out -> the setting that did it

    # --- registration -------------------------------------------------------------------------------
    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(self._entries)

    def add_install_hints(self, names_by_dist: Mapping[str, Iterable[str]]) -> None:
        """Record which distribution ships each name, so that an unknown name says what to install."""
        for dist, names in names_by_dist.items():
            self.install_hints.update(dict.fromkeys(names, dist))

    def install_hint(self, name: str) -> str | None:
        """The command that installs the distribution shipping component `name`, when a plugin said which."""
        dist = self.install_hints.get(name)
        return install_command(dist) if dist else None

    def add_kind(self, kind: str) -> None:
        """Open a new namespace (plugins may introduce kinds of their own)."""
        self._entries.setdefault(kind, {})

    def register(self, kind: str, name: str, target: Any, *, dist: str = "__main__", force: bool = False) -> Entry:
        """Register `target` (an import string `module:attr`, registered lazily, or an object) as `kind`/`name`."""
        self._check_kind(kind)
        if DIST_SEPARATOR in name or not name:
            raise RegistryError(f"{dist}: invalid {kind} name {name!r}")
        if isinstance(target, str) and ":" not in target:
            raise RegistryError(
                f"{dist}: {kind} '{name}' target {target!r} is not an import string of the form 'module:attribute'"
            )
        with self._lock:
            entries = self._entries[kind].setdefault(name, [])
            for index, existing in enumerate(entries):
                if existing.same_component(target):
                    if existing.obj is None and not isinstance(target, str):
                        existing.obj = target
                    return existing
                if normalize_dist(existing.dist) == normalize_dist(dist):
                    if not force:
                        raise RegistryError(
                            f"{kind} '{name}' is registered twice by {dist} "
                            f"({existing.import_string} and {_describe(target)}); pass force=True to replace"
                        )
                    entries.pop(index)
                    break
            entry = Entry(kind, name, dist, target if isinstance(target, str) else None,
                          None if isinstance(target, str) else target)
            entries.append(entry)
            return entry

    def remove(self, entry: Entry) -> None:
        """Take an entry out again (a plugin whose registration hook failed halfway is rolled back)."""
        with self._lock:
            entries = self._entries.get(entry.kind, {}).get(entry.name, [])
            if entry in entries:
                entries.remove(entry)
            if not entries:
                self._entries.get(entry.kind, {}).pop(entry.name, None)

    def register_many(self, kind: str, targets: Mapping[str, Any], *, dist: str = "__main__") -> None:
        """Register several components of one kind: `{name: "module:attr", ...}`."""
        for name, target in targets.items():
            self.register(kind, name, target, dist=dist)

    def component(self, kind: str, name: str | None = None, *, dist: str | None = None,
                  force: bool = False) -> Callable[[Any], Any]:
        """Decorator for eager registration: `@registry.component("transforms")`."""

        def decorate(obj: Any) -> Any:
            owner = dist or str(getattr(obj, "__module__", "__main__")).split(".")[0]
            self.register(kind, name or obj.__name__, obj, dist=owner, force=force)
            return obj

        return decorate

    # --- lookup -------------------------------------------------------------------------------------
    def ensure_loaded(self) -> None:
        """Run the loader (plugin discovery) if it has not run yet."""
        loader, self._loader = self._loader, None
        if loader is not None:
            loader(self)

    def lookup(self, kind: str, name: str, *, key_path: Sequence[KeyPart] = ()) -> Entry:
        """The entry for `name` (or `dist::name`) in `kind`; a RegistryError explains any miss."""
        self.ensure_loaded()
        self._check_kind(kind)
        dist, _, short = name.rpartition(DIST_SEPARATOR)
        entries = self._entries[kind].get(short, [])
        if dist:
            entries = [entry for entry in entries if normalize_dist(entry.dist) == normalize_dist(dist)]
        if len(entries) == 1:
            return entries[0]
        if not entries:
            raise RegistryError(self._unknown_message(kind, name, short, dist))
        entries = sorted(entries, key=lambda entry: normalize_dist(entry.dist))
        choices = " or ".join(f"'{entry.dist}{DIST_SEPARATOR}{short}'" for entry in entries)
        owners = " and ".join(entry.dist for entry in entries)
        raise RegistryError(f"{kind} '{short}' is registered by both {owners}; write {choices} to pick one")

    def get(self, kind: str, name: str) -> Any:
        """The registered object, importing it if it was registered lazily."""
        return self.lookup(kind, name).load()

    def kinds_of(self, name: str) -> list[str]:
        """The kinds in which `name` (or `dist::name`) is registered."""
        self.ensure_loaded()
        dist, _, short = name.rpartition(DIST_SEPARATOR)
        found = []
        for kind, names in self._entries.items():
            entries = names.get(short, [])
            if dist:
                entries = [entry for entry in entries if normalize_dist(entry.dist) == normalize_dist(dist)]
            if entries:
                found.append(kind)
        return found

    def __contains__(self, item: tuple[str, str]) -> bool:
        kind, name = item
        return kind in self.kinds_of(name)

    def names(self, kind: str) -> list[str]:
        self.ensure_loaded()
        self._check_kind(kind)
        return sorted(self._entries[kind])

    def entries(self, kind: str | None = None) -> list[Entry]:
        """Every entry (of one kind, or all), sorted by kind then name."""
        self.ensure_loaded()
        kinds = [kind] if kind else list(self._entries)
        return [entry for k in kinds for name in sorted(self._entries[k]) for entry in self._entries[k][name]]

    def build(self, cfg: Any, kind: str, **options: Any) -> Any:
        """Build a component from its config; see `vidcore.registry._builder.build`."""
        from ._builder import build

        return build(self, cfg, kind, **options)

    # --- helpers ------------------------------------------------------------------------------------
    def _check_kind(self, kind: str) -> None:
        if kind not in self._entries:
            raise RegistryError(f"unknown component kind {kind!r}; kinds are: {', '.join(self._entries)}")

    def _unknown_message(self, kind: str, name: str, short: str, dist: str) -> str:
        if dist and self._entries[kind].get(short):
            owners = ", ".join(entry.dist for entry in self._entries[kind][short])
            return f"{kind} '{short}' is not registered by {dist} (it is registered by {owners})"
        message = f"unknown {kind} type '{name}'"
        elsewhere = [other for other in self.kinds_of(short) if other != kind]
        provider = self.install_hints.get(short)
        hint = self.install_hint(short)
        if provider and provider in self.disabled:  # installed: pip install would not help
            setting = self.disabled[provider]
            action = ("remove it from VIDCORE_DISABLE_PLUGINS" if setting.startswith("VIDCORE_DISABLE_PLUGINS")
                      else "add it to VIDCORE_PLUGINS")
            hint = f"{provider}, which is installed but left out by {setting}; {action}"
        # a first-party name that is merely not installed needs the install line, not look-alikes
        suggestions = [] if hint and not elsewhere else close_matches(short, self._entries[kind])
        if suggestions:
            message += "; did you mean " + " or ".join(f"'{s}'" for s in suggestions) + "?"
        if elsewhere:
            message += f" ('{short}' is registered as {', '.join(elsewhere)}, not {kind})"
        if hint and not elsewhere:
            message += (f"; it is provided by {hint}" if provider in self.disabled else
                        f"; it is provided by a distribution that is not installed or not loaded: {hint}")
        if self.load_failures:
            message += "; plugins that failed to load: " + "; ".join(self.load_failures)
        return message


def _describe(target: Any) -> str:
    return target if isinstance(target, str) else str(_qualified_target(target))
