"""Batch-level model parts: `ActionDataPreprocessor` (stack, move, float, normalise, blend) and the
`MixupBlending` / `CutmixBlending` augmentations."""
