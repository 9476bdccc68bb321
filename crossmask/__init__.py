"""crossmask: cross-sensor cloud masking.

Harmonise Sentinel-2 MSI (and other sensors) to Landsat-8 OLI equivalents, train
CNN cloud masks on the Landsat-8 Biome dataset and transfer them zero-shot.

The code lives in four subpackages, installed from the top-level folders of the
repository: ``crossmask.srf``, ``crossmask.harmonize``, ``crossmask.models`` and
``crossmask.pipelines``.  Importing ``crossmask`` never imports TensorFlow.
"""

from pathlib import Path as _Path

__version__ = "0.1.0"

# In a source checkout this folder sits beside ``srf/``, ``harmonize/``, ... which
# setup.cfg maps to ``crossmask.srf`` and friends.  When Python picks up this folder
# instead of the installed package (running from the repository root), let the
# subpackages resolve to those sibling folders, exactly as the installed layout does.
_checkout = _Path(__file__).resolve().parent.parent
if (_checkout / "setup.cfg").is_file() and (_checkout / "srf" / "__init__.py").is_file():
    __path__.append(str(_checkout))  # type: ignore[name-defined]
