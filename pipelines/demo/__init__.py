"""The demo: simulated paired Landsat-8 / Sentinel-2 data and the end-to-end run."""
