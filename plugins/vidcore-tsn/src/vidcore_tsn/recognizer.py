"""`Recognizer2D`: a 2D-CNN action recognizer (TSN and kin) under vidcore's BaseModel contract."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import torch
from torch import nn
from vidcore.model import BaseModel

from .components import build_module
from .heads.tsn_head import AVERAGE_CLIPS
from .weight_init import apply_init_cfg

__all__ = ["Recognizer2D"]

_TEST_CFG_KEYS = ("average_clips", "num_segs", "max_testing_views", "feature_extraction")


class Recognizer2D(BaseModel):
    """Backbone over every frame, then a head that fuses each sample's frames into class scores.

    Inputs are `(N, V, C, H, W)` (format_shape `NCHW`): V frames per sample, which are the segments of
    one clip in training and clips x crops views at test time. All frames are folded into the batch,
    `(N * V, C, H, W)`, for the backbone.

    `test_cfg` (all optional):
    - `average_clips`: 'prob' | 'score' | null, how views are merged (default: the head's `average_clips`).
    - `num_segs`: frames per view at test time. Default: the head's `num_segments` when it has one (a head
      whose views have a fixed length, such as TSM's); otherwise all V frames form one consensus, as in
      mmaction2 and the TSN paper (features averaged over views, i.e. raw scores fused before softmax);
      `num_segs: 1` scores every frame separately and merges the V views per `average_clips`.
    - `max_testing_views`: run the backbone on at most this many frames at once (bounds test memory).
    - `feature_extraction`: predict stores the view-averaged pooled backbone feature as `pred_score`.

    `train_cfg` exists for mmaction2 configs (which set it to null); TSN reads no key from it.
    """

    vidcore_raw_args = ("data_preprocessor", "train_cfg", "test_cfg", "init_cfg")

    def __init__(self, backbone: nn.Module | Mapping[str, Any], cls_head: nn.Module | Mapping[str, Any],
                 data_preprocessor: nn.Module | Mapping[str, Any] | None = None,
                 train_cfg: Mapping[str, Any] | None = None, test_cfg: Mapping[str, Any] | None = None,
                 init_cfg: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None) -> None:
        super().__init__(data_preprocessor)
        self.backbone = build_module(backbone, "model.backbone")
        self.cls_head = build_module(cls_head, "model.cls_head")
        if getattr(self.data_preprocessor, "num_classes", 0) is None:  # it checks labels on the host before the copy
            self.data_preprocessor.num_classes = getattr(self.cls_head, "num_classes", None)
        if train_cfg:
            raise ValueError(f"Recognizer2D reads no train_cfg keys; got {sorted(train_cfg)} (set train_cfg: null)")
        self.train_cfg = {}
        self.test_cfg = _check_test_cfg(test_cfg)
        apply_init_cfg(self, init_cfg, "model.init_cfg")

    def forward(self, inputs: torch.Tensor, data_samples: Sequence[Any] | None = None, mode: str = "tensor",
                stage: str = "head") -> Any:
        """`loss` -> dict of losses; `predict` -> data samples with `pred_score`; `tensor` -> class scores
        `(N, K)` (or, with `stage='backbone'`, the backbone maps `(N, V, C, h, w)`)."""
        if mode == "loss":
            return self.loss(inputs, data_samples)
        if mode == "predict":
            return self.predict(inputs, data_samples)
        if mode == "tensor":
            feats, num_segs = self.extract_feat(inputs)
            if stage == "backbone":
                return feats.view(-1, num_segs, *feats.shape[1:])
            if stage == "head":
                return self.cls_head(feats, num_segs)
            raise ValueError(f"Recognizer2D stage must be 'backbone' or 'head', got {stage!r}")
        raise ValueError(f"Recognizer2D mode must be 'loss', 'predict' or 'tensor', got {mode!r}")

    def extract_feat(self, inputs: torch.Tensor, test_mode: bool = False) -> tuple[torch.Tensor, int]:
        """Backbone maps of every frame, `(N * V, C, h, w)`, and V."""
        if inputs.dim() != 5:
            raise ValueError(f"Recognizer2D expects inputs of shape (N, V, C, H, W) (format_shape 'NCHW'), "
                             f"got {tuple(inputs.shape)}")
        num_segs = inputs.shape[1]
        frames = inputs.flatten(0, 1)
        chunk = self.test_cfg.get("max_testing_views") if test_mode else None
        if not chunk or chunk >= frames.shape[0]:
            return _first(self.backbone(frames)), num_segs
        return torch.cat([_first(self.backbone(part)) for part in frames.split(chunk)]), num_segs

    def loss(self, inputs: torch.Tensor, data_samples: Sequence[Any]) -> dict[str, torch.Tensor]:
        """Consensus over the V segments of each sample, then the head's loss against `gt_label`."""
        feats, num_segs = self.extract_feat(inputs)
        cls_score = self.cls_head(feats, num_segs)
        return self.cls_head.loss(cls_score, _labels(data_samples, cls_score.device))

    def predict(self, inputs: torch.Tensor, data_samples: Sequence[Any]) -> list[Any]:
        """Each data sample with `pred_score` set: its views' scores merged per `average_clips`."""
        feats, num_frames = self.extract_feat(inputs, test_mode=True)
        if self.test_cfg.get("feature_extraction"):
            pooled = feats.float().mean(dim=(2, 3)) if feats.dim() == 4 else feats.float()
            scores = pooled.view(-1, num_frames, pooled.shape[-1]).mean(dim=1)
        else:
            num_segs = self.test_cfg.get("num_segs") or getattr(self.cls_head, "num_segments", None) or num_frames
            if num_frames % num_segs:
                raise ValueError(f"test_cfg.num_segs={num_segs} does not divide the {num_frames} frames per sample")
            cls_scores = self.cls_head(feats, num_segs)
            average = self.test_cfg.get("average_clips", "default")
            scores = self.cls_head.average_clip(cls_scores, num_frames // num_segs, average)
            if scores.dim() != 2:
                raise ValueError(f"average_clips: null keeps the {num_frames // num_segs} views' scores apart, but "
                                 "pred_score holds one score vector per sample; use 'prob' or 'score'")
        for sample, score in zip(data_samples, scores):
            sample.set_pred_score(score.detach())
        return list(data_samples)


def _check_test_cfg(test_cfg: Mapping[str, Any] | None) -> dict[str, Any]:
    cfg = dict(test_cfg or {})
    unknown = sorted(set(cfg) - set(_TEST_CFG_KEYS))
    if unknown:
        raise ValueError(f"Recognizer2D test_cfg has unknown key(s) {unknown}; accepted: {list(_TEST_CFG_KEYS)}")
    if "average_clips" in cfg and cfg["average_clips"] not in AVERAGE_CLIPS:
        raise ValueError(f"test_cfg.average_clips must be 'prob', 'score' or null, got {cfg['average_clips']!r}")
    for key in ("num_segs", "max_testing_views"):
        if cfg.get(key) is not None and (not isinstance(cfg[key], int) or cfg[key] < 1):
            raise ValueError(f"test_cfg.{key} must be a positive integer, got {cfg[key]!r}")
    return cfg


def _first(feats: torch.Tensor | tuple[torch.Tensor, ...]) -> torch.Tensor:
    """The last stage's maps when the backbone returns several (the head reads one)."""
    return feats[-1] if isinstance(feats, tuple) else feats


def _labels(data_samples: Sequence[Any] | None, device: torch.device) -> torch.Tensor:
    """`(N,)` class indices, or `(N, K)` soft labels (mixup/cutmix), from the samples' `gt_label`."""
    if not data_samples:
        raise ValueError("Recognizer2D loss mode needs data_samples carrying gt_label")
    labels = [torch.as_tensor(sample.gt_label) for sample in data_samples]
    if all(label.numel() == 1 for label in labels):
        return torch.stack([label.reshape(()) for label in labels]).long().to(device)
    return torch.stack(labels).to(device)
