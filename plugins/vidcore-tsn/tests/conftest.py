"""Shared fixtures for vidcore-tsn's unit tests: a minimal data sample, a fixed seed."""

from __future__ import annotations

import pytest
import torch


class Sample:
    """The slice of the data-sample contract a recognizer uses: `gt_label` in, `set_pred_score` out."""

    def __init__(self, label=None):
        self.gt_label = label

    def set_pred_score(self, score):
        self.pred_score = score
        return self


@pytest.fixture
def samples():
    def make(*labels):
        return [Sample(torch.tensor([label]) if isinstance(label, int) else label) for label in labels]

    return make


@pytest.fixture(autouse=True)
def _seed():
    """Random weights and inputs are the same in every run."""
    torch.manual_seed(0)
