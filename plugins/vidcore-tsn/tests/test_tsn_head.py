"""TSNHead: shapes, consensus, losses and logging values, label smoothing, view averaging."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
import vidcore
from vidcore import BuildError
from vidcore_tsn.heads.tsn_head import TSNHead


def _head(**kwargs):
    return TSNHead(num_classes=kwargs.pop("num_classes", 4), in_channels=8, **kwargs)


def test_classifier_is_named_fc_cls_and_initialised_from_init_std():
    head = _head(num_classes=400, init_std=0.01)
    assert set(head.state_dict()) == {"fc_cls.weight", "fc_cls.bias"}
    assert abs(head.fc_cls.weight.std().item() - 0.01) < 0.002 and not head.fc_cls.bias.any()


def test_forward_fuses_segments_into_one_score_per_sample():
    head = _head(dropout_ratio=0.0).eval()
    maps = torch.randn(2 * 3, 8, 2, 2)
    scores = head(maps, num_segs=3)
    assert scores.shape == (2, 4)
    pooled = maps.mean(dim=(2, 3)).view(2, 3, 8).mean(1)
    assert torch.allclose(scores, head.fc_cls(pooled), atol=1e-6)
    assert torch.allclose(head(maps.mean(dim=(2, 3)), num_segs=3), scores, atol=1e-6)  # pooled input
    with pytest.raises(ValueError, match="do not split into groups of 4"):
        head(maps, num_segs=4)


def test_loss_returns_loss_cls_and_topk_accuracy():
    head = _head(num_classes=6)
    scores = torch.tensor([[5.0, 1, 0, 0, 0, 0], [0, 0, 1, 5, 4, 3]])
    losses = head.loss(scores, torch.tensor([0, 4]))
    assert set(losses) == {"loss_cls", "top1_acc", "top5_acc"}
    assert losses["top1_acc"].item() == 0.5 and losses["top5_acc"].item() == 1.0
    assert torch.allclose(losses["loss_cls"], F.cross_entropy(scores, torch.tensor([0, 4])))
    assert set(_head(num_classes=3).loss(scores[:, :3], torch.tensor([0, 1]))) == {"loss_cls", "top1_acc"}


def test_loss_with_soft_labels_and_label_smoothing():
    scores, labels = torch.randn(3, 4), torch.tensor([0, 1, 3])
    smooth = _head(label_smooth_eps=0.1).loss(scores, labels)["loss_cls"]
    target = F.one_hot(labels, 4) * 0.9 + 0.1 / 4
    assert torch.allclose(smooth, -(target * F.log_softmax(scores, -1)).sum(-1).mean())
    mixed = torch.tensor([[0.6, 0.4, 0, 0], [0, 1.0, 0, 0], [0, 0, 0.5, 0.5]])
    losses = _head().loss(scores, mixed)
    assert losses["loss_cls"].ndim == 0 and "top1_acc" in losses


def test_nested_configs_are_built_by_the_registry():
    head = vidcore.default_registry().build({
        "type": "TSNHead", "num_classes": 3, "in_channels": 8,
        "consensus": {"type": "AvgConsensus", "dim": 1},
        "loss_cls": {"type": "CrossEntropyLoss", "loss_weight": 0.5, "class_weight": [1.0, 2.0, 1.0]},
    }, "models")
    assert head.loss_cls.loss_weight == 0.5 and head.consensus.dim == 1
    with pytest.raises(BuildError, match=r"cls_head \(TSNHead\): ValueError: TSNHead average_clips"):
        vidcore.default_registry().build({"type": "TSNHead", "num_classes": 3, "in_channels": 8,
                                          "average_clips": "mean"}, "models", key_path=("cls_head",))


@pytest.mark.parametrize("mode", ["prob", "score", None])
def test_average_clip_modes(mode):
    head = _head(average_clips=mode)
    view_scores = torch.randn(2 * 5, 4)
    merged = head.average_clip(view_scores, num_views=5)
    views = view_scores.view(2, 5, 4)
    expected = {"prob": F.softmax(views, -1).mean(1), "score": views.mean(1), None: views}[mode]
    assert torch.allclose(merged, expected)
    assert head.average_clip(view_scores, 5, "score").shape == (2, 4)  # an explicit mode wins
