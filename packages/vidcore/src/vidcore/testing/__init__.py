"""Test helpers for vidcore and its plugins, exposed to pytest through the `pytest11` entry point."""

__all__: list[str] = []
