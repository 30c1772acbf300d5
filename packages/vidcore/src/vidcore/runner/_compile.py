"""The `compile` config key: validate it and apply `torch.compile` to the model's forward (docs/runner.md).

`compile: true` compiles with torch's defaults; `compile: {backend, mode, dynamic, fullgraph, options, ...}`
passes those keyword arguments to `torch.compile` (as mmengine does). The model is compiled in place
(`nn.Module.compile`): `runner.model` stays the user's module, so its `state_dict` keys, checkpoints, EMA
copies (a deep copy drops the compiled call) and DDP wrapping are the same as without compile.
"""

from __future__ import annotations

import difflib
import inspect
from typing import TYPE_CHECKING, Any, Mapping

import torch
from torch import nn

from ..errors import ConfigError

if TYPE_CHECKING:
    from ._runner import Runner

# what each torch.compile argument accepts (others that this torch's torch.compile takes are passed unchecked)
_EXPECTED: dict[str, tuple[tuple[type, ...], str]] = {
    "backend": ((str,), "a backend name"),
    "mode": ((str, type(None)), "a mode name or null"),
    "dynamic": ((bool, type(None)), "true, false or null"),
    "fullgraph": ((bool,), "true or false"),
    "disable": ((bool,), "true or false"),
    "options": ((Mapping,), "a mapping of inductor options"),
}


def _accepted_keys() -> list[str]:
    """The keyword arguments of this torch's `torch.compile` (without the function to compile)."""
    parameters = inspect.signature(torch.compile).parameters
    return [name for name, parameter in parameters.items()
            if name != "model" and parameter.kind in (parameter.KEYWORD_ONLY, parameter.POSITIONAL_OR_KEYWORD)]


def compile_kwargs(runner: Runner) -> dict[str, Any] | None:
    """The arguments for `torch.compile` that `compile` asks for, or None when compile is off (the default)."""
    value = runner.cfg.get("compile")
    if value is None or value is False:
        return None
    if value is True:
        return {}
    accepted = _accepted_keys()
    if not isinstance(value, Mapping):
        raise ConfigError(f"{runner.where('compile')}: expected true, false or a mapping of torch.compile arguments "
                          f"({', '.join(accepted)}), got {value!r}")
    kwargs = dict(value)
    for key, item in kwargs.items():
        if key not in accepted:
            raise ConfigError(f"{runner.where('compile', key)}: unknown key (accepted: {', '.join(accepted)})")
        types, expected = _EXPECTED.get(key, ((object,), ""))
        if key == "backend" and callable(item):  # a backend function, from a config built in Python
            continue
        if not isinstance(item, types):
            raise ConfigError(f"{runner.where('compile', key)}: expected {expected}, got {item!r}")
    return kwargs


def _check_backend(runner: Runner, backend: Any) -> None:
    """An unknown backend name, or inductor on CPU without a C++ compiler, is a ConfigError now rather than
    an obscure failure in the first training iteration."""
    if not isinstance(backend, str):
        return
    import torch._dynamo

    known = torch._dynamo.list_backends(exclude_tags=())  # also the debugging ones (aot_eager, eager)
    if backend not in known:
        close = difflib.get_close_matches(backend, known, n=1)
        shown = [*torch._dynamo.list_backends(), *(name for name in ("aot_eager", "eager") if name in known)]
        raise ConfigError(f"{runner.where('compile', 'backend')}: unknown backend {backend!r}"
                          f"{f'; did you mean {close[0]!r}?' if close else ''} (available: {', '.join(shown)}; "
                          "all: torch._dynamo.list_backends(exclude_tags=()))")
    if backend == "inductor" and runner.device.type == "cpu":
        try:
            from torch._inductor.cpp_builder import get_cpp_compiler
        except ImportError:  # a torch without this helper: let inductor report it
            return
        try:
            get_cpp_compiler()
        except Exception as exc:  # torch's InvalidCxxCompiler
            raise ConfigError(f"{runner.where('compile', 'backend')}: inductor on CPU needs a C++ compiler and "
                              f"found none ({_first_line(exc)}); install g++ or set CXX, or use backend: "
                              "aot_eager") from None


def compile_model(runner: Runner, model: nn.Module) -> nn.Module:
    """`model` with its forward compiled as `compile` asks (in place), or unchanged when compile is off.

    Call it on the unwrapped model, before DistributedDataParallel wraps it (DDP's forward then calls the
    compiled module, and dynamo splits the graph at DDP's bucket boundaries).
    """
    kwargs = compile_kwargs(runner)
    if kwargs is None:
        return model
    _check_backend(runner, kwargs.get("backend", "inductor"))
    try:
        nn.Module.compile(model, **kwargs)  # not model.compile: a model class may define its own `compile`
    except Exception as exc:  # torch.compile validates backend, mode and options when called
        raise ConfigError(f"{runner.where('compile')}: torch.compile rejected "
                          f"{', '.join(f'{key}={item!r}' for key, item in kwargs.items()) or 'the defaults'}: "
                          f"{_first_line(exc)}") from None
    shown = ", ".join(f"{key}={item!r}" for key, item in kwargs.items())
    runner.logger.info(f"compile: torch.compile({shown}) applied to {type(model).__name__}; the first iterations "
                       "of training and evaluation are slower while it compiles")
    return model


def _first_line(exc: BaseException, limit: int = 300) -> str:
    text = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return text if len(text) <= limit else text[:limit] + " ..."
