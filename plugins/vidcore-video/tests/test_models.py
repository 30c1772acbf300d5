"""ActionDataSample, ActionDataPreprocessor and the mixup/cutmix blendings."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch
from vidcore.errors import ConfigError, DataError
from vidcore.model import BaseDataPreprocessor
from vidcore_video import ActionDataPreprocessor, ActionDataSample, CutmixBlending, MixupBlending


def test_data_sample_fields_pickle_and_to():
    sample = ActionDataSample(metainfo={"filename": "a.mp4"}).set_gt_label(3).set_pred_score(np.array([0.1, 0.9]))
    assert sample.gt_label.tolist() == [3] and sample.gt_label.dtype == torch.long
    assert sample.pred_score.dtype == torch.float32 and sample.metainfo["num_classes"] == 2
    assert sample["pred_score"].tolist() == pytest.approx([0.1, 0.9]) and "gt_label" in sample
    assert "pred_label" not in sample and sample.get("filename") == "a.mp4"
    sample.set_pred_label(1)
    copy = pickle.loads(pickle.dumps(sample))
    assert copy.pred_label.tolist() == [1] and copy.metainfo["filename"] == "a.mp4"
    moved = sample.to("cpu", torch.float64)
    assert moved.pred_score.dtype == torch.float64 and moved is not sample and moved.metainfo == sample.metainfo
    assert ActionDataSample().set_gt_label([1, 4]).gt_label.tolist() == [1, 4]
    assert ActionDataSample().set_gt_label(torch.tensor([0.2, 0.8])).gt_label.dtype == torch.float32
    with pytest.raises(TypeError):
        ActionDataSample().set_gt_label(1.5)


def batch(count: int, shape=(2, 3, 4, 4), labels=None):
    inputs = [torch.randint(0, 256, shape, dtype=torch.uint8) for _ in range(count)]
    samples = [ActionDataSample().set_gt_label(label) for label in (labels or range(count))]
    return {"inputs": inputs, "data_samples": samples}  # as vidcore's pseudo_collate batches them


def test_preprocessor_stacks_converts_and_normalises_nchw():
    data = batch(3)
    pre = ActionDataPreprocessor(mean=[10.0, 20.0, 30.0], std=[2.0, 4.0, 5.0])
    assert isinstance(pre, BaseDataPreprocessor)
    out = pre(data)
    stacked = torch.stack(data["inputs"]).float()
    mean, std = torch.tensor([10.0, 20.0, 30.0]).view(-1, 1, 1), torch.tensor([2.0, 4.0, 5.0]).view(-1, 1, 1)
    expected = (stacked - mean) / std
    assert out["inputs"].shape == (3, 2, 3, 4, 4) and out["inputs"].dtype == torch.float32
    torch.testing.assert_close(out["inputs"], expected)
    assert [s.gt_label.item() for s in out["data_samples"]] == [0, 1, 2]
    assert data["inputs"][0].dtype == torch.uint8  # the batch itself is untouched


def test_preprocessor_ncthw_to_rgb_and_no_normalisation():
    data = batch(2, shape=(1, 3, 2, 4, 4))
    out = ActionDataPreprocessor(format_shape="NCTHW", to_rgb=True)(data)
    torch.testing.assert_close(out["inputs"], torch.stack(data["inputs"]).float().flip(2))
    normalised = ActionDataPreprocessor(mean=[1, 2, 3], std=[1, 1, 1], format_shape="NCTHW")(data)["inputs"]
    torch.testing.assert_close(normalised[:, :, 1], torch.stack(data["inputs"]).float()[:, :, 1] - 2)


def test_preprocessor_blends_only_in_training():
    torch.manual_seed(0)
    pre = ActionDataPreprocessor(mean=[0, 0, 0], std=[1, 1, 1], blending={"type": "MixupBlending", "num_classes": 4})
    assert isinstance(pre.blending, MixupBlending)
    evaluation = pre(batch(4))
    assert [s.gt_label.tolist() for s in evaluation["data_samples"]] == [[0], [1], [2], [3]]
    training = pre(batch(4), training=True)
    targets = torch.stack([s.gt_label for s in training["data_samples"]])
    assert targets.shape == (4, 4) and targets.dtype == torch.float32
    torch.testing.assert_close(targets.sum(dim=1), torch.ones(4))


def test_mixup_mixes_inputs_and_labels_with_one_lambda():
    torch.manual_seed(1)
    inputs = torch.stack([torch.full((1, 3, 2, 2), float(i)) for i in range(4)])
    samples = [ActionDataSample().set_gt_label(i) for i in range(4)]
    mixed, samples = MixupBlending(num_classes=4, alpha=0.4)(inputs, samples)
    targets = torch.stack([s.gt_label for s in samples])
    lam = targets.max(dim=1).values  # the share of each sample's own label (>= 0.5 or its partner's)
    for k in range(4):
        partner = int(torch.argsort(targets[k])[-2]) if lam[k] < 1 else k
        own = float(targets[k, k])
        assert mixed[k, 0, 0, 0, 0].item() == pytest.approx(own * k + (1 - own) * partner, abs=1e-5)


def test_cutmix_pastes_a_box_and_weights_labels_by_area():
    torch.manual_seed(2)
    inputs = torch.stack([torch.full((1, 3, 8, 8), float(i)) for i in range(2)])
    samples = [ActionDataSample().set_gt_label(i) for i in range(2)]
    mixed, samples = CutmixBlending(num_classes=2, alpha=1.0)(inputs, samples)
    for k in range(2):
        own_share = float((mixed[k] == k).float().mean())
        assert float(samples[k].gt_label[k]) == pytest.approx(own_share, abs=1e-6) or own_share == 1.0
    assert inputs[0].eq(0).all()  # inputs are not modified in place


def test_blending_multi_label_and_bad_arguments():
    samples = [ActionDataSample().set_gt_label(torch.tensor([1.0, 0.0, 1.0])) for _ in range(2)]
    _, samples = MixupBlending(num_classes=3)(torch.zeros(2, 1, 3, 2, 2), samples)
    assert samples[0].gt_label.shape == (3,)
    with pytest.raises(ConfigError, match="num_classes"):
        MixupBlending(num_classes=0)
    with pytest.raises(ConfigError, match="format_shape"):
        ActionDataPreprocessor(format_shape="NHWC")
    with pytest.raises(ConfigError, match="mean and std"):
        ActionDataPreprocessor(mean=[1, 2, 3])


def test_preprocessor_moves_to_the_model_device():
    pre = ActionDataPreprocessor(mean=[0, 0, 0], std=[1, 1, 1])
    out = pre(batch(1))
    assert out["inputs"].device == pre.device == torch.device("cpu")
    if torch.cuda.is_available():  # pragma: no cover - exercised on machines with a GPU
        pre = pre.cuda()
        out = pre(batch(2))
        assert out["inputs"].is_cuda and out["data_samples"][0].gt_label.is_cuda


def test_preprocessor_keeps_channels_last_and_the_samples_metadata():
    data = batch(3)
    data["inputs"] = [clip.contiguous(memory_format=torch.channels_last) for clip in data["inputs"]]
    data["data_samples"][1].set_metainfo({"filename": "b.mp4"})
    out = ActionDataPreprocessor(mean=[1, 2, 3], std=[1, 1, 1])(data)
    assert out["inputs"].flatten(0, 1).is_contiguous(memory_format=torch.channels_last)
    assert out["data_samples"][1].metainfo["filename"] == "b.mp4"
    assert out["data_samples"][1] is not data["data_samples"][1]  # the batch's samples are not changed
    labels = torch.stack([sample.gt_label for sample in out["data_samples"]])
    assert labels.tolist() == [[0], [1], [2]]


def test_preprocessor_checks_labels_against_num_classes_naming_the_video():
    data = batch(3)
    data["data_samples"][2].set_metainfo({"filename": "/data/c.mp4"})
    ActionDataPreprocessor(num_classes=3)(data)  # labels 0, 1, 2 fit
    with pytest.raises(DataError, match=r"model.cls_head: label 2 is out of range \[0, 2\) for num_classes=2; .* "
                                        r"\(/data/c.mp4\)$"):
        ActionDataPreprocessor(num_classes=2)(data)
    with pytest.raises(ConfigError, match="num_classes must be a positive integer"):
        ActionDataPreprocessor(num_classes=0)


def test_preprocessor_names_clips_of_different_shapes():
    data = batch(2)
    data["inputs"][1] = data["inputs"][1][:, :, :2]
    with pytest.raises(DataError, match=r"the clips of a batch must share one shape to be stacked, got "
                                        r"\[\(2, 3, 2, 4\), \(2, 3, 4, 4\)\]"):
        ActionDataPreprocessor()(data)
