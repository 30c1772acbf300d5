"""`load_from` as an http(s) URL: downloaded once into torch hub's cache, then used offline; a one-line error
naming the URL and the cache path when it cannot be fetched."""

from __future__ import annotations

import functools
import hashlib
import http.server
import socket
import threading
from pathlib import Path

import pytest
import torch
from vidcore.errors import CheckpointError
from vidcore.runner import Runner
from vidcore_runner_toys import ToyModel, make_cfg, model_weights


@pytest.fixture
def torch_home(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch_home"))
    return tmp_path / "torch_home" / "hub" / "checkpoints"


@pytest.fixture
def served(tmp_path: Path):
    """A folder served over HTTP on localhost; yields (folder, base URL, server, paths requested)."""
    folder = tmp_path / "www"
    folder.mkdir()
    requests: list[str] = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def do_GET(self):
            requests.append(self.path)
            super().do_GET()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield folder, f"http://127.0.0.1:{server.server_address[1]}", server, requests
    server.shutdown()
    server.server_close()


def write_weights(folder: Path) -> tuple[str, dict[str, torch.Tensor]]:
    """A checkpoint of a ToyModel named in torch hub's `<name>-<sha256 prefix>.pth` form."""
    torch.manual_seed(7)
    state = ToyModel().state_dict()
    plain = folder / "toy.pth"
    torch.save({"state_dict": state}, plain)
    digest = hashlib.sha256(plain.read_bytes()).hexdigest()[:8]
    name = f"toy-{digest}.pth"
    plain.rename(folder / name)
    return name, state


def short_cfg(work_dir: Path, load_from: str) -> dict:
    return make_cfg(work_dir, load_from=load_from, val_dataloader=None, val_evaluator=None,
                    train_cfg={"type": "EpochBasedTrainLoop", "max_epochs": 1},
                    optim_wrapper={"optimizer": {"type": "SGD", "lr": 0.0}}, default_hooks={"checkpoint": None})


def test_downloaded_once_then_loaded_from_the_cache(registry, tmp_path: Path, torch_home: Path, served):
    folder, base, server, requests = served
    name, state = write_weights(folder)
    runner = Runner(short_cfg(tmp_path / "first", f"{base}/{name}"), registry=registry)
    runner.train()  # lr 0: the weights stay those downloaded
    assert all(torch.equal(value, state[key]) for key, value in model_weights(runner).items())
    assert (torch_home / name).is_file() and requests == [f"/{name}"]

    server.shutdown()  # offline now: the cached copy serves
    runner = Runner(short_cfg(tmp_path / "second", f"{base}/{name}"), registry=registry)
    runner.train()
    assert all(torch.equal(value, state[key]) for key, value in model_weights(runner).items())
    assert requests == [f"/{name}"]


def test_offline_error_names_the_url_and_where_to_put_the_file(registry, tmp_path: Path, torch_home: Path):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/weights/tsn_r50.pth"
    with pytest.raises(CheckpointError) as raised:
        Runner(short_cfg(tmp_path, url), registry=registry).train()
    message = str(raised.value)
    assert "\n" not in message and message.startswith(f"cannot download {url} (")
    assert message.endswith(f"without network access, fetch tsn_r50.pth elsewhere and copy it to "
                            f"{torch_home / 'tsn_r50.pth'}, or set load_from to its local path")
    assert not (torch_home / "tsn_r50.pth").exists()


def test_a_wrong_hash_in_the_file_name_is_refused(registry, tmp_path: Path, torch_home: Path, served):
    folder, base, _, _ = served
    name, _ = write_weights(folder)
    (folder / name).rename(folder / "toy-00000000.pth")
    with pytest.raises(CheckpointError, match=r"cannot download .*/toy-00000000\.pth \(.*hash"):
        Runner(short_cfg(tmp_path, f"{base}/toy-00000000.pth"), registry=registry).train()
    assert not (torch_home / "toy-00000000.pth").exists()
