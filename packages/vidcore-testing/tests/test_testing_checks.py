"""vidcore_testing: each conformance check fails on a bad component with a precise message and passes a good one;
the pytest fixtures and helpers do what plugin authors rely on."""

from __future__ import annotations

import dataclasses
import random

import numpy as np
import pytest
import torch
import vidcore
from torch import nn
from vidcore.errors import PluginError
from vidcore.evaluation import BaseMetric
from vidcore.model import BaseModel
from vidcore.plugins import default_registry
from vidcore.visualization import BaseVisBackend
from vidcore_testing import (
    check_dataset,
    check_imports,
    check_metric,
    check_model,
    check_transform,
    check_vis_backend,
    install_throwaway_distribution,
    isolated_registry,
    run_python,
)

# --- transforms ---------------------------------------------------------------------------------------------


class RandomScale:
    def __init__(self, high: float = 2.0) -> None:
        self.high = high

    def __call__(self, results: dict) -> dict:
        results["inputs"] = results["inputs"] * random.uniform(1.0, self.high)
        return results


class ForgetsToReturn:
    def __call__(self, results: dict) -> None:
        results["inputs"] = results["inputs"] * 2


class HoldsALambda:
    def __init__(self) -> None:
        self.scale = lambda x: x * 2

    def __call__(self, results: dict) -> dict:
        results["inputs"] = self.scale(results["inputs"])
        return results


class PrivateGenerator:
    def __init__(self) -> None:
        self.rng = np.random.default_rng()

    def __call__(self, results: dict) -> dict:
        results["inputs"] = results["inputs"] + float(self.rng.normal())
        return results


@dataclasses.dataclass
class Sample:
    label: int
    noise: torch.Tensor


class NoisySample:
    def __call__(self, results: dict) -> dict:
        results["data_samples"] = Sample(label=1, noise=torch.from_numpy(np.random.default_rng().normal(size=2)))
        return results


class NeedsAMissingKey:
    def __call__(self, results: dict) -> dict:
        results["imgs"] = results["frames"]
        return results


class ForgetsStateWhenPickled:
    factor = 1.0

    def __init__(self) -> None:
        self.factor = 3.0

    def __getstate__(self) -> dict:
        return {}

    def __call__(self, results: dict) -> dict:
        results["inputs"] = results["inputs"] * self.factor
        return results


RESULTS = {"inputs": torch.ones(2, 3), "label": 1}


def test_check_transform_passes_a_good_transform_and_leaves_the_input_alone():
    results = {"inputs": torch.ones(2, 3), "label": 1}
    output = check_transform(RandomScale(), results)
    assert output["label"] == 1 and 1.0 <= float(output["inputs"][0, 0]) <= 2.0
    assert torch.equal(results["inputs"], torch.ones(2, 3))


@pytest.mark.parametrize("transform, message", [
    (ForgetsToReturn(), "ForgetsToReturn(results) returned NoneType, not the results dict "
                        "(does __call__ end with `return results`?)"),
    (HoldsALambda(), "transform HoldsALambda is not picklable "
                     "(DataLoader workers receive the pipeline by pickling it)"),
    (PrivateGenerator(), "PrivateGenerator is not deterministic under a fixed seed: results['inputs'] holds different "
                         "values in two calls seeded with 0"),
    (NoisySample(), "NoisySample is not deterministic under a fixed seed: results['data_samples']['noise'] holds "
                    "different values"),
    (NeedsAMissingKey(), "NeedsAMissingKey(results with inputs, label) raised KeyError: 'frames'"),
    (ForgetsStateWhenPickled(), "ForgetsStateWhenPickled behaves differently after a pickle round trip: "
                                "results['inputs'] holds different values"),
    ("not a transform", "str is not callable"),
])
def test_check_transform_names_what_is_wrong(transform, message):
    with pytest.raises(AssertionError) as error:
        check_transform(transform, RESULTS)
    assert message in str(error.value)


# --- models -------------------------------------------------------------------------------------------------


class TinyModel(BaseModel):
    def __init__(self, num_classes: int = 3) -> None:
        super().__init__()
        self.fc = nn.Linear(4, num_classes)

    def forward(self, inputs, data_samples=None, mode="tensor"):
        logits = self.fc(inputs)
        if mode == "loss":
            labels = torch.tensor([sample["label"] for sample in data_samples])
            return {"loss": nn.functional.cross_entropy(logits, labels), "acc": torch.tensor(0.5)}
        if mode == "predict":
            return [{"pred_label": int(row.argmax())} for row in logits]
        return logits


