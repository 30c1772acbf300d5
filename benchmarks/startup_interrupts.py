"""Ctrl-C at any moment: send SIGINT to `vidcore run` at seeded random moments after it starts (start-up,
imports, building, training) and classify how each run ended. Prints one JSON object.

    python benchmarks/startup_interrupts.py [--runs 60] [--latest 6.5] [--seed 0] [--quick]

Each run trains a toy model (reliability_toys, 3 epochs of 4 iterations slowed to 0.25 s each) in a fresh
work dir. Outcomes:

- `clean`: exit 130 and one stderr line starting `vidcore: interrupted` (the promise);
- `finished_first`: exit 0 because training had ended before the signal came (a late signal, not a failure);
- `traceback`, `ignored` (exit 0 with the signal sent while training was still to come), `other`: failures,
  with an example of each in `examples`.
"""

from __future__ import annotations

import argparse
import json
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "bad_inputs"))

from cli_cases import TOY_CONFIG, VIDCORE  # noqa: E402
from reliability_toys import toy_env  # noqa: E402

CONFIG = TOY_CONFIG.replace("max_epochs: 2", "max_epochs: 3") + "custom_hooks: [{type: SlowIterHook, seconds: 0.25}]\n"


def probe(folder: Path, delay: float) -> tuple[str, str]:
    """One run interrupted `delay` seconds after its start: (outcome, stderr)."""
    work_dir = folder / f"w_{time.monotonic_ns()}"
    process = subprocess.Popen([str(VIDCORE), "run", "toy.yaml", "--work-dir", str(work_dir)], cwd=folder,
                               env=toy_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(delay)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=600)
    lines = [line for line in err.splitlines() if line.strip()]
    if "Traceback" in out + err:
        return "traceback", err
    if process.returncode == 0:
        return ("finished_first" if "run summary:" in out and "Epoch(train) [3]" in out else "ignored"), err
    if process.returncode == 130 and len(lines) == 1 and lines[0].startswith("vidcore: interrupted"):
        return "clean", err
    if process.returncode == -signal.SIGINT and not lines:  # before Python itself was ready: the OS default
        return "clean", err
    return "other", f"exit {process.returncode}: {err}"


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--earliest", type=float, default=0.1)
    parser.add_argument("--latest", type=float, default=6.5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="a smoke run: 2 runs")
    args = parser.parse_args(argv)
    if args.quick:
        args.runs = 2
    rng = random.Random(args.seed)
    counts: dict[str, int] = {}
    examples: dict[str, str] = {}
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="vidcore_sigint_") as name:
        folder = Path(name)
        (folder / "toy.yaml").write_text(CONFIG)
        for _ in range(args.runs):
            delay = round(rng.uniform(args.earliest, args.latest), 3)
            outcome, err = probe(folder, delay)
            counts[outcome] = counts.get(outcome, 0) + 1
            if outcome not in ("clean", "finished_first"):
                examples.setdefault(outcome, f"at {delay} s: {err[-500:]}")
    report = {"runs": args.runs, "sigint_between_s": [args.earliest, args.latest], **counts, "examples": examples,
              "seed": args.seed, "seconds": round(time.monotonic() - started, 1)}
    print(json.dumps(report))
    return report


if __name__ == "__main__":
    main()
