"""The arguments the runner injects into a component, limited to those its constructor accepts."""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from .._keypath import KeyPart, format_key_path
from ..config._schema import slot_at
from ..errors import VidcoreError

if TYPE_CHECKING:
    from ..registry import Registry


def accepted_arguments(registry: Registry, cfg: Mapping[str, Any], kind: str, key_path: Sequence[KeyPart],
                       arguments: Mapping[str, Any], named_only: bool = False) -> dict[str, Any]:
    """`arguments` (which the config schema must declare as injected at `key_path`) restricted to the
    parameters of the component `cfg` names (all of them for `**kwargs`, unless `named_only`: then only
    those it names, for optional extras a `**kwargs` may pass on to a base class that does not take them).

    A user's sampler may not take `seed`, a scheduler not `epoch_length`: they are simply not passed.
    When the component cannot be looked up, all are returned and the build reports the real problem.
    """
    slot = slot_at(kind, key_path)
    undeclared = sorted(set(arguments) - set(slot.injected if slot else ()))
    if undeclared:  # `config check` validates from the schema: it would call these arguments missing
        raise RuntimeError(f"the runner injects {undeclared} into {kind} at {format_key_path(key_path)}, "
                           "which COMPONENT_SLOTS in vidcore.config._schema does not declare")
    name = cfg.get("type")
    try:
        target = registry.lookup(kind, name).load() if isinstance(name, str) else name
        parameters = inspect.signature(target).parameters
    except (VidcoreError, TypeError, ValueError):
        return {} if named_only else dict(arguments)
    if not named_only and any(parameter.kind is inspect.Parameter.VAR_KEYWORD for parameter in parameters.values()):
        return dict(arguments)
    return {key: value for key, value in arguments.items() if key in parameters}
