"""`Recognizer3D`: a 3D-CNN or video-transformer action recognizer under vidcore's BaseModel contract."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import torch
from torch import nn
from vidcore_tsn import Recognizer2D

__all__ = ["Recognizer3D"]

Features = torch.Tensor | tuple[torch.Tensor, ...]


class Recognizer3D(Recognizer2D):
    """Backbone over whole clips, then a head that scores each clip; a sample's views are averaged.

    Inputs are `(N, V, C, T, H, W)` (format_shape `NCTHW`): V views per sample, which are clips x crops
    at test time (e.g. 10 x 3 = 30), and usually 1 in training. The views are folded into the batch,
    `(N * V, C, T, H, W)`, for the backbone; the head scores every view, and the V scores of each sample
    are merged per `average_clips` ('prob': mean of the softmax, 'score': mean of the raw scores), as in
    mmaction2. In training, the views' scores are averaged before the loss.

    `test_cfg` (all optional): `average_clips` overrides the head's; `max_testing_views` runs the backbone
    on at most that many views at a time (bounds test memory; the result is the same);
    `feature_extraction` stores the view-averaged pooled backbone feature as `pred_score`.
    `train_cfg` exists for mmaction2 configs (which set it to null). The construction (sub-components built
    from their configs, `init_cfg`, the test_cfg checks) is vidcore-tsn's `Recognizer2D`'s.
    """

    def __init__(self, backbone: nn.Module | Mapping[str, Any], cls_head: nn.Module | Mapping[str, Any],
                 data_preprocessor: nn.Module | Mapping[str, Any] | None = None,
                 train_cfg: Mapping[str, Any] | None = None, test_cfg: Mapping[str, Any] | None = None,
                 init_cfg: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None) -> None:
        if test_cfg and "num_segs" in test_cfg:
            raise ValueError("Recognizer3D test_cfg takes no num_segs: each view is a whole clip (accepted: "
                             "average_clips, max_testing_views, feature_extraction)")
        super().__init__(backbone, cls_head, data_preprocessor, train_cfg, test_cfg, init_cfg)

    def forward(self, inputs: torch.Tensor, data_samples: Sequence[Any] | None = None, mode: str = "tensor",
                stage: str = "head") -> Any:
        """`loss` -> dict of losses; `predict` -> data samples with `pred_score`; `tensor` -> raw class scores
        (logits) `(N, K)`, averaged over the V views (`stage='backbone'`: the backbone's output for the
        `N * V` views)."""
        if mode == "loss":
            return self.loss(inputs, data_samples)
        if mode == "predict":
            return self.predict(inputs, data_samples)
        if mode == "tensor":
            feats, num_views = self.extract_feat(inputs)
            if stage == "backbone":
                return feats
            if stage == "head":
                return self.average_views(self.cls_head(feats), num_views, "score")
            raise ValueError(f"Recognizer3D stage must be 'backbone' or 'head', got {stage!r}")
        raise ValueError(f"Recognizer3D mode must be 'loss', 'predict' or 'tensor', got {mode!r}")

    def extract_feat(self, inputs: torch.Tensor, test_mode: bool = False) -> tuple[Features, int]:
        """The backbone's output for every view, `(N * V, ...)` (a tuple for SlowFast), and V."""
        if inputs.dim() != 6:
            raise ValueError(f"Recognizer3D expects inputs of shape (N, V, C, T, H, W) (format_shape 'NCTHW'), "
                             f"got {tuple(inputs.shape)}")
        num_views = inputs.shape[1]
        clips = inputs.flatten(0, 1)
        chunk = self.test_cfg.get("max_testing_views") if test_mode else None
        if not chunk or chunk >= clips.shape[0]:
            return self.backbone(clips), num_views
        parts = [self.backbone(part) for part in clips.split(chunk)]
        if isinstance(parts[0], (tuple, list)):
            return tuple(torch.cat(group) for group in zip(*parts)), num_views
        return torch.cat(parts), num_views

    def average_views(self, cls_scores: torch.Tensor, num_views: int, average_clips: Any = "default") -> torch.Tensor:
        """`(N * V, K)` view scores -> `(N, K)` per `average_clips` (the test_cfg's, else the head's)."""
        if average_clips == "default":
            average_clips = self.test_cfg.get("average_clips", "default")
        scores = self.cls_head.average_clip(cls_scores, num_views, average_clips)
        if scores.dim() != 2:
            raise ValueError(f"average_clips: null keeps the {num_views} views' scores apart, but pred_score holds "
                             "one score vector per sample; use 'prob' or 'score'")
        return scores

    def loss(self, inputs: torch.Tensor, data_samples: Sequence[Any]) -> dict[str, torch.Tensor]:
        """The head's loss against `gt_label`, on the raw scores averaged over each sample's views."""
        feats, num_views = self.extract_feat(inputs)
        cls_score = self.cls_head(feats)
        if num_views > 1:
            cls_score = cls_score.view(-1, num_views, cls_score.shape[-1]).mean(dim=1)
        return self.cls_head.loss(cls_score, _labels(data_samples, cls_score.device))

    def predict(self, inputs: torch.Tensor, data_samples: Sequence[Any]) -> list[Any]:
        """Each data sample with `pred_score` set: its views' scores merged per `average_clips`."""
        feats, num_views = self.extract_feat(inputs, test_mode=True)
        if self.test_cfg.get("feature_extraction"):
            pooled = _pooled(feats)
            scores = pooled.view(-1, num_views, pooled.shape[-1]).mean(dim=1)
        else:
            scores = self.average_views(self.cls_head(feats), num_views)
        for sample, score in zip(data_samples, scores):
            sample.set_pred_score(score.detach())
        return list(data_samples)


def _pooled(feats: Features) -> torch.Tensor:
    """Global average of each view's maps, `(N * V, C)`; SlowFast's two pathways concatenated (fast, slow)."""
    if isinstance(feats, (tuple, list)):
        return torch.cat([_pooled(part) for part in reversed(feats)], dim=1)
    feats = feats.float()
    return feats.flatten(2).mean(dim=2) if feats.dim() > 2 else feats


def _labels(data_samples: Sequence[Any] | None, device: torch.device) -> torch.Tensor:
    """`(N,)` class indices, or `(N, K)` soft labels (mixup/cutmix), from the samples' `gt_label`."""
    if not data_samples:
        raise ValueError("Recognizer3D loss mode needs data_samples carrying gt_label")
    labels = [torch.as_tensor(sample.gt_label) for sample in data_samples]
    if all(label.numel() == 1 for label in labels):
        return torch.stack([label.reshape(()) for label in labels]).long().to(device)
    return torch.stack(labels).to(device)
