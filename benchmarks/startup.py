"""Start-up cost of the CLI: wall time of `vidcore --help`, `vidcore plugins`, `vidcore config show` on a TSN
config, each as a ratio to `python -c pass`, plus how many modules each imports. Prints one JSON object."""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
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


def median_wall_time(command: list[str], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def modules_imported(argv: list[str]) -> tuple[int, bool]:
    result = subprocess.run([sys.executable, "-c", COUNT_MODULES.format(argv=argv)],
                            capture_output=True, text=True, check=False)
    line = [x for x in result.stderr.splitlines() if x.startswith("MODULES")][-1].split()
    return int(line[1]), line[3] == "1"


DISCOVERY = {  # (set-up, timed statement): finding the `vidcore` entry points in this environment
    "importlib_metadata_s": ("from importlib import metadata", "metadata.entry_points(group='vidcore')"),
    "vidcore_discovery_s": ("from vidcore.plugins.discovery import scan_entry_points", "scan_entry_points()"),
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
    baseline = median_wall_time([sys.executable, "-c", "pass"], repeats)
    commands = {"help": ["--help"], "plugins": ["plugins"]}
    if TSN_CONFIG.is_file():
        commands["config_show_tsn"] = ["config", "show", str(TSN_CONFIG)]
    report: dict = {"benchmark": "startup", "python_c_pass_s": round(baseline, 4), "repeats": repeats,
                    "entry_point_discovery": {name: round(discovery_seconds(statement, repeats), 4)
                                              for name, statement in DISCOVERY.items()}}
    for name, argv in commands.items():
        seconds = median_wall_time([vidcore, *argv], repeats)
        modules, torch_imported = modules_imported(argv)
        report[name] = {"seconds": round(seconds, 4), "ratio_to_python": round(seconds / baseline, 2),
                        "modules": modules, "imports_torch": torch_imported}
    print(json.dumps(report))


if __name__ == "__main__":
    main()
