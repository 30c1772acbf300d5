"""Backbones (lazy-registered by name; import `vidcore_tsn.backbones.resnet` for the class)."""

__all__: list[str] = []
