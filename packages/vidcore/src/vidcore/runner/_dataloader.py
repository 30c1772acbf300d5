"""Build a torch DataLoader from a `<split>_dataloader` config: dataset, sampler, collate function, seeding."""

from __future__ import annotations

import functools
import re
import sys
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Mapping, Sequence

import torch
from torch.utils.data import DataLoader

from .. import errors
from .._keypath import KeyPart, format_key_path
from .._randomness import worker_init_fn
from ..config._values import dataloader_errors
from ..errors import ConfigError, VidcoreError
from ._injection import accepted_arguments
from ._sample_seeds import SeededDataset, SeededSampler

if TYPE_CHECKING:
    from ..registry import Registry


Locate = Callable[[Sequence[KeyPart]], "str | None"]


def build_dataloader(cfg: Any, split: str, registry: Registry, seed: int, locate: Locate | None = None,
                     rank: int = 0) -> DataLoader:
    """The DataLoader for `<split>_dataloader`. Samplers default to `DefaultSampler` (shuffled for train).

    The collate function is the config's `collate_fn`, else the dataset's `collate_fn` attribute (a registered
    name or a function), else `pseudo_collate`. `pin_memory` defaults to whether CUDA is available.
    The loader gets its own torch.Generator (seeded with `seed`) so that creating its iterators never
    draws from the global RNG, and a `worker_init_fn` that seeds each worker per epoch and rank; with
    workers, each sample is also seeded by its position in the pass (_sample_seeds.py).
    """
    key = f"{split}_dataloader"
    if isinstance(cfg, DataLoader):
        return cfg
    problems = dataloader_errors(cfg, key, locate)
    if problems:
        raise problems[0]

    dataset = cfg["dataset"]
    if isinstance(dataset, Mapping):
        dataset = registry.build(dataset, "datasets", key_path=(key, "dataset"), locate=locate)
    sampler_cfg = dict(cfg.get("sampler") or {"shuffle": split == "train"})
    sampler_cfg.setdefault("type", "DefaultSampler")
    sampler_path = (key, "sampler")
    defaults = accepted_arguments(registry, sampler_cfg, "samplers", sampler_path, {"dataset": dataset, "seed": seed})
    if "dataset" not in defaults:  # torch's own samplers call it `data_source`
        defaults.update(accepted_arguments(registry, sampler_cfg, "samplers", sampler_path, {"data_source": dataset}))
    sampler = registry.build(sampler_cfg, "samplers", default_args=defaults, key_path=sampler_path,
                             locate=locate)
    collate_cfg = cfg.get("collate_fn")
    if collate_cfg is None:  # the dataset may name the collate function its samples want
        collate_cfg = getattr(dataset, "collate_fn", None)
        collate_cfg = {"type": collate_cfg} if isinstance(collate_cfg, str) else collate_cfg
    collate_fn = _collate_function(collate_cfg, registry, (key, "collate_fn"), locate)

    num_workers = int(cfg.get("num_workers", 0))
    options: dict[str, Any] = {}
    if num_workers > 0:
        options["persistent_workers"] = bool(cfg.get("persistent_workers", False))
        if cfg.get("prefetch_factor") is not None:
            options["prefetch_factor"] = cfg["prefetch_factor"]
    generator = torch.Generator()
    generator.manual_seed(seed)
    if num_workers > 0:  # each sample seeded by its position, whichever worker loads it (_sample_seeds.py)
        dataset, sampler = SeededDataset(dataset, rank), SeededSampler(sampler, generator)
    return DataLoader(
        dataset,
        batch_size=cfg.get("batch_size", 1),
        sampler=sampler,
        num_workers=num_workers,
        collate_fn=collate_fn,
        pin_memory=_pin_memory(cfg.get("pin_memory")),
        drop_last=bool(cfg.get("drop_last", False)),
        timeout=cfg.get("timeout", 0),
        worker_init_fn=functools.partial(worker_init_fn, rank=rank),
        generator=generator,
        **options,
    )


