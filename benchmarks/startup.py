"""Start-up cost of the CLI: wall time of `vidcore --help`, `vidcore plugins`, `vidcore config show` on a TSN
config, each as a ratio to `python -c pass`, plus how many modules each imports. Prints one JSON object.

As after `pip install`, modules run from compiled bytecode: each command runs once first with bytecode writing
allowed (PYTHONDONTWRITEBYTECODE removed). `help` is the usual case, the help text stored by an earlier run
(vidcore.cli._help_cache); `help_first_run` is a run that finds none and loads every plugin to list commands.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TSN_CONFIG = ROOT / "configs/tsn/tsn_r50_1x1x3_100e_kinetics400.yaml"

COUNT_MODULES = (
    "import sys, runpy\n"
    "sys.argv = ['vidcore'] + {argv!r}\n"
    "try:\n    runpy.run_module('vidcore', run_name='__main__')\n"
    "except SystemExit:\n    pass\n"
    "sys.stderr.write('MODULES %d TORCH %d\\n' % (len(sys.modules), 'torch' in sys.modules))\n"
)


def median_wall_time(command: list[str], repeats: int, env: dict[str, str] | None = None) -> float:
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, env=env)  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, env=env)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def modules_imported(argv: list[str], env: dict[str, str] | None = None) -> tuple[int, bool]:
    result = subprocess.run([sys.executable, "-c", COUNT_MODULES.format(argv=argv)],
                            capture_output=True, text=True, check=False, env=env)
    line = [x for x in result.stderr.splitlines() if x.startswith("MODULES")][-1].split()
    return int(line[1]), line[3] == "1"


DISCOVERY = {  # (set-up, timed statement): finding the `vidcore` entry points in this environment
    "importlib_metadata_s": ("from importlib import metadata", "metadata.entry_points(group='vidcore')"),
    "vidcore_discovery_s": ("from vidcore.plugins._discovery import scan_entry_points", "scan_entry_points()"),
}


def discovery_seconds(setup_and_statement: tuple[str, str], repeats: int) -> float:
    setup, statement = setup_and_statement
    code = f"import time; {setup}; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
    runs = [float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout)
            for _ in range(repeats)]
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--quick", action="store_true", help="3 repeats, for a CI smoke run")
    args = parser.parse_args()
    repeats = 3 if args.quick else args.repeats
    vidcore = str(Path(sys.executable).with_name("vidcore"))
    cache = tempfile.TemporaryDirectory()
    env = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
    env["VIDCORE_CACHE_DIR"] = cache.name
    no_cache_env = dict(env, VIDCORE_CACHE_DIR=os.path.join(os.devnull, "unwritable"))
    baseline = median_wall_time([sys.executable, "-c", "pass"], repeats, env)
    commands = {"help": (["--help"], env), "help_first_run": (["--help"], no_cache_env), "plugins": (["plugins"], env)}
    if TSN_CONFIG.is_file():
        commands["config_show_tsn"] = (["config", "show", str(TSN_CONFIG)], env)
    report: dict = {"benchmark": "startup", "python_c_pass_s": round(baseline, 4), "repeats": repeats,
                    "entry_point_discovery": {name: round(discovery_seconds(statement, repeats), 4)
                                              for name, statement in DISCOVERY.items()}}
    for name, (argv, command_env) in commands.items():
        seconds = median_wall_time([vidcore, *argv], repeats, command_env)
        modules, torch_imported = modules_imported(argv, command_env)
        report[name] = {"seconds": round(seconds, 4), "ratio_to_python": round(seconds / baseline, 2),
                        "modules": modules, "imports_torch": torch_imported}
    cache.cleanup()
    print(json.dumps(report))


if __name__ == "__main__":
    main()
