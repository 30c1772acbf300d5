"""The arguments the runner injects into a component, limited to those its constructor accepts."""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any, Mapping

from ..errors import VidcoreError

if TYPE_CHECKING:
    from ..registry import Registry


def accepted_arguments(registry: Registry, cfg: Mapping[str, Any], kind: str,
                       arguments: Mapping[str, Any], named_only: bool = False) -> dict[str, Any]:
    """`arguments` restricted to the parameters of the component `cfg` names (all of them for `**kwargs`,
    unless `named_only`: then only those it names, for optional extras a `**kwargs` may pass on to a base
    class that does not take them).

    A user's sampler may not take `seed`, a scheduler not `epoch_length`: they are simply not passed.
    When the component cannot be looked up, all are returned and the build reports the real problem.
    """
    name = cfg.get("type")
    try:
        target = registry.lookup(kind, name).load() if isinstance(name, str) else name
        parameters = inspect.signature(target).parameters
    except (VidcoreError, TypeError, ValueError):
        return {} if named_only else dict(arguments)
    if not named_only and any(parameter.kind is inspect.Parameter.VAR_KEYWORD for parameter in parameters.values()):
        return dict(arguments)
    return {key: value for key, value in arguments.items() if key in parameters}
