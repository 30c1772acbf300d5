"""Parameter schedulers (any optimizer hyper-parameter: `lr`, `momentum`, ...), computed in closed form.

Each scheduler owns a window `[begin, end)` of its own steps (epochs or iterations, `by_epoch`) and maps
the value it receives to the value it hands on. The value written into a parameter group is

    initial value of the group -> scheduler 1 -> scheduler 2 -> ...   (in the order they were built)

A scheduler whose window has not begun passes the value through; one whose window has ended holds its
last in-window step. This equals mmengine's chained updates for the usual configs (warmup then decay,
or multiplicative schedulers that overlap), but it is computed from step counts alone: no drift from
repeated multiplication, no division by a zero factor, and a resumed run recomputes the exact value.
torch's own LRSchedulers have no `begin`/`end` window, which is why these are written here.
"""

from __future__ import annotations

import bisect
import math
from typing import Any, Sequence

INF = 10**9
_SCHEDULERS_ATTRIBUTE = "_vidcore_param_schedulers"


def get_group_value(group: dict[str, Any], name: str) -> float:
    """A hyper-parameter of a parameter group; `momentum` of Adam-like optimizers is `betas[0]`."""
    if name == "momentum" and "momentum" not in group and "betas" in group:
        return group["betas"][0]
    if name not in group:
        raise KeyError(f"the optimizer's parameter groups have no '{name}' to schedule")
    return group[name]


def set_group_value(group: dict[str, Any], name: str, value: float) -> None:
    if name == "momentum" and "momentum" not in group and "betas" in group:
        group["betas"] = (value, *group["betas"][1:])
    else:
        group[name] = value


def _torch_optimizer(optimizer: Any) -> Any:
    """The torch optimizer behind an OptimWrapper (or the optimizer itself)."""
    return getattr(optimizer, "optimizer", optimizer)


class ParamScheduler:
    """Base class: subclasses implement `value(step, value_in, initial)` for steps inside the window.

    `optimizer` is a torch optimizer or an OptimWrapper. `convert_to_iter_based` turns an epoch-based
    config into an iteration-based scheduler (smooth per-iteration changes); the runner passes
    `epoch_length` (iterations per epoch). The first value is applied on construction (step 0).
    """

    param_name: str | None = None

    def __init__(self, optimizer: Any, param_name: str | None = None, begin: float = 0, end: float = INF,
                 by_epoch: bool = True, convert_to_iter_based: bool = False, epoch_length: int | None = None) -> None:
        name = param_name or type(self).param_name
        if not name:
            raise ValueError(f"{type(self).__name__} needs 'param_name' (e.g. lr or momentum)")
        if end <= begin:
            raise ValueError(f"end must be larger than begin, got begin={begin}, end={end}")
        if convert_to_iter_based:
            if not by_epoch:
                raise ValueError("convert_to_iter_based needs by_epoch=true (it converts epochs to iterations)")
            if not epoch_length or epoch_length < 1:
                raise ValueError(f"convert_to_iter_based needs the epoch length, got {epoch_length!r}")
            epochs = (begin, end)
            # as mmengine: a fractional epoch ends at the iteration it reaches, rounded down
            begin = int(begin * epoch_length)
            end = int(end * epoch_length) if end != INF else INF
            if end <= begin:
                raise ValueError(f"epochs [{epochs[0]}, {epochs[1]}) hold no iteration at {epoch_length} iterations "
                                 "per epoch")
            self.scale_to_iterations(epoch_length)
            by_epoch = False
        else:
            begin, end = _whole_steps(begin, "begin", by_epoch), _whole_steps(end, "end", by_epoch)
        self.optimizer = optimizer
        self.param_name = name
        self.begin = begin
        self.end = end
        self.by_epoch = by_epoch
        self.global_step = -1
        groups = _torch_optimizer(optimizer).param_groups
        for group in groups:
            group.setdefault(f"initial_{name}", get_group_value(group, name))
        chain = _torch_optimizer(optimizer).__dict__.setdefault(_SCHEDULERS_ATTRIBUTE, {})
        chain.setdefault(name, []).append(self)
        self.step()

    # --- what subclasses define ----------------------------------------------------------------------
    def scale_to_iterations(self, epoch_length: int) -> None:
        """Convert epoch-valued arguments (step sizes, milestones, periods) to iterations."""

    def value(self, step: int, value_in: float, initial: float) -> float:
        """The value at `step` (0 = the first step of the window) given the incoming value."""
        raise NotImplementedError

    # --- stepping ------------------------------------------------------------------------------------
    @property
    def last_step(self) -> int:
        """The step inside the window that the current value comes from (-1 before the window)."""
        if self.global_step < self.begin:
            return -1
        return min(self.global_step, self.end - 1) - self.begin

    def apply(self, value_in: float, initial: float, group_index: int = 0) -> float:
        """The value handed on for parameter group `group_index`, given the incoming value."""
        step = self.last_step
        return value_in if step < 0 else self.value(step, value_in, initial)

    def step(self) -> None:
        """Advance one epoch or iteration and write the new values into the optimizer."""
        self.global_step += 1
        refresh(self.optimizer, self.param_name)

    def get_last_value(self) -> list[float]:
        return [get_group_value(group, self.param_name) for group in _torch_optimizer(self.optimizer).param_groups]

    def state_dict(self) -> dict[str, Any]:
        return {"type": type(self).__name__, "param_name": self.param_name, "global_step": self.global_step,
                "begin": self.begin, "end": self.end, "by_epoch": self.by_epoch}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.global_step = int(state_dict["global_step"])
        refresh(self.optimizer, self.param_name)

    def __repr__(self) -> str:
        unit = "epochs" if self.by_epoch else "iterations"
        return f"{type(self).__name__}({self.param_name}, {unit} [{self.begin}, {self.end}))"


