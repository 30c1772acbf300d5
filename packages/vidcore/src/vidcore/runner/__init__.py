"""The training engine: `Runner`, its loops, samplers, collate functions and message hub, and `check_config`
(what `vidcore config check` runs: every problem a run would meet before it builds)."""

from .collate import default_collate, pseudo_collate, repeat_pseudo_collate, stack_inputs_collate
from .config_check import ConfigProblems, check_config
from .interrupt import TrainingInterrupted
from .loops import EpochBasedTrainLoop, IterBasedTrainLoop, TestLoop, ValLoop
from .message_hub import HistoryBuffer, MessageHub
from .nan_guard import NonFiniteLossError
from .runner import Runner
from .samplers import DefaultSampler, InfiniteSampler

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
