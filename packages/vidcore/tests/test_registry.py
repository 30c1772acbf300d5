"""Registry: lazy and eager entries, collisions, dist::Name, nested builds and the errors users see."""

from __future__ import annotations

import sys
import textwrap

import pytest
from vidcore.errors import BuildError, RegistryError
from vidcore.registry import Registry, validate


class Loss:
    def __init__(self, weight: float = 1.0) -> None:
        self.weight = weight


class Head:
    def __init__(self, num_classes: int, loss: object = None, dropout: float | None = None) -> None:
        self.num_classes, self.loss, self.dropout = num_classes, loss, dropout


class Net:
    def __init__(self, depth: int, head: object, tags: list | None = None) -> None:
        self.depth, self.head, self.tags = depth, head, tags


class Crop:
    def __init__(self, size: int) -> None:
        self.size = size


class RawPipeline:
    vidcore_raw_args = ("pipeline",)

    def __init__(self, pipeline: list) -> None:
        self.pipeline = pipeline


@pytest.fixture
def registry() -> Registry:
    registry = Registry()
    registry.register_many("models", {"Net": Net, "Head": Head, "Loss": Loss}, dist="dist-a")
    registry.register("transforms", "Crop", Crop, dist="dist-a")
    registry.register("datasets", "RawPipeline", RawPipeline, dist="dist-a")
    return registry


