"""Offline W&B for every test, and a reader for the run files wandb writes (its `.wandb` transaction log)."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pytest

_CLEARED = ("WANDB_API_KEY", "WANDB_IDENTITY_TOKEN_FILE", "WANDB_BASE_URL", "WANDB_DISABLED", "WANDB_MODE",
            "NETRC", "HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")


@pytest.fixture(autouse=True)
def offline_wandb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No credentials, no network, a private HOME; runs go to `tmp_path/wandb_dir/wandb/offline-run-*`."""
    for name in _CLEARED:
        monkeypatch.delenv(name, raising=False)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_DIR", str(tmp_path / "wandb_dir"))
    monkeypatch.setenv("WANDB_SILENT", "true")
    monkeypatch.setenv("WANDB_CONSOLE", "off")
    (tmp_path / "wandb_dir").mkdir()
    return tmp_path / "wandb_dir"


@dataclass
class OfflineRun:
    """What an offline run recorded: history rows (without wandb's own `_` keys), config, metrics, exit code."""

    path: Path
    history: list[dict[str, Any]] = field(default_factory=list)
    config: dict[str, Any] = field(default_factory=dict)
    metrics: list[Any] = field(default_factory=list)
    exit_code: int | None = None

    @property
    def files(self) -> Path:
        return self.path / "files"


def _records(path: Path) -> list[Any]:
    """Records of a `.wandb` file: a 7-byte header, then LevelDB-log chunks in 32 KiB blocks."""
    from wandb.proto import wandb_internal_pb2

    data = path.read_bytes()
    assert data[:4] == b":W&B", f"{path} is not a W&B transaction log"
    position, block, chunks, records = 7, 32768, [], []
    while position + 7 <= len(data):
        left = block - position % block
        if left < 7:  # block trailer padding
            position += left
            continue
        length = int.from_bytes(data[position + 4:position + 6], "little")
        kind = data[position + 6]
        if position + 7 + length > len(data):  # a record still being written
            break
        chunks.append(data[position + 7:position + 7 + length])
        position += 7 + length
        if kind in (1, 4):  # FULL or LAST chunk
            record = wandb_internal_pb2.Record()
            record.ParseFromString(b"".join(chunks))
            records.append(record)
            chunks = []
    return records


def _finished_records(log: Path, timeout: float = 30.0) -> list[Any]:
    """The records once the run's exit record is on disk: `run.finish()` returns before wandb-core has
    written an offline run's file, which follows within moments (at the latest when the process ends)."""
    deadline = time.monotonic() + timeout
    while True:
        records = _records(log)
        if any(record.WhichOneof("record_type") == "exit" for record in records) or time.monotonic() > deadline:
            return records
        time.sleep(0.2)


def read_offline_run(directory: Path) -> OfflineRun:
    """The single offline run under `directory` (a `wandb` dir's parent, or the run folder itself)."""
    runs = sorted(directory.glob("offline-run-*")) or sorted(directory.glob("wandb/offline-run-*"))
    assert len(runs) == 1, f"expected one offline run under {directory}, found {runs}"
    (log,) = runs[0].glob("run-*.wandb")
    run = OfflineRun(runs[0])
    for record in _finished_records(log):
        kind = record.WhichOneof("record_type")
        if kind == "history":
            row: dict[str, Any] = {}
            for item in record.history.item:
                *parents, leaf = list(item.nested_key) or [item.key]  # media come as ["name", "path"], ...
                target = row
                for parent in parents:
                    target = target.setdefault(parent, {})
                target[leaf] = json.loads(item.value_json)
            run.history.append({key: value for key, value in row.items() if not key.startswith("_")})
        elif kind in ("run", "config"):
            updates = record.run.config.update if kind == "run" else record.config.update
            for item in updates:
                run.config["/".join(item.nested_key) or item.key] = json.loads(item.value_json)
        elif kind == "metric":
            run.metrics.append(record.metric)
        elif kind == "exit":
            run.exit_code = record.exit.exit_code
    return run


@pytest.fixture
def read_run() -> Callable[[Path], OfflineRun]:
    return read_offline_run
