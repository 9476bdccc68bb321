"""crossmask: cross-sensor cloud masking.

Harmonise Sentinel-2 MSI (and other sensors) to Landsat-8 OLI equivalents, train
CNN cloud masks on the Landsat-8 Biome dataset and transfer them zero-shot.

The code lives in subpackages installed from the top-level folders of the repository
(see ``setup.cfg``): ``crossmask.srf``, ``crossmask.products``, ``crossmask.harmonize``,
``crossmask.models`` and ``crossmask.pipelines``.  For arrays from your own loaders, the
package exports :func:`harmonize_array` and :func:`predict_array` (loaded on first use).
Importing ``crossmask`` never imports TensorFlow.
"""

import importlib

__version__ = "0.1.0"

__all__ = ["__version__", "harmonize_array", "predict_array"]

#: Public functions of the package root and the module each lives in.
_EXPORTS = {"harmonize_array": "crossmask.harmonize.arrays",
            "predict_array": "crossmask.pipelines.inference.arrays"}


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'crossmask' has no attribute {name!r}")
