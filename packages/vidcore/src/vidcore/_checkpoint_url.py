"""Checkpoints named by URL (`load_from: https://...`): downloaded once into torch hub's cache, like torchvision's
weights, with a one-line error that says how to proceed without network access."""

from __future__ import annotations

import os
import urllib.parse

from .dist import barrier, get_rank
from .errors import CheckpointError

URL_SCHEMES = ("http://", "https://")


def is_url(path: object) -> bool:
    return isinstance(path, str) and path.lower().startswith(URL_SCHEMES)


def url_cache_path(url: str) -> str:
    """Where the checkpoint at `url` is cached: `<torch hub dir>/checkpoints/<file name>` ($TORCH_HOME/hub,
    by default ~/.cache/torch/hub), the folder torchvision's weights use."""
    import torch.hub

    filename = os.path.basename(urllib.parse.urlparse(url).path)
    if not filename:
        raise CheckpointError(f"{url}: the URL names no file (expected .../<name>.pth)")
    return os.path.join(torch.hub.get_dir(), "checkpoints", filename)


def checkpoint_file(path: str) -> str:
    """`path` itself, or for an http(s) URL the cached download (fetched on first use; rank 0 first under
    DDP, then the others find it cached). A file name in torch hub's `<name>-<sha256 prefix>.pth` form is
    checked against its hash."""
    if not is_url(path):
        return path
    target = url_cache_path(path)
    if get_rank() == 0:
        _download(path, target)
    barrier()
    if get_rank() != 0:
        _download(path, target)
    return target


def _download(url: str, target: str) -> None:
    if os.path.exists(target):
        return
    import torch.hub

    found = torch.hub.HASH_REGEX.search(os.path.basename(target))
    try:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        torch.hub.download_url_to_file(url, target, found.group(1) if found else None, progress=False)
    except Exception as exc:  # offline, proxy, HTTP error, wrong hash: say how to proceed without the network
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise CheckpointError(
            f"cannot download {url} ({reason}); without network access, fetch {os.path.basename(target)} "
            f"elsewhere and copy it to {target}, or set load_from to its local path") from exc

