"""crossmask: cross-sensor cloud masking.

Harmonise Sentinel-2 MSI (and other sensors) to Landsat-8 OLI equivalents, train
CNN cloud masks on the Landsat-8 Biome dataset and transfer them zero-shot.

The code lives in subpackages installed from the top-level folders of the repository
(see ``setup.cfg``): ``crossmask.srf``, ``crossmask.products``, ``crossmask.harmonize``,
``crossmask.models`` and ``crossmask.pipelines``.  Importing ``crossmask`` never imports
TensorFlow.
"""

__version__ = "0.1.0"
