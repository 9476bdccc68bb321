"""The jobs crossmask runs, one sub-package per stage:

* :mod:`~crossmask.pipelines.training` — scene splits, training patches, losses, training;
* :mod:`~crossmask.pipelines.inference` — tiled prediction and mask files;
* :mod:`~crossmask.pipelines.evaluation` — evaluation config, per-scene scoring, metrics,
  peers, statistics and the run;
* :mod:`~crossmask.pipelines.reporting` — tables, figures and the HTML report;
* :mod:`~crossmask.pipelines.demo` — simulated data and the end-to-end demo.

Stages use the library folders (``crossmask.products``, ``crossmask.harmonize``,
``crossmask.models``) and earlier stages, never later ones (reporting only formats what
evaluation computed).
"""
