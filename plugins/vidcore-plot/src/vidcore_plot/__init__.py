"""vidcore plugin: `vidcore plot WORK_DIR`, the training curves of a work dir (across resumes) as a PNG.

From Python: `plot_curves(paths, out, keys)` writes the PNG, `render_curves(runs, keys)` returns the matplotlib
Figure, `collect_curves` / `find_scalar_logs` / `read_scalar_log` read the logs. Importing this package
imports neither matplotlib nor numpy.
"""

from __future__ import annotations

from vidcore.plugins import lazy_getattr

__version__ = "0.1.0"

_LAZY = {name: "vidcore_plot.plotting" for name in (
    "Curve", "RunLog", "collect_curves", "find_scalar_log", "find_scalar_logs", "load_run", "plot_curves",
    "read_scalar_log", "render_curves", "training_records")}

__all__ = ["__version__", *_LAZY]

__getattr__ = lazy_getattr(__name__, _LAZY)
