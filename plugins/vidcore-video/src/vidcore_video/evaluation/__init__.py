"""Evaluation: `AccMetric` (top-k, mean class accuracy, mAP), the plain metric functions in `accuracy`, and
`dump_results` for `vidcore test --dump`."""
