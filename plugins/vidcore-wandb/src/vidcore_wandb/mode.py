"""Choose wandb's mode without prompting and without waiting on a network that cannot be reached.

An explicit choice (init_kwargs `mode`, settings `mode`, `WANDB_MODE`, `WANDB_DISABLED`) is used as given.
Otherwise the run goes online only when credentials exist (`WANDB_API_KEY`, `WANDB_IDENTITY_TOKEN_FILE`
or a netrc entry for the server, as `wandb login` writes) and the server answers a TCP connect within a
few seconds; else it goes offline with a one-line reason. Pure standard library: wandb is not imported.
"""

from __future__ import annotations

import netrc
import os
import socket
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import urlsplit

from vidcore.errors import BuildError

__all__ = ["ModeChoice", "choose_mode", "has_credentials", "server_reachable", "DEFAULT_BASE_URL"]

DEFAULT_BASE_URL = "https://api.wandb.ai"
MODES = ("online", "offline", "disabled", "shared")
_ALIASES = {"dryrun": "offline", "run": "online"}
_PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")


@dataclass(frozen=True)
class ModeChoice:
    """The mode to pass to `wandb.init`, and why it was chosen when it was not asked for (else None)."""

    mode: str
    reason: str | None = None


def choose_mode(init_kwargs: Mapping[str, Any], settings: Mapping[str, Any], *,
                probe_timeout: float = 3.0) -> ModeChoice:
    """The mode for `wandb.init(**init_kwargs, settings=settings)`; see the module docstring."""
    sources = (("init_kwargs.mode", init_kwargs.get("mode")), ("init_kwargs.settings.mode", settings.get("mode")),
               ("WANDB_MODE", os.environ.get("WANDB_MODE")))
    source, explicit = next(((name, value) for name, value in sources if value), ("", None))
    if not explicit and os.environ.get("WANDB_DISABLED", "").lower() in ("1", "true", "yes"):
        explicit = "disabled"
    if explicit:
        mode = _ALIASES.get(str(explicit), str(explicit))
        if mode not in MODES:
            raise BuildError(f"{source}: wandb mode {explicit!r} is not one of {', '.join(MODES)}")
        return ModeChoice(mode)
    base_url = str(settings.get("base_url") or os.environ.get("WANDB_BASE_URL") or DEFAULT_BASE_URL)
    if not has_credentials(base_url):
        return ModeChoice("offline", "no W&B credentials (WANDB_API_KEY or `wandb login`)")
    if _uses_proxy(settings) or server_reachable(base_url, probe_timeout):
        return ModeChoice("online")
    return ModeChoice("offline", f"W&B server {base_url} is unreachable")


def has_credentials(base_url: str = DEFAULT_BASE_URL) -> bool:
    """Whether wandb would find credentials for `base_url` without asking: environment, then netrc."""
    if os.environ.get("WANDB_API_KEY") or os.environ.get("WANDB_IDENTITY_TOKEN_FILE"):
        return True
    host = urlsplit(base_url).hostname or base_url
    for path in _netrc_paths():
        if not path.is_file():
            continue
        try:
            entry = netrc.netrc(str(path)).authenticators(host)
        except (netrc.NetrcParseError, OSError):
            return False
        return bool(entry and entry[2])
    return False


def _netrc_paths() -> list[Path]:
    if os.environ.get("NETRC"):
        return [Path(os.environ["NETRC"]).expanduser()]
    return [Path("~/.netrc").expanduser(), Path("~/_netrc").expanduser()]


def _uses_proxy(settings: Mapping[str, Any]) -> bool:
    """Behind a proxy a direct connect says nothing; leave reachability to wandb."""
    return bool(settings.get("https_proxy") or settings.get("http_proxy")
                or any(os.environ.get(name) for name in _PROXY_VARIABLES))


def server_reachable(base_url: str, timeout: float = 3.0) -> bool:
    """Whether a TCP connection to the server opens within `timeout` seconds (name lookup included)."""
    parts = urlsplit(base_url)
    if not parts.hostname:
        return False
    port = parts.port or (443 if parts.scheme == "https" else 80)
    result: list[bool] = []

    def connect() -> None:
        try:
            socket.create_connection((parts.hostname, port), timeout=timeout).close()
            result.append(True)
        except OSError:
            result.append(False)

    # The name lookup ignores socket timeouts, so the whole attempt runs in a thread we stop waiting for.
    thread = threading.Thread(target=connect, name="vidcore-wandb-probe", daemon=True)
    thread.start()
    thread.join(timeout)
    return bool(result and result[0])
