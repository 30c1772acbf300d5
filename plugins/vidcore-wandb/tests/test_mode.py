"""Mode choice: explicit settings win; otherwise online only with credentials and a server that answers."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest
from vidcore.errors import BuildError
from vidcore_wandb import mode as mode_module
from vidcore_wandb.mode import ModeChoice, choose_mode, has_credentials, server_reachable


@pytest.fixture
def auto(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WANDB_MODE")


@pytest.mark.parametrize(("kwargs", "settings", "env", "expected"), [
    ({"mode": "disabled"}, {"mode": "online"}, "online", "disabled"),
    ({}, {"mode": "online"}, "offline", "online"),
    ({}, {}, "offline", "offline"),
    ({}, {}, "dryrun", "offline"),
])
def test_an_explicit_mode_is_used_as_given(monkeypatch: pytest.MonkeyPatch, kwargs: dict, settings: dict,
                                           env: str, expected: str) -> None:
    monkeypatch.setenv("WANDB_MODE", env)
    monkeypatch.setattr(mode_module, "server_reachable", pytest.fail)  # never probes
    assert choose_mode(kwargs, settings) == ModeChoice(expected)


def test_wandb_disabled_variable(auto: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WANDB_DISABLED", "true")
    assert choose_mode({}, {}) == ModeChoice("disabled")


def test_invalid_mode_names_where_it_came_from(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WANDB_MODE", "of")
    with pytest.raises(BuildError, match="WANDB_MODE: wandb mode 'of' is not one of"):
        choose_mode({}, {})


def test_netrc_entry_for_the_server_counts_as_credentials(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert not has_credentials()
    (Path.home() / ".netrc").write_text("machine api.wandb.ai\n  login user\n  password " + "k" * 40 + "\n")
    assert has_credentials()
    assert not has_credentials("https://wandb.example.com")
    netrc_file = tmp_path / "netrc"
    netrc_file.write_text("machine wandb.example.com login user password secret\n")
    monkeypatch.setenv("NETRC", str(netrc_file))
    assert has_credentials("https://wandb.example.com") and not has_credentials()


def test_credentials_and_a_reachable_server_mean_online(auto: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WANDB_API_KEY", "k" * 40)
    monkeypatch.setattr(mode_module, "server_reachable", lambda url, timeout: url == "https://api.wandb.ai")
    assert choose_mode({}, {}) == ModeChoice("online")
    reason = choose_mode({}, {"base_url": "https://wandb.example.com"}).reason
    assert reason == "W&B server https://wandb.example.com is unreachable"


def test_behind_a_proxy_wandb_decides(auto: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WANDB_API_KEY", "k" * 40)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy:3128")
    monkeypatch.setattr(mode_module, "server_reachable", pytest.fail)
    assert choose_mode({}, {}) == ModeChoice("online")


def test_server_reachable_probe() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        assert server_reachable(f"http://127.0.0.1:{port}", timeout=2)
    assert not server_reachable(f"http://127.0.0.1:{port}", timeout=2)
    started = time.monotonic()
    assert not server_reachable("https://wandb.invalid", timeout=1)
    assert time.monotonic() - started < 3
