"""Training curves from the JSON-lines scalar logs (`<run>/vis_data/scalars.json`) as a PNG figure.

Reading is plain Python; matplotlib is imported only by `render_curves` / `plot_curves`, through the
object-oriented API (no pyplot, no global backend switch), so the CLI starts fast and a notebook's
matplotlib backend is left alone.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Sequence

from vidcore.errors import DataError, VidcoreError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "LOG_NAME",
    "BOOKKEEPING_KEYS",
    "PLOT_INSTALL_HINT",
    "Curve",
    "RunLog",
    "find_scalar_log",
    "find_scalar_logs",
    "training_records",
    "read_scalar_log",
    "collect_curves",
    "default_keys",
    "load_run",
    "render_curves",
    "plot_curves",
    "default_output",
]

LOG_NAME = "scalars.json"
# Keys that locate a line rather than measure something; never plotted as curves.
BOOKKEEPING_KEYS = frozenset({"mode", "epoch", "iter", "step"})
# Timing keys, left out of the default selection (still plottable with --keys).
_TIMING_KEYS = frozenset({"time", "data_time", "eta", "memory"})
PLOT_INSTALL_HINT = "pip install matplotlib"


@dataclass
class Curve:
    """One key of one mode of one run: x = train iteration, y = the logged value."""

    key: str
    mode: str
    x: list[float] = field(default_factory=list)
    y: list[float] = field(default_factory=list)


@dataclass
class RunLog:
    """The curves read from one scalar log, labelled for the legend."""

    label: str
    path: Path
    curves: dict[tuple[str, str], Curve]

    def keys(self) -> list[str]:
        return sorted({key for key, _ in self.curves})

    def curves_for(self, key: str) -> list[Curve]:
        return [curve for (name, _), curve in sorted(self.curves.items()) if name == key]


def find_scalar_log(path: str | Path) -> Path:
    """The scalar log for `path`: the file itself, or the newest `*/vis_data/scalars.json` under a work dir.

    A work dir holds one timestamped folder per run (`YYYYmmdd_HHMMSS`); the newest name wins, then the
    newest file. `path` may also be such a timestamped folder.
    """
    return find_scalar_logs(path)[-1]


def find_scalar_logs(path: str | Path) -> list[Path]:
    """Every scalar log of `path`, oldest run first: the file itself, a run folder's log, or the log of each
    run of a work dir (ordered by the run folders' timestamped names, then by modification time)."""
    given = Path(path)
    if given.is_file():
        return [given]
    if not given.is_dir():
        raise DataError(f"{given}: no such file or work dir")
    found = [log for pattern in (f"vis_data/{LOG_NAME}", f"*/vis_data/{LOG_NAME}") for log in given.glob(pattern)]
    found = [log for log in found if log.is_file()]
    if not found:
        raise DataError(f"{given}: no scalar log found (expected {given}/<timestamp>/vis_data/{LOG_NAME})")
    return sorted(found, key=_run_order)


def _run_order(log: Path) -> tuple[str, int, float]:
    """`20250101_000000`, then `_1`, `_2`, ... `_10` (two runs started in one second), then by mtime."""
    stamp, number = _split_run_name(log.parent.parent.name)
    return stamp, number, log.stat().st_mtime


def _split_run_name(name: str) -> tuple[str, int]:
    parts = name.split("_")
    if len(parts) == 3 and parts[2].isdigit():
        return "_".join(parts[:2]), int(parts[2])
    return name, 0


def training_records(logs: Sequence[Path]) -> list[dict[str, Any]]:
    """The records of the training runs among `logs` (oldest first) as one history: a run that resumed
    replaces what the runs before it logged from its first training iteration on; runs without training
    lines (`vidcore test` into the same work dir) are left out."""
    history: list[dict[str, Any]] = []
    for log in logs:
        records = read_scalar_log(log)
        starts = [_x_of(record) for record in records if record.get("mode", "train") == "train"]
        starts = [x for x in starts if x is not None]
        if not starts:
            continue
        cut = next((index for index, record in enumerate(history) if record.get("mode", "train") == "train"
                    and (_x_of(record) or 0.0) >= starts[0]), len(history))
        history = history[:cut] + records
    return history


def read_scalar_log(path: str | Path) -> list[dict[str, Any]]:
    """The JSON objects of a JSON-lines log, in file order; a malformed line is an error naming the line."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise DataError(f"{file}: cannot read scalar log ({exc.strerror or exc})") from exc
    lines = text.splitlines()
    records = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            if number == len(lines) and not text.endswith("\n"):
                break  # the last line of a run that is still writing it
            raise DataError(f"{file}:{number}: not a JSON object ({exc.msg})") from exc
        if not isinstance(record, dict):
            raise DataError(f"{file}:{number}: expected a JSON object, got {type(record).__name__}")
        records.append(record)
    return records


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def _x_of(record: dict[str, Any]) -> float | None:
    for key in ("step", "iter"):
        value = _number(record.get(key))
        if value is not None:
            return value
    return None


def collect_curves(records: Iterable[dict[str, Any]]) -> dict[tuple[str, str], Curve]:
    """Group values by (key, mode). The x of a train line is its `step` (else `iter`).

    A val/test line is placed at the train iteration it followed: its own `step` when that is a train
    iteration (not smaller than the last train step), else the last train step seen before it. This
    plots validation at the right place whether a logger writes the iteration or the epoch as its step.
    """
    curves: dict[tuple[str, str], Curve] = {}
    last_train_x = 0.0
    for record in records:
        mode = str(record.get("mode", "train"))
        own_x = _x_of(record)
        if mode == "train":
            x = own_x if own_x is not None else last_train_x
            last_train_x = x
        else:
            x = own_x if own_x is not None and own_x >= last_train_x else last_train_x
        for key, value in record.items():
            y = _number(value)
            if key in BOOKKEEPING_KEYS or y is None:
                continue
            curve = curves.setdefault((key, mode), Curve(key, mode))
            curve.x.append(x)
            curve.y.append(y)
    return curves


def load_run(path: str | Path, label: str | None = None) -> RunLog:
    """The curves of a work dir's training, across resumes and without test-only runs (see
    `training_records`), or of one run folder or log file as it is."""
    logs = find_scalar_logs(path)
    if not Path(path).is_dir() or (Path(path) / "vis_data" / LOG_NAME).is_file():
        return RunLog(label or _label_for(Path(path)), logs[-1], collect_curves(read_scalar_log(logs[-1])))
    records = training_records(logs)
    if not records:
        raise DataError(f"{path}: no training run found (its {len(logs)} run(s) logged no training lines)")
    return RunLog(label or _label_for(Path(path)), logs[-1], collect_curves(records))


def _label_for(path: Path) -> str:
    if path.is_file():
        # <work_dir>/<timestamp>/vis_data/scalars.json -> <work_dir>
        parts = path.resolve().parts
        return parts[-4] if len(parts) >= 4 and path.parent.name == "vis_data" else path.stem
    return path.resolve().name


def default_keys(runs: Sequence[RunLog]) -> list[str]:
    """Every measured key (losses first), without timing keys."""
    keys = {key for run in runs for key in run.keys() if key not in _TIMING_KEYS}
    return sorted(keys, key=lambda key: (not key.startswith("loss"), key == "lr", key))


def _check_keys(runs: Sequence[RunLog], keys: Sequence[str]) -> None:
    known = sorted({key for run in runs for key in run.keys()})
    for key in keys:
        if not any(run.curves_for(key) for run in runs):
            files = ", ".join(str(run.path) for run in runs)
            raise DataError(f"key '{key}' is not in {files}; keys there: {', '.join(known) or 'none'}")


def _import_matplotlib() -> None:
    try:
        import matplotlib  # noqa: F401
    except ImportError as exc:
        raise VidcoreError(f"plotting needs matplotlib, which is not installed: {PLOT_INSTALL_HINT}") from exc


def render_curves(runs: Sequence[RunLog], keys: Sequence[str] | None = None, *, title: str | None = None) -> Figure:
    """A matplotlib Figure with one subplot per key; each run (and mode) is one labelled line."""
    if not runs:
        raise DataError("no runs to plot")
    keys = list(keys) if keys else default_keys(runs)
    if not keys:
        raise DataError(f"no numeric keys to plot in {', '.join(str(run.path) for run in runs)}")
    _check_keys(runs, keys)
    _import_matplotlib()
    from matplotlib.figure import Figure

    columns = min(len(keys), 2)
    rows = math.ceil(len(keys) / columns)
    figure = Figure(figsize=(6.4 * columns, 4.0 * rows), dpi=100, layout="constrained")
    axes = figure.subplots(rows, columns, squeeze=False).ravel()
    colors = [f"C{index % 10}" for index in range(len(runs))]
    for ax, key in zip(axes, keys):
        for run, color in zip(runs, colors):
            for curve in run.curves_for(key):
                style = "-" if curve.mode == "train" else "--"
                marker = None if curve.mode == "train" and len(curve.x) > 1 else "o"
                label = run.label if curve.mode == "train" else f"{run.label} ({curve.mode})"
                ax.plot(curve.x, curve.y, style, color=color, marker=marker, markersize=4, label=label)
        ax.set_title(key)
        ax.set_xlabel("training iteration")
        ax.set_ylabel(key)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize="small")
    for ax in axes[len(keys):]:
        ax.set_visible(False)
    if title:
        figure.suptitle(title)
    return figure


def default_output(paths: Sequence[str | Path]) -> Path:
    """Where `vidcore plot` writes without `--out`: into the work dir (or run folder) when there is one,
    else `curves.png` in the current directory (several experiments belong to none of them)."""
    if len(paths) == 1:
        given = Path(paths[0])
        folder = given if given.is_dir() else given.parent
        if given.is_file() and folder.name == "vis_data":
            folder = folder.parent.parent  # <work_dir>/<timestamp>/vis_data/scalars.json -> <work_dir>
        return folder / "curves.png"
    return Path("curves.png")


def plot_curves(paths: Sequence[str | Path], out: str | Path | None = None,
                keys: Sequence[str] | None = None) -> Path:
    """Read each work dir's training history (see `load_run`) and write the curves of `keys` as a PNG to
    `out` (default: `default_output(paths)`), titled with the experiment names."""
    labels = [_label_for(Path(path)) for path in paths]
    if len(set(labels)) < len(labels):  # the same folder name in different places: use the paths as given
        labels = [str(path) for path in paths]
    runs = [load_run(path, label) for path, label in zip(paths, labels)]
    figure = render_curves(runs, keys, title=" vs ".join(labels))
    target = Path(out) if out is not None else default_output(paths)
    target.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(target, format="png")
    return target
