"""Run under torchrun by test_sync_buffers_hook.py: each rank's BatchNorm statistics differ, then SyncBuffersHook
runs at an epoch end; each rank writes its buffers to <out>/rank<N>.json."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from types import SimpleNamespace

import torch
from vidcore.dist import get_rank, init_distributed
from vidcore.hooks import SyncBuffersHook

if __name__ == "__main__":
    init_distributed(backend="gloo")
    rank = get_rank()
    model = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.BatchNorm1d(3))
    model[1].running_mean.fill_(float(rank + 1))  # 1 and 2: mean 1.5
    model[1].running_var.fill_(float(4 * rank + 2))  # 2 and 6: mean 4
    model[1].num_batches_tracked.fill_(10 + rank)  # a counter: left alone
    ddp = torch.nn.parallel.DistributedDataParallel(model, broadcast_buffers=False)
    hook = SyncBuffersHook()
    hook.after_train_epoch(SimpleNamespace(model=ddp))
    hook.before_val_epoch(SimpleNamespace(model=ddp))  # already synced after the epoch: no second collective
    Path(sys.argv[1], f"rank{rank}.json").write_text(json.dumps(
        {"mean": model[1].running_mean.tolist(), "var": model[1].running_var.tolist(),
         "tracked": int(model[1].num_batches_tracked), "weight": model[0].weight.tolist()}))
    torch.distributed.destroy_process_group()
