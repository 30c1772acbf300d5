"""Build components from `type:` configs, recursively, with errors that name the key path."""

from __future__ import annotations

import inspect
import types
import typing
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

from .._keypath import KeyPart, format_key_path
from ..errors import BuildError, RegistryError, VidcoreError
from ._hints import close_matches

if TYPE_CHECKING:
    from ._registry import Registry

# A component lists here the arguments it wants as raw configs (it builds them itself, or never does).
RAW_ARGS_ATTRIBUTE = "vidcore_raw_args"
# Optional classmethods of a component: `check_config(cls, args) -> list[str]`, the problems of its arguments
# (value domains a signature cannot say), run by `validate` and before `build` constructs it; and
# `config_warnings(cls, args) -> list[str]`, what may still go wrong later (a file not there yet), run by
# `validate` only. `args` are the arguments as configured: nested components are still configs, and arguments
# the runner injects are absent. An entry may be `(key, message)` to name the argument (a name, or a tuple of
# keys and indices into it), so that the message carries the full key path and its file.
CHECK_METHOD = "check_config"
WARNINGS_METHOD = "config_warnings"

Locate = Callable[[Sequence[KeyPart]], "str | None"]


def is_component_config(value: Any) -> bool:
    """A mapping with a `type` key is a component config."""
    return isinstance(value, Mapping) and "type" in value


def build(
    registry: Registry,
    cfg: Any,
    kind: str,
    *,
    default_args: Mapping[str, Any] | None = None,
    key_path: Sequence[KeyPart] = (),
    locate: Locate | None = None,
) -> Any:
    """Build `cfg` (a mapping with `type`) as a component of `kind`.

    Nested component configs in the arguments are built first: a nested name is looked up in the same
    kind, then in whichever single kind has it. `default_args` fill arguments the config does not set.
    `locate(key_path)` names the config file a key came from, for error messages.
    """
    path = tuple(key_path)
    if not is_component_config(cfg):
        got = type(cfg).__name__ if not isinstance(cfg, Mapping) else "a mapping without 'type'"
        raise _located(BuildError(f"expected a {kind} config with a 'type' key, got {got}"), path, locate)
    args = dict(cfg)
    for key, value in (default_args or {}).items():
        args.setdefault(key, value)
    type_name = args.pop("type")
    if isinstance(type_name, str):
        try:
            target = registry.lookup(kind, type_name).load()
        except RegistryError as exc:
            raise _located(exc, path + ("type",), locate) from exc.__cause__
        label = type_name
    elif callable(type_name):
        target, label = type_name, getattr(type_name, "__name__", repr(type_name))
    else:
        raise _located(BuildError(f"'type' must be a component name, got {type_name!r}"), path + ("type",), locate)

    raw = set(getattr(target, RAW_ARGS_ATTRIBUTE, ()))
    configured = dict(args)
    def build_nested(component: Mapping[str, Any], where: tuple[KeyPart, ...]) -> Any:
        nested_kind = _nested_kind(registry, component["type"], kind, where, locate)
        return build(registry, component, nested_kind, key_path=where, locate=locate)

    for key in list(args):
        if key not in raw:
            args[key] = _map_components(args[key], path + (key,), build_nested)
    _check_arguments(target, label, args, path, locate)
    problems = _component_messages(target, CHECK_METHOD, configured)
    if problems:
        key, message = problems[0]
        raise _located(BuildError(message), path + key, locate, label)
    try:
        return target(**args)
    except VidcoreError as exc:
        raise _located(exc, path, locate, label) from exc
    except (TypeError, ValueError, KeyError, FileNotFoundError, NotADirectoryError, IsADirectoryError) as exc:
        detail = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        raise _located(BuildError(f"{type(exc).__name__}: {detail}"), path, locate, label) from exc


def _nested_kind(registry: Registry, name: Any, parent_kind: str, path: tuple[KeyPart, ...],
                 locate: Locate | None) -> str:
    """The kind a nested component is looked up in: its parent's kind where the name is registered there,
    else the one other kind that has it; a name of several other kinds is an error."""
    if not isinstance(name, str) or parent_kind in registry.kinds_of(name):
        return parent_kind
    kinds = registry.kinds_of(name)
    if len(kinds) > 1:
        message = (f"'{name}' is registered as {' and '.join(kinds)}; "
                   f"this key is read as {parent_kind}, where it is not registered")
        raise _located(RegistryError(message), path + ("type",), locate)
    return kinds[0] if kinds else parent_kind


