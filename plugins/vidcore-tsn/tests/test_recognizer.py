"""Recognizer2D: TSN 1x1x3 training and 25x10-view testing, loss/predict/tensor modes, test_cfg, AMP."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
import vidcore
from vidcore import BuildError
from vidcore_tsn.backbones.resnet import ResNet
from vidcore_tsn.heads.tsn_head import TSNHead
from vidcore_tsn.recognizer import Recognizer2D

SIZE = 32  # ResNet downsamples by 32: 1x1 maps, the cheapest input that exercises every layer


def tsn_cfg(num_classes=5, **extra):
    return {
        "type": "Recognizer2D",
        "backbone": {"type": "ResNet", "depth": 18, "norm_eval": False},
        "cls_head": {"type": "TSNHead", "num_classes": num_classes, "in_channels": 512, "spatial_type": "avg",
                     "consensus": {"type": "AvgConsensus", "dim": 1}, "dropout_ratio": 0.4, "init_std": 0.01,
                     "average_clips": "prob"},
        **extra,
    }


@pytest.fixture(scope="module")
def tsn():
    return vidcore.default_registry().build(tsn_cfg(), "models", key_path=("model",))


def test_built_from_config_with_torchvision_and_fc_cls_keys(tsn):
    assert isinstance(tsn.backbone, ResNet) and isinstance(tsn.cls_head, TSNHead)
    keys = tsn.state_dict()
    assert {"backbone.conv1.weight", "backbone.layer2.0.downsample.0.weight", "backbone.layer4.1.bn2.running_var",
            "cls_head.fc_cls.weight", "cls_head.fc_cls.bias"} <= set(keys)
    assert not any(key.startswith("data_preprocessor.") for key in keys)


def test_accepts_built_modules_too():
    model = Recognizer2D(backbone=ResNet(depth=18), cls_head=TSNHead(num_classes=3, in_channels=512))
    assert model(torch.randn(1, 3, 3, SIZE, SIZE)).shape == (1, 3)


def test_train_1x1x3_loss_mode_backpropagates(tsn, samples):
    tsn.train()
    inputs = torch.randn(2, 3, 3, SIZE, SIZE)  # N=2 samples x 3 segments
    losses = tsn(inputs, samples(1, 4), mode="loss")
    assert set(losses) == {"loss_cls", "top1_acc", "top5_acc"}
    losses["loss_cls"].backward()
    assert tsn.backbone.conv1.weight.grad is not None and tsn.cls_head.fc_cls.weight.grad is not None
    tsn.zero_grad()


def test_loss_with_soft_labels_from_mixup(tsn, samples):
    tsn.train()
    soft = [torch.tensor([0.3, 0.7, 0, 0, 0]), torch.tensor([0, 0, 0, 0.5, 0.5])]
    losses = tsn(torch.randn(2, 3, 3, SIZE, SIZE), samples(*soft), mode="loss")
    assert losses["loss_cls"].ndim == 0 and torch.isfinite(losses["loss_cls"])


def test_test_25x10_views_predict_probabilities(tsn, samples):
    tsn.eval()
    inputs = torch.randn(2, 250, 3, SIZE, SIZE)  # 25 clips x 10 crops
    with torch.no_grad():
        out = tsn(inputs, samples(0, 1), mode="predict")
    assert len(out) == 2 and out[0].pred_score.shape == (5,)
    assert torch.allclose(torch.stack([s.pred_score for s in out]).sum(-1), torch.ones(2))


def test_default_test_consensus_fuses_all_views_before_softmax(tsn, samples):
    tsn.eval()
    inputs = torch.randn(1, 30, 3, SIZE, SIZE)
    with torch.no_grad():
        pred = tsn(inputs, samples(0), mode="predict")[0].pred_score
        per_frame = tsn(inputs, mode="tensor", stage="backbone").flatten(0, 1)
        logits = tsn.cls_head.fc_cls(per_frame.mean(dim=(2, 3))).mean(0)
    assert torch.allclose(pred, F.softmax(logits, -1), atol=1e-5)


@pytest.mark.parametrize("average", ["prob", "score"])
def test_test_cfg_num_segs_scores_views_separately(average, samples):
    model = vidcore.default_registry().build(tsn_cfg(test_cfg={"num_segs": 1, "average_clips": average}), "models")
    model.eval()
    inputs = torch.randn(2, 6, 3, SIZE, SIZE)
    with torch.no_grad():
        pred = torch.stack([s.pred_score for s in model(inputs, samples(0, 1), mode="predict")])
        frames = model(inputs, mode="tensor", stage="backbone").flatten(0, 1).mean(dim=(2, 3))
        views = model.cls_head.fc_cls(frames).view(2, 6, 5)
    expected = {"prob": F.softmax(views, -1).mean(1), "score": views.mean(1)}[average]
    assert torch.allclose(pred, expected, atol=1e-5)


def test_average_clips_null_gives_raw_scores_of_the_single_fused_view(tsn, samples):
    raw = Recognizer2D(tsn.backbone, tsn.cls_head, test_cfg={"average_clips": None}).eval()
    inputs = torch.randn(2, 3, 3, SIZE, SIZE)
    with torch.no_grad():
        pred = torch.stack([s.pred_score for s in raw(inputs, samples(0, 1), mode="predict")])
        assert torch.allclose(pred, tsn(inputs), atol=1e-6)
        per_view = Recognizer2D(tsn.backbone, tsn.cls_head, test_cfg={"average_clips": None, "num_segs": 1}).eval()
        with pytest.raises(ValueError, match="average_clips: null keeps the 3 views' scores apart"):
            per_view(inputs, samples(0, 1), mode="predict")


def test_max_testing_views_gives_the_same_scores(tsn, samples):
    chunked = Recognizer2D(tsn.backbone, tsn.cls_head, test_cfg={"max_testing_views": 7}).eval()
    tsn.eval()
    inputs = torch.randn(2, 10, 3, SIZE, SIZE)
    with torch.no_grad():
        whole = tsn(inputs, samples(0, 1), mode="predict")
        parts = chunked(inputs, samples(0, 1), mode="predict")
    for a, b in zip(whole, parts):
        assert torch.allclose(a.pred_score, b.pred_score, atol=1e-5)


def test_tensor_mode_and_feature_extraction(tsn, samples):
    tsn.eval()
    inputs = torch.randn(2, 4, 3, SIZE, SIZE)
    with torch.no_grad():
        assert tsn(inputs).shape == (2, 5)
        assert tsn(inputs, mode="tensor", stage="backbone").shape == (2, 4, 512, 1, 1)
        extractor = Recognizer2D(tsn.backbone, tsn.cls_head, test_cfg={"feature_extraction": True}).eval()
        features = extractor(inputs, samples(0, 1), mode="predict")
    assert features[0].pred_score.shape == (512,)


def test_user_errors_are_clear():
    registry = vidcore.default_registry()
    with pytest.raises(BuildError, match=r"model \(Recognizer2D\): ValueError: Recognizer2D test_cfg has unknown key"):
        registry.build(tsn_cfg(test_cfg={"average_clip": "prob"}), "models", key_path=("model",))
    with pytest.raises(BuildError, match=r"reads no train_cfg keys; got \['blending'\]"):
        registry.build(tsn_cfg(train_cfg={"blending": None}), "models", key_path=("model",))
    with pytest.raises(BuildError, match="test_cfg.num_segs must be a positive integer"):
        registry.build(tsn_cfg(test_cfg={"num_segs": 0}), "models", key_path=("model",))
    with pytest.raises(BuildError, match=r"model.cls_head.num_classes|missing required argument 'num_classes'"):
        registry.build({"type": "Recognizer2D", "backbone": {"type": "ResNet", "depth": 18},
                        "cls_head": {"type": "TSNHead", "in_channels": 512}}, "models", key_path=("model",))
    model = Recognizer2D(ResNet(depth=18), TSNHead(3, 512))
    with pytest.raises(ValueError, match=r"expects inputs of shape \(N, V, C, H, W\)"):
        model(torch.randn(2, 3, SIZE, SIZE))
    with pytest.raises(ValueError, match="mode must be"):
        model(torch.randn(1, 1, 3, SIZE, SIZE), mode="train")


def test_bf16_autocast_on_cpu(tsn, samples):
    tsn.train()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        losses = tsn(torch.randn(2, 3, 3, SIZE, SIZE), samples(0, 1), mode="loss")
    assert losses["loss_cls"].dtype == torch.float32
    losses["loss_cls"].backward()
    tsn.zero_grad()
    tsn.eval()
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        out = tsn(torch.randn(1, 3, 3, SIZE, SIZE), samples(0), mode="predict")
    assert out[0].pred_score.dtype == torch.float32


def test_whole_model_init_cfg_pretrained(tsn, tmp_path):
    path = tmp_path / "tsn.pth"
    torch.save({"state_dict": tsn.state_dict()}, path)
    model = vidcore.default_registry().build(
        tsn_cfg(init_cfg={"type": "Pretrained", "checkpoint": str(path)}), "models")
    assert torch.equal(model.cls_head.fc_cls.weight, tsn.cls_head.fc_cls.weight)


def test_model_contract_with_the_video_data_path():
    """The runner's path: PackActionInputs-style samples -> ActionDataPreprocessor -> Recognizer2D."""
    from vidcore_testing import check_model
    from vidcore_video import ActionDataSample

    model = vidcore.default_registry().build(tsn_cfg(data_preprocessor={
        "type": "ActionDataPreprocessor", "mean": [123.675, 116.28, 103.53], "std": [58.395, 57.12, 57.375],
        "format_shape": "NCHW"}), "models")
    batch = {"inputs": [torch.randint(0, 256, (3, 3, SIZE, SIZE), dtype=torch.uint8) for _ in range(2)],
             "data_samples": [ActionDataSample(gt_label=label) for label in (1, 3)]}
    data = model.data_preprocessor(batch, True)
    assert data["inputs"].shape == (2, 3, 3, SIZE, SIZE) and data["inputs"].dtype == torch.float32
    outputs = check_model(model, data["inputs"], data["data_samples"])
    assert outputs["predict"][0].pred_score.shape == (5,)
    assert outputs["tensor"].shape == (2, 5)
