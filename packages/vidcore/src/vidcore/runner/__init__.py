"""The training engine: `Runner`, its loops, samplers, collate functions and message hub, and `check_config`
(what `vidcore config check` runs: every problem a run would meet before it builds)."""

from ._collate import default_collate, pseudo_collate, repeat_pseudo_collate, stack_inputs_collate
from ._config_check import ConfigProblems, check_config
from ._interrupt import TrainingInterrupted
from ._loops import EpochBasedTrainLoop, IterBasedTrainLoop, TestLoop, ValLoop
from ._message_hub import HistoryBuffer, MessageHub
from ._nan_guard import NonFiniteLossError
from ._runner import Runner
from ._samplers import DefaultSampler, InfiniteSampler

__all__ = [
    "check_config",
    "ConfigProblems",
    "Runner",
    "EpochBasedTrainLoop",
    "IterBasedTrainLoop",
    "ValLoop",
    "TestLoop",
    "DefaultSampler",
    "InfiniteSampler",
    "pseudo_collate",
    "stack_inputs_collate",
    "default_collate",
    "repeat_pseudo_collate",
    "MessageHub",
    "HistoryBuffer",
    "TrainingInterrupted",
    "NonFiniteLossError",
]
