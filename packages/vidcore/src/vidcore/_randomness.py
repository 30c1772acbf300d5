"""Seeding and random-number-generator state: `randomness: {seed, deterministic, diff_rank_seed}`.

RNG states are returned as plain lists and tensors so that checkpoints load with `weights_only=True`.
"""

from __future__ import annotations

import os
import random
from typing import Any

import numpy as np
import torch

from .dist import broadcast_object, get_rank


def set_random_seed(seed: int | None = None, deterministic: bool = False, diff_rank_seed: bool = False) -> int:
    """Seed python, numpy and torch (all devices); return the seed used.

    Without a seed, rank 0 draws one and every rank uses it, so samplers shuffle alike on all ranks.
    `diff_rank_seed` adds the rank (different augmentation/dropout streams per process).
    `deterministic` asks torch for deterministic algorithms (errors on ops that have none).
    """
    if seed is None:
        seed = broadcast_object(int(np.random.SeedSequence().generate_state(1)[0] >> 1))
    if diff_rank_seed:
        seed += get_rank()
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    if deterministic:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.use_deterministic_algorithms(True)
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False
    return seed


def get_rng_state() -> dict[str, Any]:
    """The python, numpy, torch and (when initialised) CUDA generator states, as weights-only-safe data."""
    version, internal, gauss = random.getstate()
    kind, keys, position, has_gauss, cached = np.random.get_state()
    state: dict[str, Any] = {
        "python": [version, list(internal), gauss],
        "numpy": [kind, keys.tolist(), int(position), int(has_gauss), float(cached)],
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore what `get_rng_state` returned."""
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    kind, keys, position, has_gauss, cached = state["numpy"]
    np.random.set_state((kind, np.asarray(keys, dtype=np.uint32), position, has_gauss, cached))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        for device, cuda_state in enumerate(state["cuda"][: torch.cuda.device_count()]):
            torch.cuda.set_rng_state(cuda_state, device)


def worker_init_fn(worker_id: int, rank: int = 0) -> None:
    """Seed a DataLoader worker's python, numpy and torch generators from torch's per-worker seed and the rank.

    torch gives each worker `base_seed + worker_id`, and draws `base_seed` anew for every epoch's
    iterator, so augmentations differ between workers, ranks and epochs (a fixed per-worker seed would
    repeat the same augmentations every epoch).
    """
    seed_generators([torch.initial_seed() % 2**63, rank, worker_id])


def seed_generators(entropy: list[int]) -> None:
    """Seed python's, numpy's and torch's global generators from non-negative integers, mixed (SeedSequence)."""
    seeds = np.random.SeedSequence(entropy).generate_state(2)
    seed = int(seeds[0]) | (int(seeds[1]) << 32)
    random.seed(seed)
    np.random.seed(int(seeds[0]))
    torch.manual_seed(seed)
