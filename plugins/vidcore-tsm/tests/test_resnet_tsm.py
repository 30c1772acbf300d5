"""ResNetTSM: output shapes, where the shift sits, torchvision weights by a local path, refused options."""

from __future__ import annotations

import pytest
import torch
import torchvision
from vidcore import CheckpointError
from vidcore_tsm import ResNetTSM, temporal_shift
from vidcore_tsm.resnet_tsm import shifted_modules
from vidcore_tsn import ResNet


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


@pytest.mark.parametrize("place", ["blockres", "block"])
def test_output_shape_is_resnets_for_every_frame(place):
    model = ResNetTSM(depth=18, num_segments=4, shift_place=place).eval()
    assert model(torch.randn(8, 3, 64, 64)).shape == (8, 512, 2, 2)


def test_temporal_pool_halves_the_frames():
    model = ResNetTSM(depth=18, num_segments=4, temporal_pool=True).eval()
    assert model(torch.randn(8, 3, 64, 64)).shape == (4, 512, 2, 2)


def test_blockres_shifts_each_blocks_first_conv_and_block_shifts_whole_blocks():
    assert shifted_modules(ResNetTSM(depth=18)) == [f"layer{i}.{j}.conv1" for i in range(1, 5) for j in range(2)]
    assert shifted_modules(ResNetTSM(depth=18, shift_place="block")) == [f"layer{i}.{j}" for i in range(1, 5)
                                                                         for j in range(2)]
    assert shifted_modules(ResNetTSM(depth=18, is_shift=False)) == []


def test_deep_resnets_shift_every_other_block_with_blockres():
    shifted = shifted_modules(ResNetTSM(depth=101))
    assert "layer3.0.conv1" in shifted and "layer3.1.conv1" not in shifted and "layer3.22.conv1" in shifted
    assert len(shifted) == 2 + 2 + 12 + 2


def test_blockres_shifts_the_residual_branch_only():
    """One block by hand: the identity path adds the unshifted input."""
    model = ResNetTSM(depth=18, num_segments=2, shift_div=4).eval()
    block = model.layer1[0]
    x = torch.randn(4, 64, 8, 8)
    shifted = temporal_shift(x, 2, 4)
    residual = block.bn2(block.conv2(block.relu(block.bn1(torch.nn.functional.conv2d(shifted, block.conv1.weight,
                                                                                       padding=1)))))
    assert torch.allclose(block(x), torch.relu(residual + x), atol=1e-5)


def test_frames_see_their_neighbours_only_when_shifted():
    x = torch.randn(4, 3, 32, 32)
    changed = x.clone()
    changed[1] = torch.randn(3, 32, 32)  # frame 1 of the first clip (frames 0-1)
    shifted = ResNetTSM(depth=18, num_segments=2).eval()
    plain = ResNetTSM(depth=18, num_segments=2, is_shift=False).eval()
    assert not torch.allclose(shifted(x)[0], shifted(changed)[0])  # frame 0 depends on frame 1
    assert torch.allclose(shifted(x)[2:], shifted(changed)[2:])  # the other clip does not
    assert torch.allclose(plain(x)[0], plain(changed)[0])


def test_torchvision_weights_load_by_local_path_under_torchvision_names(tmp_path):
    reference = torchvision.models.resnet18()
    path = tmp_path / "resnet18_torchvision.pth"
    torch.save(reference.state_dict(), path)
    model = ResNetTSM(depth=18, pretrained=str(path), num_segments=2)
    for key, value in model.state_dict().items():
        assert torch.equal(value, reference.state_dict()[key]), key
    # unshifted, the network is torchvision's ResNet-18 up to layer4
    plain = ResNetTSM(depth=18, pretrained=str(path), is_shift=False).eval()
    reference.eval()
    x = torch.randn(2, 3, 64, 64)
    expected = reference.layer4(reference.layer3(reference.layer2(reference.layer1(
        reference.maxpool(reference.relu(reference.bn1(reference.conv1(x))))))))
    assert torch.allclose(plain(x), expected, atol=1e-5)


def test_a_tsn_resnet_state_dict_loads_unchanged():
    assert ResNetTSM(depth=18).load_state_dict(ResNet(depth=18).state_dict()).missing_keys == []


def test_weights_of_another_depth_are_refused(tmp_path):
    path = tmp_path / "resnet34.pth"
    torch.save(torchvision.models.resnet34().state_dict(), path)
    with pytest.raises(CheckpointError, match="resnet34.pth"):
        ResNetTSM(depth=18, pretrained=str(path))


@pytest.mark.parametrize("args,message", [
    ({"non_local": [[0], [1, 0], [0], [0]]}, "non-local blocks"),
    ({"non_local_cfg": {"mode": "dot_product"}}, "non-local blocks"),
    ({"shift_place": "blockwise"}, "shift_place must be one of"),
    ({"num_segments": 0}, "num_segments must be a positive integer"),
    ({"pretrained2d": False}, "pretrained2d"),
])
def test_unsupported_options_are_refused_with_a_clear_error(args, message):
    with pytest.raises(ValueError, match=message):
        ResNetTSM(depth=18, **args)


def test_frames_that_do_not_fill_clips_are_refused():
    with pytest.raises(ValueError, match="6 frames do not split into clips of num_segments=4"):
        ResNetTSM(depth=18, num_segments=4)(torch.randn(6, 3, 32, 32))
