"""Recognizer3D: views folded into the batch and averaged as mmaction2 does, max_testing_views chunking,
loss, feature extraction, SlowFast's tuple features, and vidcore's model contract."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from vidcore_testing import check_model
from vidcore_video import ActionDataSample
from vidcore_video3d import I3DHead, Recognizer3D, ResNet3d, ResNet3dSlowFast, SlowFastHead

NUM_CLASSES = 5


def _recognizer(**test_cfg):
    torch.manual_seed(0)
    backbone = ResNet3d(depth=18, base_channels=8, zero_init_residual=False)
    head = I3DHead(NUM_CLASSES, 64, dropout_ratio=0.0, init_std=0.5, average_clips="prob")
    return Recognizer3D(backbone, head, test_cfg=test_cfg or None).eval()


def _inputs(batch, views, t=4, size=16):
    return torch.randn(batch, views, 3, t, size, size, generator=torch.Generator().manual_seed(1))


def _samples(batch):
    return [ActionDataSample(gt_label=i % NUM_CLASSES) for i in range(batch)]


def test_views_are_scored_one_by_one_and_softmax_averaged():
    model = _recognizer()
    inputs = _inputs(2, 3)
    with torch.no_grad():
        predicted = torch.stack([s.pred_score for s in model(inputs, _samples(2), mode="predict")])
        per_view = torch.stack([torch.stack([model.cls_head(model.backbone(inputs[n, v:v + 1]))[0]
                                             for v in range(3)]) for n in range(2)])
    assert torch.allclose(predicted, F.softmax(per_view, dim=-1).mean(dim=1), atol=1e-5)
    assert torch.allclose(predicted.sum(dim=1), torch.ones(2))
    with torch.no_grad():
        scores = _recognizer(average_clips="score")(inputs, _samples(2), mode="predict")
    assert torch.allclose(torch.stack([s.pred_score for s in scores]), per_view.mean(dim=1), atol=1e-5)


def test_max_testing_views_chunks_without_changing_the_result():
    inputs = _inputs(1, 5)
    with torch.no_grad():
        whole = _recognizer()(inputs, _samples(1), mode="predict")[0].pred_score
        chunked_model = _recognizer(max_testing_views=2)
        calls = []
        chunked_model.backbone.register_forward_hook(lambda module, args, out: calls.append(args[0].shape[0]))
        chunked = chunked_model(inputs, _samples(1), mode="predict")[0].pred_score
    assert calls == [2, 2, 1]
    assert torch.allclose(whole, chunked, atol=1e-5)


def test_loss_tensor_and_feature_extraction():
    model = _recognizer().train()
    losses = model(_inputs(2, 1), _samples(2), mode="loss")
    assert set(losses) == {"loss_cls", "top1_acc", "top5_acc"} and losses["loss_cls"].requires_grad
    model.eval()
    with torch.no_grad():
        logits = model(_inputs(2, 1), mode="tensor")
        assert logits.shape == (2, NUM_CLASSES)
        features = _recognizer(feature_extraction=True)(_inputs(2, 3), _samples(2), mode="predict")
    assert features[0].pred_score.shape == (64,)
    check_model(_recognizer().train(), _inputs(2, 1), _samples(2))


def test_slowfast_features_chunk_and_average():
    torch.manual_seed(0)
    slow = {"type": "resnet3d", "depth": 18, "base_channels": 16, "lateral": True, "conv1_kernel": (1, 7, 7),
            "inflate": (0, 0, 1, 1)}
    fast = {"type": "resnet3d", "depth": 18, "base_channels": 2, "lateral": False, "conv1_kernel": (5, 7, 7)}
    backbone = ResNet3dSlowFast(resample_rate=4, speed_ratio=4, channel_ratio=8, slow_pathway=slow,
                                fast_pathway=fast)
    model = Recognizer3D(backbone, SlowFastHead(NUM_CLASSES, 128 + 16, dropout_ratio=0.0),
                         test_cfg={"max_testing_views": 2}).eval()
    inputs = _inputs(1, 3, t=8)
    with torch.no_grad():
        chunked = model(inputs, _samples(1), mode="predict")[0].pred_score
        model.test_cfg = {}
        whole = model(inputs, _samples(1), mode="predict")[0].pred_score
    assert torch.allclose(chunked, whole, atol=1e-5)


@pytest.mark.parametrize("test_cfg, message", [
    ({"num_segs": 2}, "num_segs"), ({"fcn_test": True}, "unknown key"), ({"max_testing_views": 0}, "max_testing_views"),
    ({"average_clips": "mean"}, "average_clips"),
])
def test_bad_test_cfg_is_refused(test_cfg, message):
    with pytest.raises(ValueError, match=message):
        Recognizer3D(ResNet3d(depth=18, base_channels=8), I3DHead(2, 64), test_cfg=test_cfg)


def test_2d_inputs_are_refused_with_the_expected_layout():
    with pytest.raises(ValueError, match="NCTHW"):
        _recognizer()(torch.randn(2, 3, 3, 32, 32), mode="tensor")