def refresh(optimizer: Any, param_name: str) -> None:
    """Recompute `param_name` of every parameter group from all of the optimizer's schedulers, in order."""
    torch_optimizer = _torch_optimizer(optimizer)
    schedulers = torch_optimizer.__dict__.get(_SCHEDULERS_ATTRIBUTE, {}).get(param_name, [])
    for index, group in enumerate(torch_optimizer.param_groups):
        initial = group[f"initial_{param_name}"]
        value = initial
        for scheduler in schedulers:
            value = scheduler.apply(value, initial, index)
        set_group_value(group, param_name, value)


def _whole_steps(value: float, name: str, by_epoch: bool) -> int:
    """`begin`/`end` as a step count: a fractional value is only meaningful once converted to iterations."""
    if value == INF or float(value).is_integer():
        return int(value)
    if by_epoch:
        raise ValueError(f"{name}={value} is a fraction of an epoch, which needs convert_to_iter_based=true "
                         "(the scheduler then counts iterations)")
    raise ValueError(f"{name}={value} must be a whole number of iterations")


def _eta_min(eta_min: float | None, eta_min_ratio: float | None, initial: float) -> float:
    return initial * eta_min_ratio if eta_min_ratio is not None else (eta_min or 0.0)


def _check_eta_min(eta_min: float | None, eta_min_ratio: float | None) -> None:
    if eta_min is not None and eta_min_ratio is not None:
        raise ValueError("set either eta_min or eta_min_ratio, not both")


class ConstantParamScheduler(ParamScheduler):
    """Multiplies by `factor` from `begin` until the last step of the window, where the value returns."""

    def __init__(self, optimizer: Any, param_name: str | None = None, factor: float = 1.0 / 3, begin: float = 0,
                 end: float = INF, by_epoch: bool = True, convert_to_iter_based: bool = False,
                 epoch_length: int | None = None) -> None:
        if not 0 <= factor <= 1:
            raise ValueError(f"factor must be between 0 and 1, got {factor}")
        self.factor = factor
        super().__init__(optimizer, param_name, begin, end, by_epoch, convert_to_iter_based, epoch_length)

    def value(self, step: int, value_in: float, initial: float) -> float:
        last = self.end - self.begin - 1
        return value_in * (self.factor if step == 0 or step < last else 1.0)


class LinearParamScheduler(ParamScheduler):
    """Multiplies by a factor going linearly from `start_factor` (step 0) to `end_factor` (last step)."""

    def __init__(self, optimizer: Any, param_name: str | None = None, start_factor: float = 1.0 / 3,
                 end_factor: float = 1.0, begin: float = 0, end: float = INF, by_epoch: bool = True,
                 convert_to_iter_based: bool = False, epoch_length: int | None = None) -> None:
        for label, factor in (("start_factor", start_factor), ("end_factor", end_factor)):
            if not 0 <= factor <= 1:
                raise ValueError(f"{label} must be between 0 and 1, got {factor}")
        self.start_factor = start_factor
        self.end_factor = end_factor
        super().__init__(optimizer, param_name, begin, end, by_epoch, convert_to_iter_based, epoch_length)

    def value(self, step: int, value_in: float, initial: float) -> float:
        last = self.end - self.begin - 1
        progress = min(step, last) / last if last > 0 else 0.0
        return value_in * (self.start_factor + (self.end_factor - self.start_factor) * progress)


