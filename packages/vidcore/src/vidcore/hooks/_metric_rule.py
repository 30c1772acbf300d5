"""Whether a metric is better when greater or when less, inferred from its name (save_best, early stopping)."""

from __future__ import annotations

from typing import Mapping

from ..errors import ConfigError

RULES = ("greater", "less")
_GREATER = ("acc", "top", "map", "precision", "recall", "f1", "auc", "ar@", "iou", "dice")
_LESS = ("loss", "error", "mse", "mae")


def infer_rule(metric: str) -> str | None:
    """`greater` for names with acc/top/mAP/precision/recall/f1 (and auc, AR@, IoU, Dice), `less` for
    loss/error; None when the name says neither. The last component of `acc/top1` decides first."""
    for part in (metric.rsplit("/", 1)[-1], metric):
        lowered = part.lower()
        if any(word in lowered for word in _LESS):
            return "less"
        if any(word in lowered for word in _GREATER):
            return "greater"
    return None


def resolve_rule(metric: str, rule: str | None, owner: str) -> str:
    """The explicit rule when given (checked), else the inferred one; a ConfigError when neither exists."""
    if rule is not None:
        if rule not in RULES:
            raise ConfigError(f"{owner}: rule must be 'greater' or 'less', got {rule!r}")
        return rule
    inferred = infer_rule(metric)
    if inferred is None:
        raise ConfigError(f"{owner}: cannot tell whether '{metric}' is better greater or less; "
                          "set rule: greater or rule: less")
    return inferred


def is_better(value: float, best: float | None, rule: str, min_delta: float = 0.0) -> bool:
    if best is None:
        return True
    return value > best + min_delta if rule == "greater" else value < best - min_delta


def pick_metric(metrics: Mapping[str, float], wanted: str, owner: str) -> str:
    """The key of `metrics` to watch: `wanted`, or the first metric for `auto`; a ConfigError names the keys."""
    if wanted == "auto":
        if not metrics:
            raise ConfigError(f"{owner}: 'auto' needs at least one validation metric, the evaluator returned none")
        return next(iter(metrics))
    if wanted not in metrics:
        raise ConfigError(f"{owner}: metric '{wanted}' is not among the validation metrics: "
                          f"{', '.join(metrics) or 'none'}")
    return wanted


def rule_problems(metric: object, rule: object, owner: str) -> list[tuple[str, str]]:
    """(argument, message) when the rule of a watched metric is invalid or cannot be inferred; `auto` is known
    only once validation has named its metrics."""
    if not isinstance(metric, str) or metric == "auto":
        return []
    try:
        resolve_rule(metric, rule if isinstance(rule, str) or rule is None else str(rule), owner)
    except ConfigError as exc:
        return [("rule", str(exc).split(": ", 1)[-1])]
    return []
