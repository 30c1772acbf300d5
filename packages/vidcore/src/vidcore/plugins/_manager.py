"""Discover plugin distributions (entry-point group `vidcore`), load them in isolation, call their hooks."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator, Mapping

import pluggy

from .._names import normalize_dist
from ..errors import PluginError, VidcoreError
from ..registry._registry import Entry, Registry
from . import _hookspecs as hookspecs
from ._discovery import PluginEntryPoint, scan_entry_points
from ._markers import PROJECT_NAME

CORE_DIST = "vidcore"


@dataclass
class PluginInfo:
    """What is known about one plugin: its distribution, state and, for failures, the cause."""

    name: str
    dist: str
    version: str
    module: str
    status: str  # "loaded", "failed" (import failed) or "disabled"
    error: str | None = None  # why the import failed
    traceback: str | None = None
    hooks: list[str] = field(default_factory=list)
    hook_errors: dict[str, str] = field(default_factory=dict)  # hook name -> what it raised
    disabled_by: str | None = None  # the setting that left it out, e.g. "VIDCORE_PLUGINS=vidcore-tsm"

    @property
    def failed(self) -> bool:
        return self.status == "failed" or bool(self.hook_errors)

    def failure_line(self) -> str:
        causes = [self.error] if self.error else []
        causes += [f"{hook} raised {error}" for hook, error in self.hook_errors.items()]
        return f"{self.dist} {self.version} ({self.module}): {'; '.join(causes)}"


class Registrar:
    """The view of a registry that one distribution's `vidcore_register` receives: it stamps the distribution."""

    def __init__(self, registry: Registry, dist: str) -> None:
        self._registry = registry
        self.dist = dist
        self.added: list[Entry] = []  # what this distribution registered, to roll back if its hook fails

    @property
    def kinds(self) -> tuple[str, ...]:
        return self._registry.kinds

    def add_kind(self, kind: str) -> None:
        self._registry.add_kind(kind)

    def register(self, kind: str, name: str, target: Any, *, force: bool = False) -> None:
        self.added.append(self._registry.register(kind, name, target, dist=self.dist, force=force))

    def register_many(self, kind: str, targets: dict[str, Any]) -> None:
        for name, target in targets.items():
            self.register(kind, name, target)

    def add_install_hints(self, names_by_dist: Mapping[str, Iterable[str]]) -> None:
        """Name components that other distributions ship ({dist: names}), so that a config using one of them
        while that distribution is not installed gets its install command."""
        self._registry.add_install_hints(names_by_dist)

    def roll_back(self) -> None:
        for entry in self.added:
            self._registry.remove(entry)
        self.added.clear()


def _env_list(name: str) -> list[str] | None:
    value = os.environ.get(name)
    if value is None:
        return None
    return [normalize_dist(item.strip()) for item in value.split(",") if item.strip()]


@contextlib.contextmanager
def _plugin_code() -> Iterator[Callable[[], bool]]:
    """Run a plugin's import or hook: what it prints goes to stderr, so that it never corrupts a command's
    output (`vidcore plugins --json`, `vidcore config show`). Yields `user_interrupted()`: whether a real
    SIGINT arrived meanwhile, which tells the user's Ctrl-C (honoured) from a KeyboardInterrupt the plugin
    raised itself (a plugin failure). Where that cannot be told (not the main thread), every
    KeyboardInterrupt counts as the user's."""
    import signal
    import threading

    received: list[int] = []
    previous = signal.getsignal(signal.SIGINT)
    watch = threading.current_thread() is threading.main_thread() and callable(previous)

    def note_and_forward(signum: int, frame: Any) -> Any:
        received.append(signum)
        return previous(signum, frame)  # type: ignore[misc, operator]

    if watch:
        signal.signal(signal.SIGINT, note_and_forward)
    try:
        with contextlib.redirect_stdout(sys.stderr):
            yield lambda: bool(received) or not (watch or previous in (signal.SIG_IGN, signal.SIG_DFL))
    finally:
        if watch:
            signal.signal(signal.SIGINT, previous)


