"""Datasets: `VideoDataset` (`path label` lines), `RawframeDataset` (`frame_dir total_frames label` lines),
`SyntheticVideoDataset` (generated, learnable videos); shared behaviour in `base`, parsing in `annotations`."""