class LossIsATensor(TinyModel):
    def forward(self, inputs, data_samples=None, mode="tensor"):
        output = super().forward(inputs, data_samples, mode)
        return output["loss"] if mode == "loss" else output


class LossWithoutLossKey(TinyModel):
    def forward(self, inputs, data_samples=None, mode="tensor"):
        output = super().forward(inputs, data_samples, mode)
        return {"cross_entropy": output["loss"]} if mode == "loss" else output


class DetachedLoss(TinyModel):
    def forward(self, inputs, data_samples=None, mode="tensor"):
        output = super().forward(inputs, data_samples, mode)
        return {"loss": output["loss"].detach()} if mode == "loss" else output


class PredictsATensor(TinyModel):
    def forward(self, inputs, data_samples=None, mode="tensor"):
        return self.fc(inputs) if mode == "predict" else super().forward(inputs, data_samples, mode)


class PredictsOnlyTheFirst(TinyModel):
    def forward(self, inputs, data_samples=None, mode="tensor"):
        output = super().forward(inputs, data_samples, mode)
        return output[:1] if mode == "predict" else output


class TensorModeReturnsNothing(TinyModel):
    def forward(self, inputs, data_samples=None, mode="tensor"):
        return None if mode == "tensor" else super().forward(inputs, data_samples, mode)


class PlainModule(nn.Module):
    def forward(self, inputs, data_samples=None, mode="tensor"):
        return inputs


INPUTS = torch.randn(2, 4)
SAMPLES = [{"label": 0}, {"label": 2}]


def test_check_model_passes_a_good_model_and_restores_its_state():
    model = TinyModel().eval()
    outputs = check_model(model, INPUTS, SAMPLES)
    assert set(outputs) == {"loss", "predict", "tensor"} and len(outputs["predict"]) == 2
    assert not model.training and all(parameter.grad is None for parameter in model.parameters())


@pytest.mark.parametrize("model, message", [
    (PlainModule(), "PlainModule is not a vidcore.model.BaseModel"),
    (LossIsATensor(), "LossIsATensor(mode='loss') returned Tensor; expected a dict such as {'loss': tensor}"),
    (LossWithoutLossKey(), "LossWithoutLossKey(mode='loss') returned keys ['cross_entropy']; at least one key must "
                           "contain 'loss'"),
    (DetachedLoss(), "DetachedLoss(mode='loss'): the loss does not require grad"),
    (PredictsATensor(), "PredictsATensor(mode='predict') returned Tensor; expected a list with one prediction"),
    (PredictsOnlyTheFirst(), "PredictsOnlyTheFirst(mode='predict') returned 1 predictions for a batch of 2"),
    (TensorModeReturnsNothing(), "TensorModeReturnsNothing(mode='tensor') returned NoneType; expected the raw "
                                 "network output"),
])
def test_check_model_names_what_is_wrong(model, message):
    with pytest.raises(AssertionError) as error:
        check_model(model, INPUTS, SAMPLES)
    assert message in str(error.value)


def test_check_model_reports_a_crashing_mode():
    with pytest.raises(AssertionError, match=r"TinyModel\(mode='loss'\) raised TypeError"):
        check_model(TinyModel(), INPUTS, None)


# --- datasets -----------------------------------------------------------------------------------------------


class ListDataset:
    def __init__(self, items: list, pipeline=()) -> None:
        self.items, self.pipeline = items, list(pipeline)

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int):
        results = dict(self.items[index]) if isinstance(self.items[index], dict) else self.items[index]
        for transform in self.pipeline:
            results = transform(results)
        return results


GOOD_ITEMS = [{"inputs": torch.full((2,), float(index)), "data_samples": {"label": index}} for index in range(3)]


def test_check_dataset_passes_a_good_dataset():
    first, last = check_dataset(ListDataset(GOOD_ITEMS, [RandomScale()]), required_keys=("inputs", "data_samples"))
    assert first["data_samples"] == {"label": 0} and last["data_samples"] == {"label": 2}


@pytest.mark.parametrize("dataset, message", [
    (ListDataset([]), "len(ListDataset) is 0; a dataset needs at least one item"),
    (ListDataset([(torch.ones(2), 0)]), "ListDataset[0] is tuple, expected a dict"),
    (ListDataset([{"imgs": torch.ones(2)}]), "ListDataset[0] lacks 'inputs' (it has 'imgs')"),
    (ListDataset(GOOD_ITEMS, [HoldsALambda()]), "dataset ListDataset is not picklable (DataLoader workers receive "
                                                "the dataset by pickling it)"),
    (ListDataset(GOOD_ITEMS, [ForgetsToReturn()]), "ListDataset[0] is NoneType, expected a dict"),
])
def test_check_dataset_names_what_is_wrong(dataset, message):
    with pytest.raises(AssertionError) as error:
        check_dataset(dataset)
    assert message in str(error.value)