@pytest.fixture
def lazy_module(tmp_path, monkeypatch):
    """A real module on sys.path whose import is observable, for lazy-registration tests."""
    (tmp_path / "lazy_components.py").write_text(textwrap.dedent("""
        IMPORTED = True
        class Widget:
            def __init__(self, size: int = 1):
                self.size = size
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "lazy_components"
    sys.modules.pop("lazy_components", None)


def test_nested_configs_are_built_recursively_across_kinds(registry):
    cfg = {"type": "Net", "depth": 18, "head": {"type": "Head", "num_classes": 3, "loss": {"type": "Loss"}},
           "tags": [{"type": "Crop", "size": 4}, "plain"]}
    net = registry.build(cfg, "models")
    assert isinstance(net.head, Head) and isinstance(net.head.loss, Loss)
    assert net.head.num_classes == 3
    assert isinstance(net.tags[0], Crop) and net.tags[0].size == 4 and net.tags[1] == "plain"


def test_raw_args_are_passed_through_unbuilt(registry):
    dataset = registry.build({"type": "RawPipeline", "pipeline": [{"type": "Crop", "size": 2}]}, "datasets")
    assert dataset.pipeline == [{"type": "Crop", "size": 2}]


def test_default_args_fill_but_do_not_override(registry):
    head = registry.build({"type": "Head", "num_classes": 5}, "models", default_args={"num_classes": 9, "dropout": 0.5})
    assert (head.num_classes, head.dropout) == (5, 0.5)


def test_lazy_entry_imports_its_module_only_when_built(lazy_module):
    registry = Registry()
    registry.register("transforms", "Widget", f"{lazy_module}:Widget", dist="lazy-dist")
    assert lazy_module not in sys.modules
    [entry] = registry.entries("transforms")
    assert not entry.loaded
    widget = registry.build({"type": "Widget", "size": 7}, "transforms")
    assert widget.size == 7 and entry.loaded and lazy_module in sys.modules


def test_lazy_entry_with_broken_import_reports_the_cause():
    registry = Registry()
    registry.register("models", "Ghost", "no_such_module_xyz:Ghost", dist="vidcore-ghost")
    with pytest.raises(RegistryError, match=r"vidcore-ghost.*importing no_such_module_xyz failed: ModuleNotFoundError"):
        registry.get("models", "Ghost")


def test_lazy_entry_with_missing_attribute(lazy_module):
    registry = Registry()
    registry.register("models", "Nope", f"{lazy_module}:Nope", dist="d")
    with pytest.raises(RegistryError, match="has no attribute 'Nope'"):
        registry.get("models", "Nope")


def test_bad_import_string_is_rejected():
    with pytest.raises(RegistryError, match="not an import string"):
        Registry().register("models", "X", "module_without_colon", dist="d")


def test_eager_decorator_registers_under_the_module_name():
    registry = Registry()

    @registry.component("transforms")
    class Local:
        pass

    entry = registry.lookup("transforms", "Local")
    assert entry.loaded and entry.obj is Local and entry.dist == __name__.split(".")[0]


def test_same_distribution_twice_is_an_error_unless_forced(registry):
    with pytest.raises(RegistryError, match="registered twice by dist-a"):
        registry.register("models", "Net", Head, dist="dist-a")
    registry.register("models", "Net", Head, dist="dist-a", force=True)
    assert registry.get("models", "Net") is Head


def test_reregistering_the_same_object_is_idempotent(registry):
    registry.register("models", "Net", Net, dist="other-spelling")
    registry.register("models", "Net", f"{Net.__module__}:{Net.__qualname__}", dist="dist-a")
    assert registry.get("models", "Net") is Net


def test_collision_between_distributions_names_both_and_dist_prefix_picks(registry):
    registry.register("models", "Head", Loss, dist="dist-b")
    with pytest.raises(RegistryError) as error:
        registry.get("models", "Head")
    message = str(error.value)
    assert "dist-a" in message and "dist-b" in message and "'dist-b::Head'" in message
    assert registry.get("models", "dist-b::Head") is Loss
    assert registry.get("models", "dist_A::Head") is Head  # distribution names compare like pip's
    built = registry.build({"type": "dist-a::Head", "num_classes": 2}, "models")
    assert isinstance(built, Head)


def test_dist_prefix_for_a_distribution_that_does_not_register_the_name(registry):
    with pytest.raises(RegistryError, match="not registered by dist-z.*registered by dist-a"):
        registry.get("models", "dist-z::Head")


def test_unknown_name_suggests_close_matches_and_other_kinds(registry):
    with pytest.raises(RegistryError, match=r"unknown models type 'Hed'; did you mean 'Head'\?"):
        registry.get("models", "Hed")
    with pytest.raises(RegistryError, match=r"'Crop' is registered as transforms, not models"):
        registry.get("models", "Crop")


def test_unknown_name_hinted_by_a_plugin_gives_the_pip_install_line(registry):
    registry.register("models", "TSNHeadLike", Head, dist="dist-a")
    with pytest.raises(RegistryError, match="did you mean 'TSNHeadLike'") as error:
        registry.get("models", "TSNHead")
    assert "pip install" not in str(error.value)  # the core alone knows no plugin's names
    registry.add_install_hints({"vidcore-tsn": ("TSNHead",), "vidcore-acme": ("AcmeHead",)})
    with pytest.raises(RegistryError, match=r"not installed or not loaded: pip install vidcore-acme$"):
        registry.get("models", "AcmeHead")
    with pytest.raises(RegistryError) as error:
        registry.get("models", "TSNHead")
    assert str(error.value) == ("unknown models type 'TSNHead'; it is provided by a distribution that is not "
                                "installed or not loaded: pip install ./plugins/vidcore-tsn (from the root of the "
                                "vidcore repository)")


def test_unknown_name_lists_plugins_that_failed_to_load(registry):
    registry.load_failures = ["vidcore-broken 1.0 (vidcore_broken.plugin): ImportError: boom"]
    with pytest.raises(RegistryError, match="plugins that failed to load: vidcore-broken 1.0"):
        registry.get("models", "Whatever")


def test_unknown_kind(registry):
    with pytest.raises(RegistryError, match="unknown component kind 'modles'"):
        registry.register("modles", "X", Net)


def test_build_errors_name_the_key_path_and_file(registry):
    locate = lambda path: "cfg.yaml"  # noqa: E731
    cfg = {"type": "Net", "depth": 18, "head": {"type": "Head", "num_clases": 3}}
    with pytest.raises(BuildError) as error:
        registry.build(cfg, "models", key_path=("model",), locate=locate)
    assert str(error.value) == (
        "cfg.yaml: model.head.num_clases: Head got an unexpected argument 'num_clases'; "
        "did you mean 'num_classes'? (accepted: num_classes, loss, dropout)")


def test_missing_and_mistyped_arguments(registry):
    with pytest.raises(BuildError, match=r"^model: Net is missing required argument 'depth'$"):
        registry.build({"type": "Net", "head": None}, "models", key_path=("model",))
    with pytest.raises(BuildError, match=r"model\.depth: Net argument 'depth' expects int, got str"):
        registry.build({"type": "Net", "depth": "fifty", "head": None}, "models", key_path=("model",))
    with pytest.raises(BuildError, match=r"expects float or null, got bool"):
        registry.build({"type": "Head", "num_classes": 2, "dropout": True}, "models")
    # an int where a float is expected is fine, as in Python
    assert registry.build({"type": "Head", "num_classes": 2, "dropout": 1}, "models").dropout == 1


def test_nested_unknown_type_error_points_at_the_nested_key(registry):
    cfg = {"type": "RawPipeline", "pipeline": []}
    registry.build(cfg, "datasets")
    with pytest.raises(RegistryError, match=r"^model\.head\.loss\.type: unknown models type 'Los'"):
        registry.build({"type": "Net", "depth": 1, "head": {"type": "Head", "num_classes": 1,
                                                            "loss": {"type": "Los"}}}, "models", key_path=("model",))


def test_constructor_value_errors_are_located_and_keep_their_cause():
    registry = Registry()

    class Picky:
        def __init__(self, mode: str) -> None:
            if mode not in ("a", "b"):
                raise ValueError(f"mode must be 'a' or 'b', got {mode!r}")

    registry.register("models", "Picky", Picky)
    with pytest.raises(BuildError, match=r"^model \(Picky\): ValueError: mode must be 'a' or 'b', got 'c'$") as error:
        registry.build({"type": "Picky", "mode": "c"}, "models", key_path=("model",))
    assert isinstance(error.value.__cause__, ValueError)


def test_missing_type_key(registry):
    with pytest.raises(BuildError, match="model: expected a models config with a 'type' key"):
        registry.build({"depth": 3}, "models", key_path=("model",))


def test_validate_collects_every_error_without_building(registry):
    built = []

    class Counting:
        def __init__(self, params: list, lr: float) -> None:
            built.append(1)

    registry.register("optimizers", "Counting", Counting)
    cfg = {"type": "Net", "dept": 1, "head": {"type": "Hed"}}
    errors = validate(registry, cfg, "models", key_path=("model",))
    messages = [str(e) for e in errors]
    assert any("model.head.type: unknown models type 'Hed'" in m for m in messages)
    assert any("unexpected argument 'dept'" in m for m in messages)
    assert validate(registry, {"type": "Counting", "lr": 0.1}, "optimizers", injected=("params",)) == []
    assert built == []


def test_build_and_validate_agree_on_a_nested_name_of_another_kind(registry):
    """A nested name not registered in its parent's kind is found in the one kind that has it (both walk the
    config the same way); a name of two other kinds is the same one-line error from both."""
    cfg = {"type": "Net", "depth": 1, "head": {"type": "Crop", "size": 2}}
    assert isinstance(registry.build(cfg, "models").head, Crop)
    assert validate(registry, cfg, "models") == []
    registry.register("datasets", "Crop", Crop, dist="dist-a")
    with pytest.raises(RegistryError) as built:
        registry.build(cfg, "models", key_path=("model",))
    validated = validate(registry, cfg, "models", key_path=("model",))
    expected = ("model.head.type: 'Crop' is registered as datasets and transforms; "
                "this key is read as models, where it is not registered")
    assert str(built.value) == expected
    assert [str(error) for error in validated] == [expected]


def test_listing_reports_kind_dist_and_load_state(lazy_module, registry):
    registry.register("transforms", "Widget", f"{lazy_module}:Widget", dist="lazy-dist")
    rows = {(e.kind, e.name): (e.dist, e.loaded, e.import_string) for e in registry.entries()}
    assert rows[("transforms", "Widget")] == ("lazy-dist", False, f"{lazy_module}:Widget")
    assert rows[("models", "Net")][1] is True
    assert registry.names("models") == ["Head", "Loss", "Net"]
    assert registry.kinds_of("Crop") == ["transforms"]


def test_loader_runs_once_before_first_lookup():
    calls = []

    def loader(registry: Registry) -> None:
        calls.append(1)
        registry.register("models", "Late", Net, dist="late")

    registry = Registry(loader=loader)
    assert calls == []
    assert registry.get("models", "Late") is Net
    registry.get("models", "Late")
    assert calls == [1]


def test_every_built_in_hook_is_registered_and_resolves():
    import vidcore.hooks
    from vidcore.plugins import default_registry

    hooks = [name for name in vidcore.hooks.__all__ if name.endswith("Hook") and name != "Hook"]
    registry = default_registry()
    assert sorted(hooks) == sorted(entry.name for entry in registry.entries("hooks") if entry.dist == "vidcore")
    for name in hooks:
        assert registry.get("hooks", name) is getattr(vidcore.hooks, name)


def test_every_builtin_component_imports_from_its_registered_string():
    """The core registers its components by import string; each one imports (no deprecated module path) and
    names the object the public package exports."""
    import importlib
    import warnings

    from vidcore.plugins._builtin import CORE_COMPONENTS

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for kind, entries in CORE_COMPONENTS.items():
            for name, target in entries.items():
                module, _, attribute = target.partition(":")
                assert getattr(importlib.import_module(module), attribute).__name__ == name, (kind, target)