def _map_components(value: Any, path: tuple[KeyPart, ...],
                    on_component: Callable[[Mapping[str, Any], tuple[KeyPart, ...]], Any]) -> Any:
    """`value` with each component config in it replaced by `on_component(config, key_path)`; the walk does
    not enter a component config (its own arguments are its business)."""
    if is_component_config(value):
        return on_component(value, path)
    if isinstance(value, Mapping):
        return {key: _map_components(item, path + (key,), on_component) for key, item in value.items()}
    if isinstance(value, list):
        return [_map_components(item, path + (index,), on_component) for index, item in enumerate(value)]
    return value


def validate(
    registry: Registry,
    cfg: Any,
    kind: str,
    *,
    injected: Sequence[str] = (),
    key_path: Sequence[KeyPart] = (),
    locate: Locate | None = None,
    warnings: list[str] | None = None,
) -> list[VidcoreError]:
    """Check `cfg` as `build` would, without constructing anything; return every error found.

    `injected` names arguments the caller supplies at build time (e.g. an optimizer's `params`). The components'
    `config_warnings` are appended to `warnings` when it is given.
    """
    path = tuple(key_path)
    if not is_component_config(cfg):
        return [_located(BuildError(f"expected a {kind} config with a 'type' key"), path, locate)]
    args = {key: value for key, value in cfg.items() if key != "type"}
    name = cfg["type"]
    if not isinstance(name, str):
        return []
    try:
        target = registry.lookup(kind, name).load()
    except RegistryError as exc:
        return [_located(exc, path + ("type",), locate)]
    errors: list[VidcoreError] = []

    def validate_nested(component: Mapping[str, Any], where: tuple[KeyPart, ...]) -> Mapping[str, Any]:
        try:
            nested_kind = _nested_kind(registry, component["type"], kind, where, locate)
        except VidcoreError as exc:
            errors.append(exc)
        else:
            errors.extend(validate(registry, component, nested_kind, key_path=where, locate=locate,
                                   warnings=warnings))
        return component

    raw = set(getattr(target, RAW_ARGS_ATTRIBUTE, ()))
    for key, value in args.items():
        if key not in raw:
            _map_components(value, path + (key,), validate_nested)
    try:
        _check_arguments(target, name, args, path, locate, injected)
    except VidcoreError as exc:
        errors.append(exc)
        return errors
    errors += [_located(BuildError(message), path + key, locate, name)
               for key, message in _component_messages(target, CHECK_METHOD, args)]
    if warnings is not None:
        for key, message in _component_messages(target, WARNINGS_METHOD, args):
            where = _prefix(path + key, locate, name)
            warnings.append(f"{where}: {message}" if where else message)
    return errors


def _component_messages(target: Any, method: str, args: Mapping[str, Any]) -> list[tuple[tuple[KeyPart, ...], str]]:
    """What the component's optional `check_config` / `config_warnings` classmethod says about `args`, as
    (key path inside the component, message)."""
    check = getattr(target, method, None)
    if not callable(check):
        return []
    try:
        messages = check(dict(args))
    except VidcoreError as exc:
        return [((), str(exc))]
    except (TypeError, ValueError) as exc:  # a value the check did not foresee (a string where a number goes)
        return [((), f"{type(exc).__name__}: {exc}")]
    found = []
    for entry in messages or ():
        if isinstance(entry, tuple) and len(entry) == 2:
            key, message = entry
            found.append((tuple(key) if isinstance(key, (tuple, list)) else (key,), str(message)))
        else:
            found.append(((), str(entry)))
    return found


def check_by_constructing(cls: type, args: Mapping[str, Any]) -> list[str]:
    """A `check_config` for components whose constructor only validates and stores its arguments (cheap, no
    files, no nested components): construct one and report what it raises.
    Use it as `check_config = classmethod(check_by_constructing)`."""
    try:
        cls(**args)
    except VidcoreError as exc:
        return [str(exc)]
    except (TypeError, ValueError) as exc:
        return [f"{type(exc).__name__}: {exc}"]
    return []


