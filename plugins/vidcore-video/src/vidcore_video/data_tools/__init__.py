"""`vidcore data`: build annotation lists, check videos, re-encode them or extract their frames before training.

The commands are the interface (see `vidcore data --help` and docs/video.md); the modules here are their
implementation and export nothing public.
"""

__all__: list[str] = []
