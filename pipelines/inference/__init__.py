"""Inference: tiled, blended prediction of whole scenes, and cloud-mask GeoTIFFs."""
