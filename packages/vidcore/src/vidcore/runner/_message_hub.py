"""`MessageHub`: where hooks leave scalars (losses, times, lr, metrics) and runtime info for each other.

Scalars may be tensors: they are converted to floats only when read, in one batch, so a training
iteration does not wait for the GPU just to record its loss.
"""

from __future__ import annotations

from collections import deque
from typing import Any, Iterable

_HISTORY_LENGTH = 10_000


class HistoryBuffer:
    """The recent values of one scalar, with their counts (a value may be the mean of `count` samples)."""

    def __init__(self, max_length: int = _HISTORY_LENGTH) -> None:
        self._values: deque[Any] = deque(maxlen=max_length)
        self._counts: deque[int] = deque(maxlen=max_length)
        self._pending = 0  # the newest values, from the oldest one that is still a tensor

    def update(self, value: Any, count: int = 1) -> None:
        self._values.append(value)
        self._counts.append(count)
        if self._pending or not isinstance(value, (int, float)):
            self._pending = min(self._pending + 1, len(self._values))

    def __len__(self) -> int:
        return len(self._values)

    def _resolve(self) -> None:
        if not self._pending:
            return
        import torch

        newest = list(self._values)[-self._pending:]
        tensors = [value.detach().float().reshape(()) for value in newest if isinstance(value, torch.Tensor)]
        floats = iter(torch.stack(tensors).cpu().tolist()) if tensors else iter(())
        resolved = [next(floats) if isinstance(value, torch.Tensor) else float(value) for value in newest]
        for _ in range(self._pending):
            self._values.pop()
        self._values.extend(resolved)
        self._pending = 0

    def current(self) -> float:
        self._resolve()
        return self._values[-1]

    def mean(self, window: int | None = None) -> float:
        """The count-weighted mean of the last `window` values (all kept values when None)."""
        self._resolve()
        window = len(self._values) if window is None else max(1, min(window, len(self._values)))
        values = list(self._values)[-window:]
        counts = list(self._counts)[-window:]
        return sum(value * count for value, count in zip(values, counts)) / sum(counts)


class MessageHub:
    """Scalars by key (`train/loss`, `val/acc/top1`, ...) and runtime info (`epoch`, `iter`, `eta`, ...)."""

    def __init__(self) -> None:
        self.scalars: dict[str, HistoryBuffer] = {}
        self.runtime_info: dict[str, Any] = {}

    def update_scalar(self, key: str, value: Any, count: int = 1) -> None:
        buffer = self.scalars.get(key)
        if buffer is None:
            buffer = self.scalars[key] = HistoryBuffer()
        buffer.update(value, count)

    def update_scalars(self, values: dict[str, Any], prefix: str = "") -> None:
        for key, value in values.items():
            self.update_scalar(prefix + key, value)

    def get_scalar(self, key: str) -> HistoryBuffer:
        return self.scalars[key]

    def keys_with_prefix(self, prefix: str) -> Iterable[str]:
        return [key for key in self.scalars if key.startswith(prefix)]

    def update_info(self, key: str, value: Any) -> None:
        self.runtime_info[key] = value

    def get_info(self, key: str, default: Any = None) -> Any:
        return self.runtime_info.get(key, default)

    def state_dict(self) -> dict[str, Any]:
        """Runtime info as plain data (scalar histories are logs, not state, and are not saved)."""
        from .._plain_data import to_plain

        return {"runtime_info": to_plain(self.runtime_info)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.runtime_info.update(state.get("runtime_info", {}))
