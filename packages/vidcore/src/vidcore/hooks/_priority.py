"""Hook priorities: integers 0 (first) to 100 (last), or mmengine's names for them."""

from __future__ import annotations

from enum import IntEnum

from ..errors import ConfigError


class Priority(IntEnum):
    """Named priorities; hooks with a smaller value run first at each hook point."""

    HIGHEST = 0
    VERY_HIGH = 10
    HIGH = 30
    ABOVE_NORMAL = 40
    NORMAL = 50
    BELOW_NORMAL = 60
    LOW = 70
    VERY_LOW = 90
    LOWEST = 100


def get_priority(priority: int | str | Priority) -> int:
    """The integer value of a priority given as an int (0-100), a name such as `NORMAL`, or a Priority."""
    if isinstance(priority, bool):
        raise ConfigError(f"priority must be an integer 0-100 or a name, got {priority!r}")
    if isinstance(priority, int):
        if not 0 <= priority <= 100:
            raise ConfigError(f"priority must be between 0 and 100, got {priority}")
        return int(priority)
    if isinstance(priority, str) and priority.upper() in Priority.__members__:
        return int(Priority[priority.upper()])
    names = ", ".join(Priority.__members__)
    raise ConfigError(f"unknown priority {priority!r}; use an integer 0-100 or one of {names}")