def _pin_memory(value: Any) -> bool:
    """`pin_memory` as configured; unset, pinned whenever CUDA is there, so that batches reach the GPU in one
    non-blocking copy."""
    return torch.cuda.is_available() if value is None else bool(value)


def _where(locate: Locate | None, path: Sequence[KeyPart]) -> str:
    source = locate(path) if locate else None
    return f"{source}: {format_key_path(path)}" if source else format_key_path(path)


def _collate_function(cfg: Any, registry: Registry, path: tuple[KeyPart, ...], locate: Locate | None) -> Callable:
    """`collate_fn: {type: name, ...arguments}` -> the registered function with those arguments bound."""
    if cfg is None:
        cfg = {"type": "pseudo_collate"}
    if callable(cfg):
        return cfg
    if not isinstance(cfg, Mapping) or "type" not in cfg:
        raise ConfigError(f"{_where(locate, path)}: expected {{type: <collate function>}} "
                          f"(pseudo_collate, default_collate, ...), got {cfg!r}")
    arguments = {name: value for name, value in cfg.items() if name != "type"}
    name = cfg["type"]
    try:
        function = registry.lookup("collate_fns", name).load() if isinstance(name, str) else name
    except VidcoreError as exc:
        raise type(exc)(f"{_where(locate, path + ('type',))}: {exc}") from exc
    return functools.partial(function, **arguments) if arguments else function


def seed_dataloader(loader: Any, seed: int) -> None:
    """Reseed the loader's own generator (its iterators draw the workers' base seed from it, and with workers
    its seed is the pass seed of every sample's seed)."""
    generator = getattr(loader, "generator", None)
    if isinstance(generator, torch.Generator):
        generator.manual_seed(seed)


def skip_batches(loader: Any, batches: int) -> bool:
    """Make the loader's next iterator start `batches` batches later, by telling the sampler to skip
    indices (no data is loaded). False when the sampler cannot skip; the caller then iterates instead."""
    sampler = getattr(loader, "sampler", None)
    batch_size = getattr(loader, "batch_size", None)
    if batches <= 0:
        return True
    if not hasattr(sampler, "set_start") or batch_size is None:
        return False
    sampler.set_start(batches * batch_size)
    return True


_WORKER_ERROR = re.compile(r"^Caught \w+ in DataLoader worker process \d+\.")
_LAST_LINE = re.compile(r"^([A-Za-z_][\w.]*): (.+)$")


def user_errors_from_workers(batches: Iterable[Any]) -> Iterator[Any]:
    """`batches`, except that a user error (a VidcoreError, e.g. an undecodable file) raised in a DataLoader
    worker comes back as that one-line error instead of torch's RuntimeError holding the worker's traceback."""
    iterator = iter(batches)
    while True:
        try:
            batch = next(iterator)
        except StopIteration:
            return
        except Exception as exc:
            user_error = _user_error_of_worker(exc)
            if user_error is None:
                raise
            raise user_error from exc
        yield batch


def _user_error_of_worker(exc: Exception) -> VidcoreError | None:
    """The VidcoreError a worker raised, rebuilt from torch's "Caught X in DataLoader worker process N" message
    (its last line is `module.Class: message`); None for any other exception."""
    text = str(exc)
    if not _WORKER_ERROR.match(text):
        return None
    last = next((line for line in reversed(text.splitlines()) if line.strip()), "")
    found = _LAST_LINE.match(last)
    if found is None:
        return None
    module, _, name = found.group(1).rpartition(".")
    raised = getattr(sys.modules.get(module), name, None)
    if not (isinstance(raised, type) and issubclass(raised, VidcoreError)):
        return None
    kinds = (errors.DataError, errors.ConfigError, errors.CheckpointError, errors.BuildError, errors.RegistryError,
             errors.PluginError, VidcoreError)
    kind = next(kind for kind in kinds if issubclass(raised, kind))
    return kind(found.group(2))
