"""Published Landsat-7 ETM+ → Landsat-8 OLI band adjustment of Roy et al. (2016).

Roy, D. P., Kovalskyy, V., Zhang, H. K., Vermote, E. F., Yan, L., Kumar, S. S., Egorov, A.
(2016). Characterization of Landsat-7 to Landsat-8 reflective wavelength and normalized
difference vegetation index continuity. Remote Sensing of Environment, 185, 57–70.
https://doi.org/10.1016/j.rse.2015.12.024 — Table 2, ordinary least squares (OLS)
between-sensor transformation functions OLI = slope × ETM+ + intercept (reflectance 0–1),
fitted on surface reflectance of 30 m ETM+/OLI observations sensed one day apart over the
conterminous United States (59 million pixels, 6,317 images).  The table's reduced major
axis (RMA) functions are not used.  Transcribed as in google/earthengine-community
``tutorials/landsat-etm-to-oli-harmonization`` (Apache-2.0), which cites the paper.

The paper is about ETM+ only, so the table is for Landsat-7 alone (Landsat-4/5 TM have
other spectral responses; use ``ols`` or ``multivariate`` for them).  crossmask applies the
functions to top-of-atmosphere reflectance, as a published reference beside its own
fits: they were fitted on surface reflectance, mostly of vegetated and bare land, so they
are not meant for bright clouds (slopes of 0.85–0.91 darken a cloud by about a tenth).
"""

from __future__ import annotations

__all__ = ["ROY2016_CITATION", "ROY2016_COEFFICIENTS"]

ROY2016_CITATION = (
    "Roy et al. (2016), Remote Sens. Environ. 185, 57-70, doi:10.1016/j.rse.2015.12.024, "
    "Table 2 (OLS, surface reflectance)"
)

#: sensor → {OLI band: (ETM+ band, slope, intercept)}
ROY2016_COEFFICIENTS: dict[str, dict[str, tuple[str, float, float]]] = {
    "L7": {
        "B2": ("B1", 0.8474, 0.0003),
        "B3": ("B2", 0.8483, 0.0088),
        "B4": ("B3", 0.9047, 0.0061),
        "B5": ("B4", 0.8462, 0.0412),
        "B6": ("B5", 0.8937, 0.0254),
        "B7": ("B7", 0.9071, 0.0172),
    },
}
