"""mmaction2 TSN/ResNet state-dict names -> vidcore-tsn names (torchvision's ResNet layout under `backbone.`).

mmaction2 wraps each convolution and its norm in a `ConvModule` (`conv1.conv`, `conv1.bn`); torchvision
names them side by side (`conv1`, `bn1`) and numbers the downsample pair (`downsample.0`, `.1`).

Extension point for other plugins' models: a module class may declare `mmaction2_key_rewrites`, a sequence
of `(regex, replacement)` pairs applied (all, in order, with `re.sub`) to the checkpoint keys under that
module's name, relative to it, before the rules above. vidcore-tsm's `ResNetTSM` uses it to remove the
`.net` of mmaction2's shift and pool wrappers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

__all__ = ["KEY_RULES", "REWRITES_ATTRIBUTE", "KeyMapping", "rename_key", "model_key_rewrites", "map_keys",
           "apply_mapping"]

_BN = r"(weight|bias|running_mean|running_var|num_batches_tracked)"
# (mmaction2 pattern, vidcore replacement), tried in order; the first match wins.
_RULES = (
    (r"^backbone\.conv1\.conv\.weight$", r"backbone.conv1.weight"),
    (rf"^backbone\.conv1\.bn\.{_BN}$", r"backbone.bn1.\1"),
    (r"^backbone\.(layer\d+\.\d+)\.conv(\d+)\.conv\.weight$", r"backbone.\1.conv\2.weight"),
    (rf"^backbone\.(layer\d+\.\d+)\.conv(\d+)\.bn\.{_BN}$", r"backbone.\1.bn\2.\3"),
    (r"^backbone\.(layer\d+\.\d+)\.downsample\.conv\.weight$", r"backbone.\1.downsample.0.weight"),
    (rf"^backbone\.(layer\d+\.\d+)\.downsample\.bn\.{_BN}$", r"backbone.\1.downsample.1.\2"),
    (r"^cls_head\.fc_cls\.(weight|bias)$", r"cls_head.fc_cls.\1"),
)
KEY_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(p), r) for p, r in _RULES)
_WRAPPER_PREFIXES = ("module.",)  # DataParallel / DistributedDataParallel
REWRITES_ATTRIBUTE = "mmaction2_key_rewrites"
Rewrite = tuple[str, "re.Pattern[str]", str]  # (module prefix, pattern, replacement)


def rename_key(key: str) -> str | None:
    """The vidcore name of an mmaction2 key, or None when no rule covers it."""
    for prefix in _WRAPPER_PREFIXES:
        key = key.removeprefix(prefix)
    for pattern, replacement in KEY_RULES:
        if pattern.match(key):
            return pattern.sub(replacement, key)
    return None


def model_key_rewrites(model: Any) -> list[Rewrite]:
    """The key rewrites the modules of `model` declare (`mmaction2_key_rewrites`), outermost first."""
    rewrites = []
    for name, module in model.named_modules():
        for pattern, replacement in getattr(type(module), REWRITES_ATTRIBUTE, ()):
            rewrites.append((f"{name}." if name else "", re.compile(pattern), replacement))
    return rewrites


def _rewrite(key: str, rewrites: Iterable[Rewrite]) -> str:
    for prefix, pattern, replacement in rewrites:
        if key.startswith(prefix):
            key = prefix + pattern.sub(replacement, key[len(prefix):])
    return key


@dataclass
class KeyMapping:
    """How a source state dict lines up with a target model's keys."""

    renamed: dict[str, str] = field(default_factory=dict)  # source key -> target key
    unmapped: list[str] = field(default_factory=list)  # source keys with no target
    missing: list[str] = field(default_factory=list)  # target keys no source key provides
    duplicates: list[str] = field(default_factory=list)  # target keys two source keys map to

    @property
    def complete(self) -> bool:
        return not (self.unmapped or self.missing or self.duplicates)


def map_keys(source_keys: Iterable[str], target_keys: Iterable[str], rewrites: Iterable[Rewrite] = ()) -> KeyMapping:
    """Match source keys to target keys by `rewrites` (see `model_key_rewrites`), then the rules; a key
    already named as the target is kept as is."""
    targets = list(target_keys)
    target_set = set(targets)
    rewrites = list(rewrites)
    result = KeyMapping()
    claimed: dict[str, str] = {}
    for key in source_keys:
        bare = _rewrite(key.removeprefix("module."), rewrites)
        new = rename_key(bare)
        if new is None or new not in target_set:
            new = bare if bare in target_set else None
        if new is None:
            result.unmapped.append(key)
            continue
        if new in claimed:
            result.duplicates.append(new)
            continue
        claimed[new] = key
        result.renamed[key] = new
    result.missing = [key for key in targets if key not in claimed]
    return result


def apply_mapping(state: Mapping[str, Any], mapping: KeyMapping) -> dict[str, Any]:
    """The source tensors under their target names."""
    return {target: state[source] for source, target in mapping.renamed.items()}
