"""mmaction2's ResNet3d family: shapes per architecture, kernel layouts, 2D->3D inflation, freezing,
channels_last_3d, and one-line refusals of what is not supported."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torchvision.models import resnet18
from vidcore import CheckpointError
from vidcore_video3d import I3DHead, ResNet3d, ResNet3dSlowFast, ResNet3dSlowOnly, SlowFastHead

I3D_INFLATE = ((1, 1, 1), (1, 0, 1, 0), (1, 0, 1, 0, 1, 0), (0, 1, 0))


def _clip(t, size=32, n=1, channels=3):
    return torch.randn(n, channels, t, size, size, generator=torch.Generator().manual_seed(0))


@pytest.mark.parametrize("build, t, expected", [
    # mmaction2's I3D-R50: conv1 (5, 7, 7) /2 in time, pool1 /2 in time, pool2 /2: 16 frames -> 2
    (lambda: ResNet3d(depth=50, conv1_kernel=(5, 7, 7), conv1_stride_t=2, pool1_stride_t=2, inflate=I3D_INFLATE),
     16, (1, 2048, 2, 1, 1)),
    # SlowOnly-R50: no temporal striding at all
    (lambda: ResNet3dSlowOnly(depth=50), 4, (1, 2048, 4, 1, 1)),
    # an I3D-R18 with BasicBlocks, two output stages
    (lambda: ResNet3d(depth=18, base_channels=16, out_indices=(2, 3)), 8, ((1, 128, 4, 2, 2), (1, 128, 4, 1, 1))),
])
def test_shapes(build, t, expected):
    out = build().eval()(_clip(t))
    if isinstance(out, tuple):
        assert [tuple(o.shape) for o in out] == [expected[0][:1] + (64,) + expected[0][2:], expected[1]]
    else:
        assert tuple(out.shape) == expected


def test_slowfast_pathways_and_head():
    backbone = ResNet3dSlowFast(resample_rate=8, speed_ratio=8).eval()
    slow, fast = backbone(_clip(32))
    assert slow.shape == (1, 2048, 4, 1, 1) and fast.shape == (1, 256, 32, 1, 1)
    # mmaction2's key layout, laterals included
    keys = set(backbone.state_dict())
    assert {"slow_path.conv1_lateral.conv.weight", "slow_path.layer3_lateral.conv.weight",
            "fast_path.layer4.2.conv3.bn.running_var", "slow_path.layer1.0.downsample.conv.weight"} <= keys
    # the slow pathway's stages take the laterals' channels: layer1 gets 64 + 16
    assert backbone.slow_path.layer1[0].conv1.conv.in_channels == 80
    assert SlowFastHead(400, 2304)((slow, fast)).shape == (1, 400)


def test_kernel_layout_follows_inflate_and_inflate_style():
    model = ResNet3d(depth=50, base_channels=8, inflate=(1, 0, 1, 1), inflate_style="3x1x1", conv1_kernel=(5, 7, 7))
    assert model.conv1.conv.kernel_size == (5, 7, 7) and model.conv1.conv.padding == (2, 3, 3)
    assert model.layer1[0].conv1.conv.kernel_size == (3, 1, 1) and model.layer1[0].conv2.conv.kernel_size == (1, 3, 3)
    assert model.layer2[0].conv1.conv.kernel_size == (1, 1, 1)
    wide = ResNet3d(depth=50, base_channels=8, inflate_style="3x3x3")
    assert wide.layer1[0].conv1.conv.kernel_size == (1, 1, 1) and wide.layer1[0].conv2.conv.kernel_size == (3, 3, 3)
    basic = ResNet3d(depth=18, base_channels=8, inflate=(1, 0, 0, 0))
    assert basic.layer1[0].conv1.conv.kernel_size == (3, 3, 3) and basic.layer2[0].conv2.conv.kernel_size == (1, 3, 3)
    # mmaction2's defaults: zero-initialised last norm of every residual branch
    assert not model.layer1[0].conv3.bn.weight.detach().any()


def test_pretrained2d_inflates_torchvision_weights(tmp_path, depth=18, factory=resnet18):
    torch.manual_seed(0)
    state = factory().state_dict()
    for key, value in state.items():
        if "running" in key:
            value.uniform_(0.5, 1.5)
    path = tmp_path / f"resnet{depth}.pth"
    torch.save(state, path)
    model = ResNet3d(depth=depth, pretrained=str(path), pretrained2d=True, conv1_kernel=(5, 7, 7))
    # each 2D kernel repeated over the temporal taps and divided by their number
    assert torch.allclose(model.conv1.conv.weight, state["conv1.weight"].unsqueeze(2).expand(-1, -1, 5, -1, -1) / 5)
    weight = model.layer2[0].conv2.conv.weight
    assert torch.allclose(weight.sum(dim=2), state["layer2.0.conv2.weight"], atol=1e-6)
    assert torch.equal(model.layer3[0].downsample.conv.weight[:, :, 0], state["layer3.0.downsample.0.weight"])
    assert torch.equal(model.layer3[0].downsample.bn.running_var, state["layer3.0.downsample.1.running_var"])
    assert torch.equal(model.conv1.bn.running_mean, state["bn1.running_mean"])
    # a still clip through an all-1x1-in-time ResNet3d reproduces the 2D network frame by frame
    flat = ResNet3d(depth=depth, pretrained=str(path), conv1_kernel=(1, 7, 7), inflate=0, with_pool2=False).eval()
    net_2d = factory().eval()
    net_2d.load_state_dict(state)
    frame = torch.randn(1, 3, 64, 64)
    maps_2d = nn.Sequential(*list(net_2d.children())[:-2])(frame)
    maps_3d = flat(frame.unsqueeze(2).expand(-1, -1, 2, -1, -1))
    assert torch.allclose(maps_3d[:, :, 0], maps_2d, atol=1e-4) and torch.allclose(maps_3d[:, :, 1], maps_2d, atol=1e-4)


def test_pretrained2d_of_another_depth_is_one_line_error(tmp_path):
    path = tmp_path / "resnet18.pth"
    torch.save(resnet18().state_dict(), path)
    with pytest.raises(CheckpointError, match="resnet18.pth"):
        ResNet3d(depth=34, base_channels=16, pretrained=str(path))


def test_pretrained_3d_checkpoint_loads_strictly(tmp_path):
    source = ResNet3dSlowOnly(depth=18, base_channels=16)
    recognizer_state = {f"backbone.{key}": value for key, value in source.state_dict().items()}
    path = tmp_path / "slowonly.pth"
    torch.save({"state_dict": recognizer_state}, path)
    loaded = ResNet3dSlowOnly(depth=18, base_channels=16, pretrained=str(path), pretrained2d=False)
    assert all(torch.equal(loaded.state_dict()[k], v) for k, v in source.state_dict().items())
    with pytest.raises(CheckpointError, match="slowonly.pth"):
        ResNet3dSlowOnly(depth=18, base_channels=8, pretrained=str(path), pretrained2d=False)


def test_frozen_stages_norm_eval_and_frozen_norms():
    model = ResNet3d(depth=18, base_channels=8, frozen_stages=1, norm_eval=True,
                     norm_cfg={"type": "BN3d", "requires_grad": True})
    model.train()
    assert not any(p.requires_grad for p in model.conv1.parameters())
    assert not any(p.requires_grad for p in model.layer1.parameters())
    assert all(p.requires_grad for p in model.layer2.parameters())
    assert not any(m.training for m in model.modules() if isinstance(m, nn.BatchNorm3d))
    frozen_norms = ResNet3d(depth=18, base_channels=8, norm_cfg={"type": "BN3d", "requires_grad": False})
    assert not any(p.requires_grad for m in frozen_norms.modules() if isinstance(m, nn.BatchNorm3d)
                   for p in m.parameters())


def test_channels_last_3d_gives_the_same_maps():
    torch.manual_seed(0)
    plain = ResNet3d(depth=18, base_channels=16).eval()
    fast = ResNet3d(depth=18, base_channels=16, channels_last=True).eval()
    fast.load_state_dict(plain.state_dict())
    assert fast.conv1.conv.weight.is_contiguous(memory_format=torch.channels_last_3d)
    clip = _clip(8)
    assert torch.allclose(fast(clip), plain(clip), atol=1e-5)


def test_activation_checkpointing_gives_the_same_gradients():
    torch.manual_seed(0)
    plain = ResNet3d(depth=18, base_channels=8, zero_init_residual=False)
    checkpointed = ResNet3d(depth=18, base_channels=8, with_cp=True, zero_init_residual=False)
    checkpointed.load_state_dict(plain.state_dict())
    clip = _clip(4, size=16).requires_grad_()
    plain(clip).sum().backward()
    checkpointed(clip).sum().backward()
    assert torch.allclose(plain.layer1[0].conv1.conv.weight.grad, checkpointed.layer1[0].conv1.conv.weight.grad,
                          atol=1e-5)


@pytest.mark.parametrize("kwargs, message", [
    ({"non_local": (0, 1, 1, 0), "non_local_cfg": {"mode": "concatenation"}}, "mode"),
    ({"conv_cfg": {"type": "Conv2d"}}, "conv_cfg"),
    ({"norm_cfg": {"type": "SyncBN"}}, "norm_cfg"),
    ({"inflate_style": "3x3"}, "inflate_style"),
    ({"depth": 42}, "depth"),
    ({"inflate": ((1, 1), 1, 1, 1)}, "inflate"),
])
def test_refusals_name_the_argument(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ResNet3d(**kwargs)


def test_i3d_head_pools_maps_and_takes_pooled_features():
    head = I3DHead(5, 64).eval()
    maps = torch.randn(2, 64, 2, 3, 3)
    assert torch.allclose(head(maps), head(maps.mean(dim=(2, 3, 4))), atol=1e-6)


@pytest.mark.parametrize("mode", ["embedded_gaussian", "dot_product", "gaussian"])
def test_non_local_blocks_follow_mmcv_layout_and_maths(mode):
    torch.manual_seed(0)
    cfg = {"sub_sample": True, "use_scale": True, "mode": mode, "norm_cfg": {"type": "BN3d", "requires_grad": True}}
    model = ResNet3d(depth=50, base_channels=8, stage_blocks=(1, 2, 1, 1), non_local=(0, (0, 1), 0, 0),
                     non_local_cfg=cfg).eval()
    keys = set(model.state_dict())
    prefix = "layer2.1.non_local_block."
    assert {f"{prefix}g.0.conv.weight", f"{prefix}g.0.conv.bias", f"{prefix}conv_out.conv.weight",
            f"{prefix}conv_out.bn.running_var"} <= keys
    assert (f"{prefix}theta.conv.bias" in keys) == (f"{prefix}phi.0.conv.weight" in keys) == (mode != "gaussian")
    assert not any(key.startswith("layer2.0.non_local_block") for key in keys)
    block = model.layer2[1].non_local_block
    maps = torch.randn(2, 64, 2, 4, 4)
    assert torch.equal(block(maps), maps)  # conv_out's norm starts at zero: the identity
    with torch.no_grad():
        for parameter in block.parameters():
            parameter.normal_(0, 0.3)
        block.conv_out.bn.running_var.fill_(1.0)
        expected = _non_local_reference(block, maps, mode)
        assert torch.allclose(block(maps), expected, rtol=1e-4, atol=1e-3)


def _non_local_reference(block, x, mode):
    """The non-local operation written with einsum over positions, sub-sampled keys and values."""
    def conv(module, inputs):
        return torch.einsum("oc,nc...->no...", module.conv.weight[:, :, 0, 0, 0], inputs) + \
            module.conv.bias.view(1, -1, 1, 1, 1)

    pool = nn.functional.max_pool3d
    values = pool(conv(block.g[0], x), (1, 2, 2)).flatten(2)  # (n, c, m)
    if mode == "gaussian":
        queries, keys = x.flatten(2), pool(x, (1, 2, 2)).flatten(2)
    else:
        queries, keys = conv(block.theta, x).flatten(2), pool(conv(block.phi[0], x), (1, 2, 2)).flatten(2)
    scores = torch.einsum("ncp,ncm->npm", queries, keys)
    if mode == "dot_product":
        weights = scores / keys.shape[-1]
    else:
        weights = (scores / queries.shape[1] ** 0.5 if mode == "embedded_gaussian" else scores).softmax(dim=-1)
    y = torch.einsum("npm,ncm->ncp", weights, values).reshape(x.shape[0], -1, *x.shape[2:])
    out = block.conv_out.bn(torch.einsum("oc,nc...->no...", block.conv_out.conv.weight[:, :, 0, 0, 0], y))
    return x + out
