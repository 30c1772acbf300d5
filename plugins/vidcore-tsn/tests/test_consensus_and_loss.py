"""AvgConsensus and CrossEntropyLoss (hard, soft, class-weighted)."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
import vidcore
from vidcore_tsn.consensus import AvgConsensus
from vidcore_tsn.losses import CrossEntropyLoss


def test_avg_consensus_keeps_the_segment_axis():
    x = torch.randn(4, 3, 8)
    out = vidcore.default_registry().build({"type": "AvgConsensus", "dim": 1}, "models")(x)
    assert out.shape == (4, 1, 8)
    assert torch.allclose(out.squeeze(1), x.mean(1))
    assert AvgConsensus(dim=2)(x).shape == (4, 3, 1)


def test_cross_entropy_hard_labels_match_torch():
    scores, labels = torch.randn(6, 5), torch.tensor([0, 1, 2, 3, 4, 0])
    loss = CrossEntropyLoss(loss_weight=2.0)(scores, labels)
    assert torch.allclose(loss, 2 * F.cross_entropy(scores, labels))


def test_cross_entropy_soft_labels_equal_hard_for_one_hot():
    scores, labels = torch.randn(6, 5), torch.tensor([0, 1, 2, 3, 4, 0])
    soft = F.one_hot(labels, 5).float()
    weight = [1.0, 2.0, 0.5, 1.0, 3.0]
    assert torch.allclose(CrossEntropyLoss()(scores, soft), F.cross_entropy(scores, labels))
    weighted = CrossEntropyLoss(class_weight=weight)
    assert torch.allclose(weighted(scores, soft), F.cross_entropy(scores, labels, weight=torch.tensor(weight)))
    assert torch.allclose(weighted(scores, labels), F.cross_entropy(scores, labels, weight=torch.tensor(weight)))


def test_cross_entropy_mixup_targets():
    scores = torch.randn(2, 3)
    target = torch.tensor([[0.7, 0.3, 0.0], [0.0, 0.5, 0.5]])
    expected = -(target * F.log_softmax(scores, -1)).sum(-1).mean()
    assert torch.allclose(CrossEntropyLoss()(scores, target), expected)


def test_cross_entropy_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="do not fit labels"):
        CrossEntropyLoss()(torch.randn(2, 3), torch.zeros(3, dtype=torch.long))
