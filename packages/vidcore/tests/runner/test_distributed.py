"""Two CPU processes under torchrun (gloo) train exactly like one process with the doubled batch."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from vidcore.checkpoint import load_checkpoint
from vidcore.runner import Runner
from vidcore_runner_ddp_worker import ddp_cfg
from vidcore_runner_toys import model_weights, read_json_lines

HERE = Path(__file__).parent
TORCHRUN = shutil.which("torchrun", path=str(Path(sys.executable).parent))


@pytest.mark.skipif(TORCHRUN is None, reason="torchrun is not installed next to this Python")
def test_two_processes_equal_one_process_with_the_doubled_batch(registry, tmp_path: Path):
    env = dict(os.environ, VIDCORE_PLUGINS="", OMP_NUM_THREADS="1", CUDA_VISIBLE_DEVICES="")
    result = subprocess.run(
        [TORCHRUN, "--standalone", "--nproc_per_node", "2", str(HERE / "vidcore_runner_ddp_worker.py"),
         str(tmp_path / "ddp"), str(tmp_path / "ddp_weights.pth")],
        env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert json.loads((tmp_path / "ddp_weights.json").read_text()) == {"world_size": 2, "distributed": True}

    single = Runner(ddp_cfg(str(tmp_path / "single"), batch_size=4), registry=registry)
    single.train()
    distributed = torch.load(tmp_path / "ddp_weights.pth", weights_only=True)
    for key, value in model_weights(single).items():
        assert torch.allclose(distributed[key], value, atol=1e-6), key

    # validation metrics are gathered from both ranks: the same accuracy as one process sees
    def val_metrics(work_dir):
        return [line["acc/top1"] for line in read_json_lines(work_dir) if line["mode"] == "val"]
    assert val_metrics(tmp_path / "ddp") == val_metrics(tmp_path / "single")

    # rank 0 alone writes: one run folder, one log, checkpoints holding both ranks' RNG states
    assert len([p for p in (tmp_path / "ddp").iterdir() if p.is_dir()]) == 1
    assert len(list((tmp_path / "ddp").glob("*/*.log"))) == 1
    checkpoint = load_checkpoint(tmp_path / "ddp" / "epoch_2.pth")
    assert len(checkpoint["rng"]) == 2 and checkpoint["meta"]["world_size"] == 2
    assert not any(key.startswith("module.") for key in checkpoint["state_dict"])
