"""Validate a resolved config without constructing anything (`vidcore config check`), and the part of that
validation a run repeats before it builds (`check_before_run`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Collection, Mapping, Sequence

from .._keypath import KeyPart
from ..config._config import Config
from ..config._custom_imports import import_custom_modules
from ..config._keys import top_level_key_errors
from ..config._schema import iter_component_configs, optim_constructor_config
from ..config._values import value_errors
from ..errors import ConfigError, VidcoreError
from ..plugins import default_registry
from ..plugins._manager import get_plugin_manager
from ..registry import validate

if TYPE_CHECKING:
    from ..registry import Registry

Locate = Callable[[Sequence[KeyPart]], "str | None"]


class ConfigProblems(ConfigError):
    """Several config problems at once; the CLI prints one line per problem."""

    def __init__(self, errors: Sequence[VidcoreError], filename: str) -> None:
        count = f"{len(errors)} problem{'s' if len(errors) > 1 else ''} in {filename}"
        self.lines = [str(error) for error in errors[:-1]] + [f"{errors[-1]} ({count})"]
        super().__init__("\n".join(self.lines))


def prepare_config(data: dict[str, Any], filename: str) -> Mapping[str, str]:
    """What a run and `config check` both do first: import the config's `custom_imports`, let the plugins adjust
    it (`vidcore_configure`, in place), and return the top-level keys the plugins declare."""
    import_custom_modules(data, filename)
    manager = get_plugin_manager()
    manager.configure(data)
    return manager.declared_config_keys()


def check_config(cfg: Config, warnings: list[str] | None = None) -> tuple[list[VidcoreError], int]:
    """All problems found (not just the first), and how many component configs were checked. What may still go
    wrong at run time (a data file not there yet, a schedule clipped to the training length) is appended to
    `warnings` when it is given."""
    errors: list[VidcoreError] = []
    data = cfg.to_dict()
    try:
        known = prepare_config(data, cfg.filename)  # validated as the runner would build it
    except VidcoreError as exc:
        errors.append(exc)
        known = get_plugin_manager().declared_config_keys()
    registry = default_registry()
    found_warnings: list[str] = []
    errors += _problems_before_build(data, cfg.variables, known, registry, cfg.locate, found_warnings)
    checked = 0
    for slot, key_path, item in iter_component_configs(data):
        checked += 1
        errors += validate(registry, item, slot.kind, injected=slot.injected, key_path=key_path, locate=cfg.locate,
                           warnings=found_warnings)
    constructor = optim_constructor_config(data.get("optim_wrapper"))
    if constructor is not None:
        checked += 1
        errors += validate(registry, constructor, "optim_constructors", key_path=("optim_wrapper",), locate=cfg.locate)
    if warnings is not None:
        warnings += found_warnings
    return errors, checked


def check_before_run(cfg: Mapping[str, Any], variables: Collection[str], known: Mapping[str, str],
                     registry: Registry, locate: Locate | None, filename: str | None) -> None:
    """Raise ConfigProblems listing every unknown top-level key (`known`: the declared ones) and bad runner value
    (DataLoader options, optimizer numbers, schedules, watched metrics) before anything is built."""
    errors = _problems_before_build(cfg, variables, known, registry, locate, [])
    if errors:
        raise ConfigProblems(errors, filename or "<config>")


def _problems_before_build(cfg: Mapping[str, Any], variables: Collection[str], known: Mapping[str, str],
                           registry: Registry, locate: Locate | None, warnings: list[str]) -> list[VidcoreError]:
    errors: list[VidcoreError] = list(top_level_key_errors(cfg, variables, locate, known))
    found_errors, found_warnings = value_errors(cfg, registry, locate)
    warnings += found_warnings
    return errors + found_errors