class ExponentialParamScheduler(ParamScheduler):
    """Multiplies by `gamma ** step`."""

    def __init__(self, optimizer: Any, gamma: float, param_name: str | None = None, begin: float = 0, end: float = INF,
                 by_epoch: bool = True, convert_to_iter_based: bool = False, epoch_length: int | None = None) -> None:
        self.gamma = gamma
        super().__init__(optimizer, param_name, begin, end, by_epoch, convert_to_iter_based, epoch_length)

    def value(self, step: int, value_in: float, initial: float) -> float:
        return value_in * self.gamma**step


class StepParamScheduler(ParamScheduler):
    """Multiplies by `gamma` every `step_size` steps, never below `min_value`."""

    def __init__(self, optimizer: Any, step_size: int, param_name: str | None = None, gamma: float = 0.1,
                 min_value: float | None = None, begin: float = 0, end: float = INF, by_epoch: bool = True,
                 convert_to_iter_based: bool = False, epoch_length: int | None = None) -> None:
        if step_size < 1:
            raise ValueError(f"step_size must be at least 1, got {step_size}")
        self.step_size = step_size
        self.gamma = gamma
        self.min_value = min_value
        super().__init__(optimizer, param_name, begin, end, by_epoch, convert_to_iter_based, epoch_length)

    def scale_to_iterations(self, epoch_length: int) -> None:
        self.step_size *= epoch_length

    def value(self, step: int, value_in: float, initial: float) -> float:
        value = value_in * self.gamma ** (step // self.step_size)
        return max(value, self.min_value) if self.min_value is not None else value


class MultiStepParamScheduler(ParamScheduler):
    """Multiplies by `gamma` at each milestone (steps counted from `begin`), never below `min_value`."""

    def __init__(self, optimizer: Any, milestones: Sequence[int], param_name: str | None = None, gamma: float = 0.1,
                 min_value: float | None = None, begin: float = 0, end: float = INF, by_epoch: bool = True,
                 convert_to_iter_based: bool = False, epoch_length: int | None = None) -> None:
        self.milestones = sorted(int(milestone) for milestone in milestones)
        self.gamma = gamma
        self.min_value = min_value
        super().__init__(optimizer, param_name, begin, end, by_epoch, convert_to_iter_based, epoch_length)

    def scale_to_iterations(self, epoch_length: int) -> None:
        self.milestones = [milestone * epoch_length for milestone in self.milestones]

    def value(self, step: int, value_in: float, initial: float) -> float:
        value = value_in * self.gamma ** bisect.bisect_right(self.milestones, step)
        return max(value, self.min_value) if self.min_value is not None else value


class CosineAnnealingParamScheduler(ParamScheduler):
    """Cosine from the incoming value down to `eta_min` (or `eta_min_ratio` x initial) over `T_max` steps.

    `T_max` defaults to the window length `end - begin`.
    """

    def __init__(self, optimizer: Any, param_name: str | None = None, T_max: int | None = None,
                 eta_min: float | None = None, eta_min_ratio: float | None = None, begin: float = 0, end: float = INF,
                 by_epoch: bool = True, convert_to_iter_based: bool = False, epoch_length: int | None = None) -> None:
        _check_eta_min(eta_min, eta_min_ratio)
        if T_max is None and end == INF:
            raise ValueError("set T_max or a finite end")
        self.T_max = T_max
        self.eta_min = eta_min
        self.eta_min_ratio = eta_min_ratio
        super().__init__(optimizer, param_name, begin, end, by_epoch, convert_to_iter_based, epoch_length)
        if self.T_max is None:
            self.T_max = self.end - self.begin

    def scale_to_iterations(self, epoch_length: int) -> None:
        if self.T_max is not None:
            self.T_max *= epoch_length

    def value(self, step: int, value_in: float, initial: float) -> float:
        period = self.T_max or (self.end - self.begin)
        eta_min = _eta_min(self.eta_min, self.eta_min_ratio, initial)
        return eta_min + (value_in - eta_min) * (1 + math.cos(math.pi * step / period)) / 2


class CosineRestartParamScheduler(ParamScheduler):
    """Cosine annealing restarted at the end of each period; period i starts at `restart_weights[i]` x value."""

    def __init__(self, optimizer: Any, periods: Sequence[int], param_name: str | None = None,
                 restart_weights: Sequence[float] = (1.0,), eta_min: float | None = None,
                 eta_min_ratio: float | None = None, begin: float = 0, end: float = INF, by_epoch: bool = True,
                 convert_to_iter_based: bool = False, epoch_length: int | None = None) -> None:
        _check_eta_min(eta_min, eta_min_ratio)
        if len(periods) != len(restart_weights):
            raise ValueError(f"periods ({len(periods)}) and restart_weights ({len(restart_weights)}) "
                             "must have the same length")
        if any(period < 1 for period in periods):
            raise ValueError(f"periods must be positive, got {list(periods)}")
        self.periods = [int(period) for period in periods]
        self.restart_weights = [float(weight) for weight in restart_weights]
        self.eta_min = eta_min
        self.eta_min_ratio = eta_min_ratio
        super().__init__(optimizer, param_name, begin, end, by_epoch, convert_to_iter_based, epoch_length)

    def scale_to_iterations(self, epoch_length: int) -> None:
        self.periods = [period * epoch_length for period in self.periods]

    def value(self, step: int, value_in: float, initial: float) -> float:
        ends = list(_cumulative(self.periods))
        step = min(step, ends[-1] - 1)
        index = bisect.bisect_right(ends, step)
        start = ends[index - 1] if index else 0
        eta_max = value_in * self.restart_weights[index]
        eta_min = _eta_min(self.eta_min, self.eta_min_ratio, initial)
        return eta_min + (eta_max - eta_min) * (1 + math.cos(math.pi * (step - start) / self.periods[index])) / 2


def _cumulative(values: Sequence[int]) -> list[int]:
    total, sums = 0, []
    for value in values:
        total += value
        sums.append(total)
    return sums


class PolyParamScheduler(ParamScheduler):
    """Polynomial decay from the incoming value to `eta_min` at the window's last step."""

    def __init__(self, optimizer: Any, param_name: str | None = None, eta_min: float = 0.0, power: float = 1.0,
                 begin: float = 0, end: float = INF, by_epoch: bool = True, convert_to_iter_based: bool = False,
                 epoch_length: int | None = None) -> None:
        self.eta_min = eta_min
        self.power = power
        super().__init__(optimizer, param_name, begin, end, by_epoch, convert_to_iter_based, epoch_length)

    def value(self, step: int, value_in: float, initial: float) -> float:
        last = self.end - self.begin - 1
        if last <= 0:
            return value_in
        return self.eta_min + (value_in - self.eta_min) * (1 - min(step, last) / last) ** self.power


class ExponentialWarmupParamScheduler(ParamScheduler):
    """Multiplies by a factor growing geometrically from `start_factor` (step 0) to `end_factor` (last step).

    mmcv's `warmup='exp'` (`warmup_ratio ** (1 - t / warmup_iters)`) is `start_factor: warmup_ratio` over a
    window of `warmup_iters` steps, reaching the full value at the window's last step as LinearLR does.
    """

    def __init__(self, optimizer: Any, param_name: str | None = None, start_factor: float = 0.1,
                 end_factor: float = 1.0, begin: float = 0, end: float = INF, by_epoch: bool = True,
                 convert_to_iter_based: bool = False, epoch_length: int | None = None) -> None:
        for label, factor in (("start_factor", start_factor), ("end_factor", end_factor)):
            if not 0 < factor <= 1:
                raise ValueError(f"{label} must be in (0, 1], got {factor}")
        if end == INF:
            raise ValueError("a warmup needs a finite end")
        self.start_factor = start_factor
        self.end_factor = end_factor
        super().__init__(optimizer, param_name, begin, end, by_epoch, convert_to_iter_based, epoch_length)

    def value(self, step: int, value_in: float, initial: float) -> float:
        last = self.end - self.begin - 1
        progress = min(step, last) / last if last > 0 else 1.0
        return value_in * self.start_factor * (self.end_factor / self.start_factor) ** progress


ANNEAL_STRATEGIES = ("cos", "linear")


class OneCycleParamScheduler(ParamScheduler):
    """The 1cycle policy (mmengine's OneCycleParamScheduler, torch's OneCycleLR without momentum cycling).

    Over `total_steps` steps (default: the window, `end - begin`) the value rises from `eta_max / div_factor`
    to `eta_max` during the first `pct_start` of the steps, then anneals (`anneal_strategy`: cos or linear) to
    `eta_max / div_factor / final_div_factor`; `three_phase` comes back to the start value at `2 * pct_start`
    before the final descent. `eta_max` (torch's name: `max_lr`) is one value or one per parameter group.
    It sets the value rather than scaling the incoming one: schedulers listed before it have no effect.
    After `total_steps` the last value is kept.
    """

    def __init__(self, optimizer: Any, param_name: str | None = None, eta_max: float | Sequence[float] | None = None,
                 total_steps: int | None = None, pct_start: float = 0.3, anneal_strategy: str = "cos",
                 div_factor: float = 25.0, final_div_factor: float = 1e4, three_phase: bool = False,
                 begin: float = 0, end: float = INF, by_epoch: bool = True, convert_to_iter_based: bool = False,
                 epoch_length: int | None = None, max_lr: float | Sequence[float] | None = None) -> None:
        if (eta_max is None) == (max_lr is None):
            raise ValueError("set eta_max (or torch's name for it, max_lr), once")
        peaks = eta_max if eta_max is not None else max_lr
        groups = _torch_optimizer(optimizer).param_groups
        peaks = peaks if isinstance(peaks, (list, tuple)) else [peaks] * len(groups)
        self.peaks = [float(peak) for peak in peaks]
        if len(self.peaks) != len(groups):
            raise ValueError(f"eta_max has {len(self.peaks)} values for {len(groups)} parameter groups")
        if total_steps is not None and (isinstance(total_steps, bool) or total_steps < 1):
            raise ValueError(f"total_steps must be a positive integer, got {total_steps!r}")
        if total_steps is None and end == INF:
            raise ValueError("set total_steps or a finite end")
        if not 0 <= pct_start <= 1:
            raise ValueError(f"pct_start must be between 0 and 1, got {pct_start}")
        if anneal_strategy not in ANNEAL_STRATEGIES:
            raise ValueError(f"anneal_strategy must be one of {ANNEAL_STRATEGIES}, got {anneal_strategy!r}")
        if div_factor <= 0 or final_div_factor <= 0:
            raise ValueError(f"div_factor and final_div_factor must be positive, got {div_factor}, {final_div_factor}")
        self.total_steps = total_steps
        self.pct_start = pct_start
        self.anneal_strategy = anneal_strategy
        self.div_factor = div_factor
        self.final_div_factor = final_div_factor
        self.three_phase = three_phase
        super().__init__(optimizer, param_name, begin, end, by_epoch, convert_to_iter_based, epoch_length)

    def scale_to_iterations(self, epoch_length: int) -> None:
        if self.total_steps is not None:
            self.total_steps *= epoch_length

    def _phases(self) -> list[tuple[float, str, str]]:
        """(last step of the phase, start level, end level); levels are 'start', 'peak' and 'final'."""
        total = self.total_steps if self.total_steps is not None else self.end - self.begin
        if self.three_phase:
            return [(self.pct_start * total - 1, "start", "peak"), (2 * self.pct_start * total - 2, "peak", "start"),
                    (total - 1, "start", "final")]
        return [(self.pct_start * total - 1, "start", "peak"), (total - 1, "peak", "final")]

    def apply(self, value_in: float, initial: float, group_index: int = 0) -> float:
        step = self.last_step
        if step < 0:
            return value_in
        phases = self._phases()
        step = min(step, phases[-1][0])
        peak = self.peaks[group_index]
        levels = {"start": peak / self.div_factor, "peak": peak,
                  "final": peak / self.div_factor / self.final_div_factor}
        phase_start = 0.0
        for index, (phase_end, start, end) in enumerate(phases):
            if step <= phase_end or index == len(phases) - 1:
                progress = (step - phase_start) / (phase_end - phase_start) if phase_end > phase_start else 1.0
                return self._anneal(levels[start], levels[end], progress)
            phase_start = phase_end
        raise AssertionError("unreachable: the last phase takes every step")

    def _anneal(self, start: float, end: float, progress: float) -> float:
        if self.anneal_strategy == "linear":
            return start + (end - start) * progress
        return end + (start - end) * (1 + math.cos(math.pi * progress)) / 2
