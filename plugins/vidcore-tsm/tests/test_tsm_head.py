"""TSMHead: per-frame scores averaged per view; with Recognizer2D, test-time views of num_segments frames,
twice_sample doubling them, end to end from a real video."""

from __future__ import annotations

import pytest
import torch
from vidcore_tsm import ResNetTSM, TSMHead
from vidcore_tsn import Recognizer2D, inference_recognizer, init_recognizer


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


def test_scores_are_the_mean_of_the_frames_scores():
    head = TSMHead(num_classes=5, in_channels=16, num_segments=4).eval()
    feats = torch.randn(2 * 4, 16, 3, 3)
    frame_scores = head.fc_cls(feats.mean(dim=(2, 3)))
    assert torch.allclose(head(feats, 4), frame_scores.view(2, 4, 5).mean(dim=1), atol=1e-6)


def test_temporal_pool_expects_half_the_frames():
    head = TSMHead(num_classes=5, in_channels=16, num_segments=8, temporal_pool=True).eval()
    assert head(torch.randn(3 * 4, 16, 2, 2), 8).shape == (3, 5)
    unshifted = TSMHead(num_classes=5, in_channels=16, num_segments=8, temporal_pool=True, is_shift=False).eval()
    assert unshifted(torch.randn(3 * 8, 16, 2, 2), 8).shape == (3, 5)


def test_views_of_another_length_are_refused():
    head = TSMHead(num_classes=5, in_channels=16, num_segments=8)
    with pytest.raises(ValueError, match="views of 3 frames, but num_segments=8"):
        head(torch.randn(6, 16), 3)


def test_loss_uses_tsn_heads_label_smoothing():
    scores = torch.tensor([[4.0, 0.0], [0.0, 4.0]])
    labels = torch.tensor([0, 1])
    plain = TSMHead(num_classes=2, in_channels=4).loss(scores, labels)["loss_cls"]
    smoothed = TSMHead(num_classes=2, in_channels=4, label_smooth_eps=0.2).loss(scores, labels)["loss_cls"]
    assert smoothed > plain > 0


MODEL = {
    "type": "Recognizer2D",
    "backbone": {"type": "ResNetTSM", "depth": 18, "num_segments": 4},
    "cls_head": {"type": "TSMHead", "num_classes": 3, "in_channels": 512, "num_segments": 4, "average_clips": "prob"},
    "data_preprocessor": {"type": "ActionDataPreprocessor", "mean": [128, 128, 128], "std": [64, 64, 64],
                          "format_shape": "NCHW"},
}


def _pipeline(twice_sample):
    return [{"type": "PyAVInit"},
            {"type": "SampleFrames", "clip_len": 1, "num_clips": 4, "test_mode": True, "twice_sample": twice_sample},
            {"type": "PyAVDecode"}, {"type": "ThreeCrop", "crop_size": 32},
            {"type": "FormatShape", "input_format": "NCHW"}, {"type": "PackActionInputs"}]


@pytest.mark.vidcore_plugins("vidcore-video", "vidcore-tsn", "vidcore-tsm")
def test_twice_sample_doubles_the_views_and_prediction_averages_them(vidcore_registry, make_video, tmp_path):
    from vidcore_video import Compose

    video = str(make_video("clip.mp4", num_frames=24, height=32, width=48))
    model = init_recognizer({"model": MODEL, "test_dataloader": {"dataset": {"pipeline": _pipeline(True)}}})
    assert isinstance(model, Recognizer2D) and isinstance(model.backbone, ResNetTSM)

    once = Compose(_pipeline(False))({"filename": video, "label": None, "start_index": 0, "modality": "RGB"})
    twice = Compose(_pipeline(True))({"filename": video, "label": None, "start_index": 0, "modality": "RGB"})
    assert once["inputs"].shape[0] == 4 * 3 and twice["inputs"].shape[0] == 2 * 4 * 3  # 3 views -> 6 views

    [prediction] = inference_recognizer(model, video, topk=3)
    with torch.no_grad():
        frames = model.data_preprocessor({"inputs": [twice["inputs"]], "data_samples": [twice["data_samples"]]},
                                         False)["inputs"]
        views = frames.view(6, 4, *frames.shape[2:])
        view_scores = torch.cat([model(view[None], mode="tensor") for view in views])
    assert view_scores.shape == (6, 3)
    assert torch.allclose(prediction.scores, view_scores.softmax(dim=-1).mean(dim=0), atol=1e-5)