def _check_arguments(target: Any, label: str, args: dict[str, Any], path: tuple[KeyPart, ...],
                     locate: Locate | None, injected: Sequence[str] = ()) -> None:
    """Report unknown, missing and plainly mistyped arguments before calling the constructor."""
    try:
        signature = inspect.signature(target)
    except (TypeError, ValueError):
        return
    parameters = signature.parameters
    accepts_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())
    named = [name for name, p in parameters.items()
             if p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)]
    if not accepts_any:
        for key in args:
            if key not in parameters:
                message = f"{label} got an unexpected argument '{key}'"
                suggestions = close_matches(str(key), named, limit=1)
                if suggestions:
                    message += f"; did you mean '{suggestions[0]}'?"
                message += f" (accepted: {', '.join(named) or 'none'})"
                raise _located(BuildError(message), path + (key,), locate)
    for name, parameter in parameters.items():
        if (parameter.default is inspect.Parameter.empty and name not in args and name not in injected
                and parameter.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)):
            raise _located(BuildError(f"{label} is missing required argument '{name}'"), path, locate)
    hints = _type_hints(target)
    for key, value in args.items():
        expected = hints.get(key)
        if expected is not None and not _matches(value, expected):
            message = (f"{label} argument '{key}' expects {_type_name(expected)}, "
                       f"got {type(value).__name__} {value!r:.60}")
            raise _located(BuildError(message), path + (key,), locate)


def _type_hints(target: Any) -> dict[str, Any]:
    function = target.__init__ if inspect.isclass(target) else target
    try:
        return typing.get_type_hints(function)
    except Exception:  # unresolvable annotations are the component's business, not a config error
        return {}


_SIMPLE = {int: (int,), float: (int, float), str: (str,), bool: (bool,), list: (list, tuple),
           tuple: (list, tuple), dict: (Mapping,)}


def _matches(value: Any, expected: Any) -> bool:
    """A deliberately shallow check: builtin scalars and containers, Optional/Union of them; else accept."""
    if expected is Any:
        return True
    origin = typing.get_origin(expected)
    if origin in (typing.Union, getattr(types, "UnionType", typing.Union)):
        return any(_matches(value, option) for option in typing.get_args(expected))
    if expected is type(None):
        return value is None
    if origin is typing.Literal:
        return any(value == option and type(value) is type(option) for option in typing.get_args(expected))
    if origin is not None:
        expected = origin
    if expected in (int, float) and isinstance(value, bool):
        return False
    if expected in _SIMPLE:
        return isinstance(value, _SIMPLE[expected])
    if expected in (typing.Sequence, __import__("collections.abc").abc.Sequence):
        return isinstance(value, (list, tuple, str))
    return True


def _type_name(expected: Any) -> str:
    origin = typing.get_origin(expected)
    if origin in (typing.Union, getattr(types, "UnionType", typing.Union)):
        return " or ".join(_type_name(option) for option in typing.get_args(expected))
    if expected is type(None):
        return "null"
    if origin is typing.Literal:
        return "one of " + ", ".join(repr(option) for option in typing.get_args(expected))
    return getattr(origin or expected, "__name__", str(expected))


def _located(error: VidcoreError, path: Sequence[KeyPart], locate: Locate | None,
             label: str | None = None) -> VidcoreError:
    """Prefix an error with `file: key.path (Type):` once; errors that already carry a location pass through."""
    if getattr(error, "located", False):
        return error
    prefix = _prefix(path, locate, label)
    located = type(error)(f"{prefix}: {error}" if prefix else str(error))
    located.located = True  # type: ignore[attr-defined]
    return located


def _prefix(path: Sequence[KeyPart], locate: Locate | None, label: str | None = None) -> str:
    """`file: key.path (Type)` of a component, as far as known."""
    where = format_key_path(path) if path else ""
    source = locate(path) if (locate and path) else None
    prefix = ": ".join(part for part in (source, where) if part)
    if label and prefix:
        prefix += f" ({label})"
    return prefix
