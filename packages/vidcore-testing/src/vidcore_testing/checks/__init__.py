"""Conformance checks, one per component kind: plain functions that raise AssertionError on a bad component."""

from .dataset import check_dataset
from .metric import check_metric
from .model import check_model
from .transform import check_transform
from .vis_backend import check_vis_backend

__all__ = ["check_dataset", "check_metric", "check_model", "check_transform", "check_vis_backend"]
