"""Evaluation: configuration, datasets, per-scene scoring and records, metrics, peers,
statistics and the run (``crossmask evaluate``)."""
