"""SyncBuffersHook: buffers averaged over two torchrun ranks; a no-op in one process."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from vidcore.hooks import SyncBuffersHook
from vidcore.runner import Runner
from vidcore_runner_toys import make_cfg

HERE = Path(__file__).parent
TORCHRUN = shutil.which("torchrun", path=str(Path(sys.executable).parent))


@pytest.mark.skipif(TORCHRUN is None, reason="torchrun is not installed next to this Python")
def test_two_ranks_end_with_the_mean_of_their_float_buffers(tmp_path: Path):
    env = dict(os.environ, VIDCORE_PLUGINS="", OMP_NUM_THREADS="1", CUDA_VISIBLE_DEVICES="")
    result = subprocess.run([TORCHRUN, "--standalone", "--nproc_per_node", "2",
                             str(HERE / "vidcore_sync_buffers_worker.py"), str(tmp_path)],
                            env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    ranks = [json.loads((tmp_path / f"rank{rank}.json").read_text()) for rank in (0, 1)]
    for state in ranks:
        assert state["mean"] == [1.5] * 3 and state["var"] == [4.0] * 3
    assert [state["tracked"] for state in ranks] == [10, 11]
    assert ranks[0]["weight"] == ranks[1]["weight"]  # parameters are DDP's business, untouched


def test_a_single_process_run_with_the_hook_from_the_config(registry, tmp_path: Path):
    cfg = make_cfg(tmp_path, custom_hooks=[{"type": "SyncBuffersHook"}],
                   train_cfg={"type": "EpochBasedTrainLoop", "max_epochs": 1})
    runner = Runner(cfg, registry=registry)
    runner.train()
    assert any(isinstance(hook, SyncBuffersHook) for hook in runner.hooks)
