"""The learning-rate and momentum schedulers (`StepLR`, `CosineAnnealingMomentum`, ...): each is a
`*ParamScheduler` of `_param_scheduler.py` bound to one optimizer value, made here in one place for both."""

from __future__ import annotations

import functools
import inspect
from typing import Any

from ._param_scheduler import ParamScheduler


def for_parameter(base: type[ParamScheduler], name: str, param_name: str, described_as: str,
                  module: str) -> type[ParamScheduler]:
    """`base` scheduling `param_name` (`lr`, `momentum`) as class `name` of `module`.

    A `min_value` argument of `base` is named `min_<param_name>` (`StepLR(min_lr=...)`, as mmengine), in the
    signature too, since configs are validated against it.
    """
    namespace: dict[str, Any] = {
        "param_name": param_name,
        "__module__": module,
        "__qualname__": name,
        "__doc__": f"{(inspect.getdoc(base) or '').splitlines()[0]} Schedules the {described_as} (`{param_name}`)."
                   .replace("min_value", f"min_{param_name}"),
    }
    signature = inspect.signature(base.__init__)
    if "min_value" in signature.parameters:
        alias = f"min_{param_name}"

        @functools.wraps(base.__init__)
        def __init__(self: ParamScheduler, *args: Any, **kwargs: Any) -> None:
            if alias in kwargs:
                kwargs["min_value"] = kwargs.pop(alias)
            base.__init__(self, *args, **kwargs)

        parameters = [parameter.replace(name=alias) if parameter.name == "min_value" else parameter
                      for parameter in signature.parameters.values() if parameter.name != "param_name"]
        __init__.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
        namespace["__init__"] = __init__
    return type(name, (base,), namespace)