class PluginManager:
    """pluggy plugin manager for project `vidcore`, with per-plugin failure isolation."""

    def __init__(self, *, allow: Iterable[str] | None = None, block: Iterable[str] | None = None,
                 strict: bool = False, entry_points: Iterable[PluginEntryPoint] | None = None) -> None:
        self.pm = pluggy.PluginManager(PROJECT_NAME)
        self.pm.add_hookspecs(hookspecs)
        self.allow = [normalize_dist(a) for a in allow] if allow is not None else _env_list("VIDCORE_PLUGINS")
        self.block = [normalize_dist(b) for b in block] if block is not None else (
            _env_list("VIDCORE_DISABLE_PLUGINS") or [])
        self.strict = strict
        settings = (("VIDCORE_PLUGINS", allow), ("VIDCORE_DISABLE_PLUGINS", block))
        self._from_environment = {name for name, given in settings if given is None and name in os.environ}
        self.plugins: dict[str, PluginInfo] = {}
        self._entry_points = entry_points
        self._loaded = False

    # --- loading ------------------------------------------------------------------------------------
    def load(self) -> None:
        """Register the built-in plugin and every permitted entry point (once)."""
        if self._loaded:
            return
        self._loaded = True
        from . import _builtin as builtin

        self._add(builtin, PluginInfo("builtin", CORE_DIST, _version(CORE_DIST), builtin.__name__, "loaded"))
        entry_points = list(self._entry_points if self._entry_points is not None else scan_entry_points())
        for entry_point in entry_points:
            self._load_entry_point(entry_point)
        self._warn_unknown_names(entry_points)
        if self.strict:
            self.raise_failures()

    def _warn_unknown_names(self, entry_points: list[PluginEntryPoint]) -> None:
        """One warning per name in VIDCORE_PLUGINS / VIDCORE_DISABLE_PLUGINS that no installed plugin has (a
        typo would otherwise leave plugins out, or in, without a word), with the closest installed name."""
        from ..registry._hints import close_matches

        distributions = sorted({normalize_dist(point.dist) for point in entry_points})
        installed = distributions + sorted({normalize_dist(point.name) for point in entry_points})
        for variable, names in (("VIDCORE_PLUGINS", self.allow), ("VIDCORE_DISABLE_PLUGINS", self.block)):
            if names is None or variable not in self._from_environment:
                continue
            for name in names:
                if name in installed:
                    continue
                close = close_matches(name, distributions, limit=1) or close_matches(name, installed, limit=1)
                hint = f"did you mean '{close[0]}'? " if close else ""
                print(f"vidcore: warning: {variable} names '{name}', which is not an installed vidcore plugin; "
                      f"{hint}(installed: {', '.join(distributions) or 'none'})", file=sys.stderr)

    def _load_entry_point(self, entry_point: PluginEntryPoint) -> None:
        dist, version = entry_point.dist, entry_point.version
        info = PluginInfo(entry_point.name, dist, version, entry_point.value, "loaded")
        names = {normalize_dist(dist), normalize_dist(entry_point.name)}
        if names & set(self.block) or (self.allow is not None and not names & set(self.allow)):
            info.status = "disabled"
            variable, names_given = (("VIDCORE_DISABLE_PLUGINS", self.block) if names & set(self.block)
                                     else ("VIDCORE_PLUGINS", self.allow or []))
            info.disabled_by = f"{variable}={','.join(names_given)}"
            self.plugins[f"{dist}:{entry_point.name}"] = info
            return
        with _plugin_code() as user_interrupted:
            try:
                module = entry_point.load()
            except BaseException as exc:  # a plugin must never take the host down, whatever it raises
                if isinstance(exc, KeyboardInterrupt) and user_interrupted():
                    raise
                self._fail(info, exc)
                self.plugins[f"{dist}:{entry_point.name}"] = info
                return
        self._add(module, info)

    def _add(self, module: Any, info: PluginInfo) -> None:
        key = f"{info.dist}:{info.name}"
        try:
            self.pm.register(module, name=key)
        except Exception as exc:  # e.g. a hookimpl that does not match its hookspec
            self._fail(info, exc)
        else:
            info.hooks = sorted(
                caller.name for caller in self.pm.get_hookcallers(module) or [] if caller.name.startswith("vidcore_")
            )
        self.plugins[key] = info

    def _fail(self, info: PluginInfo, exc: BaseException) -> None:
        info.status = "failed"
        info.error = f"{type(exc).__name__}: {exc}"
        info.traceback = _format_traceback(exc)

    # --- hooks --------------------------------------------------------------------------------------
    def _each_impl(self, hook_name: str, call: Callable[[Any, PluginInfo], None],
                   passthrough: tuple[type[Exception], ...] = ()) -> None:
        """Call each plugin's implementation separately, so that one failure is recorded and the rest run.

        Exceptions of the `passthrough` types are meant for the user and propagate.
        """
        self.load()
        for impl in reversed(getattr(self.pm.hook, hook_name).get_hookimpls()):
            info = self.plugins[impl.plugin_name]
            if info.status != "loaded":
                continue
            with _plugin_code() as user_interrupted:
                try:
                    call(impl.function, info)
                except passthrough:
                    raise
                except (Exception, KeyboardInterrupt, SystemExit) as exc:  # recorded; its other hooks still run
                    if isinstance(exc, KeyboardInterrupt) and user_interrupted():
                        raise
                    info.hook_errors[hook_name] = f"{type(exc).__name__}: {exc}"
                    info.traceback = _format_traceback(exc)
        if self.strict:
            self.raise_failures()

    def register_into(self, registry: Registry) -> None:
        """Run every plugin's `vidcore_register` against `registry`."""
        def register(hook: Callable[..., None], info: PluginInfo) -> None:
            registrar = Registrar(registry, info.dist)
            try:
                hook(registry=registrar)
            except Exception:
                registrar.roll_back()  # all or nothing: no half-registered plugin
                raise

        self._each_impl("vidcore_register", register)
        registry.load_failures = [info.failure_line() for info in self.plugins.values()
                                  if info.status == "failed" or "vidcore_register" in info.hook_errors]
        registry.disabled = {normalize_dist(info.dist): info.disabled_by for info in self.plugins.values()
                             if info.disabled_by}

    def add_commands(self, subparsers: argparse._SubParsersAction) -> None:
        self._each_impl("vidcore_add_commands", lambda hook, info: hook(subparsers=subparsers))

    def config_keys(self) -> dict[str, tuple[str, str]]:
        """The top-level config keys plugins declare (`vidcore_config_keys`): name -> (description, distribution).

        A declaration that is not a mapping of names to descriptions is recorded as the plugin's hook error."""
        declared: dict[str, tuple[str, str]] = {}

        def collect(hook: Callable[[], Any], info: PluginInfo) -> None:
            keys = hook()
            if not isinstance(keys, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                     for k, v in keys.items()):
                raise TypeError(f"vidcore_config_keys must return a dict of key name -> description, got {keys!r:.80}")
            for name, description in keys.items():
                declared.setdefault(name, (description, info.dist))

        self._each_impl("vidcore_config_keys", collect)
        return declared

    def declared_config_keys(self) -> dict[str, str]:
        """Every top-level config key vidcore or a loaded plugin reads, with its description: the core's first."""
        from ..config._keys import CORE_KEYS

        keys = dict(CORE_KEYS)
        for name, (description, dist) in self.config_keys().items():
            keys.setdefault(name, f"{description} (plugin {dist})")
        return keys

    def configure(self, cfg: dict) -> None:
        """Let plugins validate the resolved config. Their ConfigErrors reach the user, not the failure list.

        Any other exception is a bug in the plugin: it is recorded and warned about, and the config goes on.
        """
        self._each_impl("vidcore_configure", lambda hook, info: hook(cfg=cfg), passthrough=(VidcoreError,))
        for info in self.plugins.values():
            if "vidcore_configure" in info.hook_errors:
                print(f"vidcore: warning: plugin {info.failure_line()}", file=sys.stderr)

    # --- reporting ----------------------------------------------------------------------------------
    @property
    def failures(self) -> list[PluginInfo]:
        return [info for info in self.plugins.values() if info.failed]

    def raise_failures(self) -> None:
        if self.failures:
            raise PluginError("plugins failed to load: " + "; ".join(i.failure_line() for i in self.failures))

    def warn_failures(self, stream: Any = None) -> None:
        for info in self.failures:
            print(f"vidcore: warning: plugin {info.failure_line()}", file=stream or sys.stderr)


def _format_traceback(exc: BaseException) -> str:
    import traceback  # only when a plugin fails: keeps start-up light

    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))


def _version(dist: str) -> str:
    from .. import __version__

    return __version__ if dist == CORE_DIST else "unknown"


_MANAGER: PluginManager | None = None


def get_plugin_manager() -> PluginManager:
    """The process-wide plugin manager (settings from VIDCORE_PLUGINS / VIDCORE_DISABLE_PLUGINS)."""
    global _MANAGER
    if _MANAGER is None:
        _MANAGER = PluginManager()
    return _MANAGER


def reset_plugin_manager() -> None:
    global _MANAGER
    _MANAGER = None