# --- visualizer backends ------------------------------------------------------------------------------------


class FileBackend(BaseVisBackend):
    def add_scalars(self, scalars, step):
        with open(f"{self.save_dir}/scalars.txt", "a") as file:
            file.write(f"{step} {sorted(scalars)}\n")

    def add_image(self, name, image, step=0):
        assert image.dtype == np.uint8 and image.shape[-1] == 3


class ScalarsWithoutStep(BaseVisBackend):
    def add_scalars(self, scalars):
        pass


class NoSaveDir(BaseVisBackend):
    def __init__(self, project: str = "x") -> None:
        super().__init__()


class WantsPilImages(BaseVisBackend):
    def add_image(self, name, image, step=0):
        image.save(f"{self.save_dir}/{name}.png")


class NotABackend:
    def __init__(self, save_dir=None) -> None:
        pass

    def add_config(self, config):
        pass


def test_check_vis_backend_passes_a_good_backend(tmp_path):
    backend = check_vis_backend(FileBackend, tmp_path)
    assert isinstance(backend, FileBackend)
    assert (tmp_path / "scalars.txt").read_text() == "1 ['acc/top1', 'loss', 'lr']\n2 ['iter', 'loss']\n"


@pytest.mark.parametrize("backend_cls, message", [
    (ScalarsWithoutStep, "ScalarsWithoutStep.add_scalars(scalars) does not accept the protocol's arguments "
                         "(scalars, step)"),
    (NoSaveDir, "NoSaveDir(save_dir=...) raised TypeError"),
    (WantsPilImages, "WantsPilImages.add_image(name, image, step) raised AttributeError"),
    (NotABackend, "NotABackend has no method add_scalars(); subclass vidcore.visualization.BaseVisBackend"),
])
def test_check_vis_backend_names_what_is_wrong(backend_cls, message, tmp_path):
    with pytest.raises(AssertionError) as error:
        check_vis_backend(backend_cls, tmp_path)
    assert message in str(error.value)


def test_check_vis_backend_wants_the_class(tmp_path):
    with pytest.raises(AssertionError, match="takes the backend class"):
        check_vis_backend(FileBackend(save_dir=str(tmp_path)), tmp_path)


# --- metrics ------------------------------------------------------------------------------------------------


class Accuracy(BaseMetric):
    default_prefix = "acc"

    def process(self, data_batch, data_samples):
        self.results += [sample["pred_label"] == sample["gt_label"] for sample in data_samples]

    def compute_metrics(self, results):
        return {"top1": sum(results) / len(results)}


class ForgetsToStore(Accuracy):
    def process(self, data_batch, data_samples):
        pass


class StoresGenerators(Accuracy):
    def process(self, data_batch, data_samples):
        self.results.append(sample["pred_label"] for sample in data_samples)


class ReportsText(Accuracy):
    def compute_metrics(self, results):
        return {"top1": "high"}


class KeepsResults(Accuracy):
    def evaluate(self, size):
        return {"acc/top1": self.compute_metrics(self.results)["top1"]}


PREDICTIONS = [{"pred_label": 1, "gt_label": 1}, {"pred_label": 0, "gt_label": 2}]


def test_check_metric_passes_a_good_metric():
    assert check_metric(Accuracy(), None, PREDICTIONS) == {"acc/top1": 0.5}


@pytest.mark.parametrize("metric, message", [
    (ForgetsToStore(), "ForgetsToStore.process() added nothing to self.results"),
    (StoresGenerators(), "StoresGenerators.results is not picklable (evaluate() gathers them from every rank"),
    (ReportsText(), "ReportsText.evaluate()['acc/top1'] is str 'high'; loggers need a number"),
    (KeepsResults(), "KeepsResults.evaluate() left 2 entries in self.results"),
    (Accuracy(prefix="val"), None),
])
def test_check_metric_names_what_is_wrong(metric, message):
    if message is None:  # a custom prefix is fine
        assert check_metric(metric, None, PREDICTIONS) == {"val/top1": 0.5}
        return
    with pytest.raises(AssertionError) as error:
        check_metric(metric, None, PREDICTIONS)
    assert message in str(error.value)


# --- fixtures and helpers -----------------------------------------------------------------------------------


def test_vidcore_registry_holds_the_core_only_and_catches_eager_registrations(vidcore_registry):
    assert "SGD" in vidcore_registry.names("optimizers")
    assert {entry.dist for entry in vidcore_registry.entries()} == {"vidcore"}

    @vidcore.register("models")
    class LocalNet:
        pass

    assert default_registry() is vidcore_registry
    assert vidcore_registry.get("models", "LocalNet") is LocalNet


