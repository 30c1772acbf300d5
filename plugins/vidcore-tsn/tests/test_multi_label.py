"""Multi-label recognition: BCELossWithLogits, TSNHead(multi_class=True) and the recognizer with multi-hot labels."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
import vidcore
from vidcore import ConfigError
from vidcore_tsn import BCELossWithLogits, Recognizer2D, TSNHead

MULTI_HOT = torch.tensor([[1.0, 0.0, 1.0, 0.0], [0.0, 1.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0]])


def test_bce_loss_matches_torch_with_weight_and_class_weight():
    scores = torch.randn(3, 4)
    built = vidcore.default_registry().build({"type": "BCELossWithLogits", "loss_weight": 160.0}, "models")
    assert torch.allclose(built(scores, MULTI_HOT), 160 * F.binary_cross_entropy_with_logits(scores, MULTI_HOT))
    weight = [1.0, 2.0, 0.5, 0.0]
    expected = (F.binary_cross_entropy(torch.sigmoid(scores), MULTI_HOT, reduction="none")
                * torch.tensor(weight)).mean()
    assert torch.allclose(BCELossWithLogits(class_weight=weight)(scores, MULTI_HOT), expected, atol=1e-6)


def test_bce_loss_rejects_class_indices_and_a_wrong_class_weight():
    with pytest.raises(ValueError, match=r"expected \(N, K\) multi-hot labels"):
        BCELossWithLogits()(torch.randn(3, 4), torch.tensor([0, 1, 2]))
    with pytest.raises(ConfigError, match="class_weight has 2 entries for 4 classes"):
        BCELossWithLogits(class_weight=[1.0, 2.0])(torch.randn(3, 4), MULTI_HOT)


def multi_label_head(**options) -> TSNHead:
    return TSNHead(4, 8, dropout_ratio=0.0, loss_cls={"type": "BCELossWithLogits"}, multi_class=True, **options)


def test_multi_class_head_loss_logs_no_top_k_and_smooths_like_mmaction2():
    scores = torch.randn(3, 4)
    losses = multi_label_head().loss(scores, MULTI_HOT)
    assert set(losses) == {"loss_cls"}
    assert torch.allclose(losses["loss_cls"], F.binary_cross_entropy_with_logits(scores, MULTI_HOT))
    smoothed = multi_label_head(label_smooth_eps=0.2).loss(scores, MULTI_HOT)["loss_cls"]
    target = MULTI_HOT * 0.8 + 0.2 / 4
    assert torch.allclose(smoothed, F.binary_cross_entropy_with_logits(scores, target))


def test_multi_class_head_names_the_fix_for_single_labels():
    with pytest.raises(ConfigError, match="set multi_class: true and num_classes: 4 on the dataset"):
        multi_label_head().loss(torch.randn(3, 4), torch.tensor([0, 1, 2]))


def test_multi_class_prob_averages_sigmoids_not_softmax():
    views = torch.randn(2 * 3, 4)  # 2 samples x 3 views
    merged = multi_label_head().average_clip(views, 3)
    assert torch.allclose(merged, torch.sigmoid(views).view(2, 3, 4).mean(1))
    single_label = TSNHead(4, 8).average_clip(views, 3)
    assert torch.allclose(single_label.sum(-1), torch.ones(2))  # softmax, unchanged for single-label heads
    assert torch.allclose(multi_label_head(average_clips="score").average_clip(views, 3), views.view(2, 3, 4).mean(1))


class Sample:
    def __init__(self, label):
        self.gt_label = label

    def set_pred_score(self, score):
        self.pred_score = score
        return self


def test_recognizer_trains_and_predicts_with_multi_hot_labels():
    model = Recognizer2D(
        backbone={"type": "ResNet", "depth": 18},
        cls_head={"type": "TSNHead", "num_classes": 4, "in_channels": 512, "multi_class": True,
                  "loss_cls": {"type": "BCELossWithLogits", "loss_weight": 2.0}})
    inputs = torch.randn(3, 2, 3, 32, 32)
    losses = model(inputs, [Sample(label) for label in MULTI_HOT], mode="loss")
    assert set(losses) == {"loss_cls"} and losses["loss_cls"].item() > 0
    losses["loss_cls"].backward()
    model.eval()
    with torch.no_grad():
        predicted = model(torch.randn(3, 4, 3, 32, 32), [Sample(label) for label in MULTI_HOT], mode="predict")
    scores = torch.stack([sample.pred_score for sample in predicted])
    assert scores.shape == (3, 4) and bool(((scores > 0) & (scores < 1)).all())
    assert not torch.allclose(scores.sum(-1), torch.ones(3))  # independent per-class probabilities


def test_tsm_head_passes_multi_class_through():
    tsm = pytest.importorskip("vidcore_tsm")
    head = tsm.TSMHead(4, 8, num_segments=2, multi_class=True, loss_cls={"type": "BCELossWithLogits"})
    assert head.multi_class
    assert set(head.loss(torch.randn(3, 4), MULTI_HOT)) == {"loss_cls"}
