"""The worker pool and progress display behind `vidcore data`: every task gets an outcome, whatever happens to
its worker process."""

from __future__ import annotations

import math
import os
import time

from vidcore_video.data_tools.progress import FileProgress
from vidcore_video.data_tools.worker_pool import run_tasks


def test_every_task_gets_its_value_or_the_reason_it_failed():
    outcomes = {outcome.index: outcome for outcome in run_tasks(math.sqrt, [4.0, -1.0, 9.0], workers=2, timeout=30)}
    assert sorted(outcomes) == [0, 1, 2]
    assert (outcomes[0].value, outcomes[2].value) == (2.0, 3.0) and outcomes[0].ok
    assert not outcomes[1].ok and outcomes[1].error == "ValueError: math domain error"


def test_a_hung_task_is_killed_and_a_dead_worker_replaced():
    started = time.monotonic()
    hung = list(run_tasks(time.sleep, [30, 0], workers=1, timeout=0.5))
    assert time.monotonic() - started < 20
    assert [(outcome.index, outcome.error) for outcome in hung] == [(0, "timed out after 0.5 s (killed)"), (1, None)]

    died = {outcome.index: outcome.error for outcome in run_tasks(os._exit, [3, 0], workers=1, timeout=30)}
    assert died == {0: "the worker process died (exit status 3)", 1: "the worker process died (exit status 0)"}


def test_plain_progress_lines_go_to_stderr_and_report_lines_to_stdout(capsys):
    with FileProgress("vidcore data check", 3, enabled=False, plain_every_s=0) as progress:
        progress.advance()
        progress.print("list.txt:2: a.mp4: file is empty (0 bytes)")
        progress.advance(2)
    captured = capsys.readouterr()
    assert captured.out == "list.txt:2: a.mp4: file is empty (0 bytes)\n"
    assert captured.err.startswith("vidcore data check: 1/3 files, ") and "files/s, ETA " in captured.err
    assert len(captured.err.splitlines()) == 1  # no line once every file is done: the summary follows
