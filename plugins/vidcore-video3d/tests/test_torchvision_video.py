"""torchvision's video models as backbones: with torchvision's weights (random ones, saved in torchvision's
layout by the test) the recognizer gives torchvision's own logits; bad or unreachable weights are one line."""

from __future__ import annotations

import pytest
import torch
import vidcore
from torchvision.models import video
from vidcore import CheckpointError


def _randomised(model):
    """torchvision's model with random weights and batch-norm statistics, in eval mode."""
    torch.manual_seed(0)
    with torch.no_grad():
        for name, tensor in model.state_dict().items():
            if name.endswith("running_mean"):
                tensor.uniform_(-0.1, 0.1)
            elif name.endswith("running_var"):
                tensor.uniform_(0.5, 1.5)
            elif name.endswith("bias") and tensor.is_floating_point():
                tensor.uniform_(-0.1, 0.1)
    return model.eval()


def _recognizer(arch, checkpoint, channels, **backbone):
    cfg = {"type": "Recognizer3D",
           "backbone": {"type": "TorchvisionVideo", "arch": arch, "pretrained": checkpoint, **backbone},
           "cls_head": {"type": "I3DHead", "num_classes": 400, "in_channels": channels, "dropout_ratio": 0.5,
                        "init_cfg": {"type": "TorchvisionClassifier", "checkpoint": checkpoint, "arch": arch}}}
    return vidcore.default_registry().build(cfg, "models").eval()


@pytest.mark.vidcore_plugins("vidcore-video", "vidcore-tsn", "vidcore-video3d")
@pytest.mark.parametrize("arch, channels, shape, channels_last", [
    ("r3d_18", 512, (4, 16, 16), False),
    ("mc3_18", 512, (4, 16, 16), False),
    ("r2plus1d_18", 512, (4, 16, 16), True),
    ("swin3d_t", 768, (2, 32, 32), True),
])
def test_logits_equal_torchvision_with_its_weights(tmp_path, vidcore_registry, arch, channels, shape, channels_last):
    reference = _randomised(getattr(video, arch)())
    path = tmp_path / f"{arch}.pth"
    torch.save(reference.state_dict(), path)
    model = _recognizer(arch, str(path), channels)
    clip = torch.randn(1, 3, *shape, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        expected = reference(clip)
        got = model(clip.unsqueeze(1), mode="tensor")
        if channels_last:
            fast = _recognizer(arch, str(path), channels, channels_last=True)(clip.unsqueeze(1), mode="tensor")
            assert torch.allclose(fast, expected, atol=1e-4, rtol=1e-4)
    assert torch.allclose(got, expected, atol=1e-4, rtol=1e-4)


@pytest.mark.vidcore_plugins("vidcore-video", "vidcore-tsn", "vidcore-video3d")
def test_s3d_features_and_classifier_match_torchvision(tmp_path, vidcore_registry):
    """S3D pools 7x7 maps with a fixed kernel, so whole clips need 224 px; its parts are compared instead:
    the backbone is torchvision's forward without the classifier, and `fc_cls` is the 1x1x1 convolution."""
    reference = _randomised(video.s3d())
    path = tmp_path / "s3d.pth"
    torch.save(reference.state_dict(), path)
    model = _recognizer("s3d", str(path), 1024)
    features = torch.randn(2, 1024, 2, 1, 1)
    with torch.no_grad():
        expected = torch.mean(reference.classifier(features), dim=(2, 3, 4))
        assert torch.allclose(model.cls_head(features.mean(dim=(2, 3, 4))), expected, atol=1e-5)
    state = model.backbone.state_dict()
    assert all(torch.equal(state[key], value) for key, value in reference.state_dict().items()
               if not key.startswith("classifier."))
    assert type(model.backbone.classifier).__name__ == "Identity"


@pytest.mark.vidcore_plugins("vidcore-video", "vidcore-tsn", "vidcore-video3d")
def test_recognizer_checkpoint_and_wrong_arch(tmp_path, vidcore_registry):
    reference = video.r3d_18()
    path = tmp_path / "r3d_18.pth"
    torch.save(reference.state_dict(), path)
    model = _recognizer("r3d_18", str(path), 512)
    whole = tmp_path / "recognizer.pth"
    torch.save({"state_dict": model.state_dict()}, whole)
    build = vidcore_registry.get("models", "TorchvisionVideo")
    again = build("r3d_18", pretrained=str(whole))
    assert torch.equal(again.layer4[1].conv2[0].weight, reference.layer4[1].conv2[0].weight)
    with pytest.raises(CheckpointError, match="r3d_18.pth"):
        build("r2plus1d_18", pretrained=str(path))
    frozen = build("mc3_18", frozen=True).train()
    assert not frozen.training and not any(p.requires_grad for p in frozen.parameters())


@pytest.mark.vidcore_plugins("vidcore-video", "vidcore-tsn", "vidcore-video3d")
def test_offline_download_names_the_file_and_where_to_put_it(monkeypatch, tmp_path, vidcore_registry):
    def offline(url, **kwargs):
        raise OSError("<urlopen error [Errno -3] Temporary failure in name resolution>")

    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", offline)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    with pytest.raises(CheckpointError) as error:
        vidcore_registry.get("models", "TorchvisionVideo")("r2plus1d_18", pretrained="torchvision://r2plus1d_18")
    message = str(error.value)
    assert "r2plus1d_18-91a641e6.pth" in message and str(tmp_path / "hub" / "checkpoints") in message
    assert "\n" not in message
    with pytest.raises(ValueError, match="arch must be one of"):
        vidcore_registry.get("models", "TorchvisionVideo")("r2plus1d_34")