def test_requested_plugin_that_is_not_installed_is_an_error():
    with pytest.raises(PluginError, match="plugin distribution 'vidcore-nope' is not installed"):
        isolated_registry(["vidcore-nope"])


def test_make_video_encodes_a_decodable_clip(make_video):
    import av

    path = make_video("clip.mp4", num_frames=6, height=16, width=24)
    with av.open(str(path)) as container:
        frames = [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]
    assert len(frames) == 6 and frames[0].shape == (16, 24, 3)
    assert not np.array_equal(frames[0], frames[-1])


def test_run_vidcore_fixture_runs_the_cli_in_tmp_path(run_vidcore, tmp_path):
    version = run_vidcore("--version")
    assert (version.returncode, version.stdout.strip()) == (0, f"vidcore {vidcore.__version__}")
    (tmp_path / "relative.yaml").write_text("lr: ${env:VIDCORE_TEST_LR}\n")
    shown = run_vidcore("config", "show", "relative.yaml", env={"VIDCORE_TEST_LR": "0.5"})
    assert (shown.returncode, shown.stdout) == (0, "lr: 0.5\n"), shown.stderr


def test_tmp_work_dir_is_empty_and_the_test_runs_beside_it(tmp_work_dir, tmp_path):
    import os

    assert tmp_work_dir.is_dir() and not any(tmp_work_dir.iterdir())
    assert os.getcwd() == str(tmp_path)


def test_importing_the_pytest_plugin_imports_neither_torch_nor_numpy():
    result = run_python("""
        import sys
        import vidcore_testing, vidcore_testing.pytest_plugin
        heavy = [name for name in ("torch", "numpy", "av") if name in sys.modules]
        assert not heavy, heavy
    """)
    assert result.returncode == 0, result.stderr


def test_install_throwaway_distribution_makes_a_plugin_vidcore_sees(tmp_path, run_vidcore):
    site = install_throwaway_distribution(tmp_path, "vidcore-tiny", {"vidcore_tiny/plugin.py": """
        from vidcore import hookimpl

        @hookimpl
        def vidcore_register(registry):
            registry.register("transforms", "TinyFlip", "vidcore_tiny.transforms:TinyFlip")
    """}, entry_point="vidcore_tiny.plugin", version="2.5.0")
    result = run_vidcore("plugins", pythonpath=[site], env={"VIDCORE_PLUGINS": "vidcore-tiny"})
    assert result.returncode == 0, result.stderr
    assert "vidcore-tiny 2.5.0  [loaded]  1 transforms" in result.stdout


def test_check_imports_names_each_undeclared_module_and_private_name(tmp_path, monkeypatch):
    package = tmp_path / "probe_imports"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("from .sub import helper\nimport torch.nn\n")
    (package / "sub" / "__init__.py").write_text("")
    (package / "sub" / "helper.py").write_text(
        "import json\nfrom vidcore import Runner, _LAZY\n\ndef late():\n    from vidcore.config import _loader\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    problems = check_imports("probe_imports", modules=["vidcore", "vidcore.config"], prefixes=["torch"])
    assert problems == ["helper.py: imports json", "helper.py: vidcore._LAZY is not in vidcore.__all__",
                        "helper.py: vidcore.config._loader is not in vidcore.config.__all__"]
    assert check_imports("probe_imports", modules=["vidcore", "vidcore.config", "json"], prefixes=["torch"])[0] == \
        "helper.py: vidcore._LAZY is not in vidcore.__all__"
    with pytest.raises(ValueError, match="'no_such_package' is not an installed package"):
        check_imports("no_such_package", modules=[])


def test_encode_video_writes_frames_that_differ_and_names_the_install_without_vidcore_video(tmp_path):
    import av
    from vidcore_testing import encode_video

    path = encode_video(tmp_path / "clip.mp4", num_frames=5, height=16, width=24)
    with av.open(str(path)) as container:
        frames = [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]
    assert len(frames) == 5 and frames[0].shape == (16, 24, 3)
    assert abs(float(frames[0].mean()) - float(frames[-1].mean())) > 1
    result = run_python(f"""
        import sys
        sys.modules["vidcore_video"] = None  # as if vidcore-video were not installed
        from vidcore_testing import encode_video
        try:
            encode_video({str(tmp_path / "other.mp4")!r})
        except ImportError as error:
            print(error)
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ("encode_video writes with vidcore-video's VideoWriter: pip install "
                                     "./plugins/vidcore-video (from the root of the vidcore repository)")
    assert not (tmp_path / "other.mp4").exists()
