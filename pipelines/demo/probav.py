"""Simulate a Landsat-8 → PROBA-V transfer set: Landsat-8 Biome scenes to train on, and
PROBA-V Level-2A and Level-1C HDF5 products of other grounds to apply the model to, with
reference masks, in the real on-disk formats.

Layout below ``root``::

    landsat/<Biome>/BC/<SCENEID>/                  L8 Biome scene (30 m UTM, manual mask)
    probav-L2A/PROBAV_L2A_<date>_<time>_2_<RES>_V101.HDF5    projected segment
    probav-L2A/<stem>_reference.tif, <stem>.toml             reference (canonical codes)
    probav-L1C/PROBAV_L1C_<date>_<time>_2_V101.HDF5          raw-geometry segment (same sky)
    probav-L1C/<stem>_reference.tif, <stem>.toml             on the reader's lat/lon grid

Each ground is simulated once on a **30 m** grid (:mod:`~crossmask.pipelines.demo.scenery`:
earthlib/PROSAIL materials, single-scattering atmosphere, two-stream clouds and
shadows); a Landsat-8 acquisition is that grid itself (B8 repeated to 15 m).  A PROBA-V
acquisition renders the same physics through the **centre camera's** responses
(``PROBAV_C``: the 100 m products are centre-camera only), applies the instrument's
Gaussian PSF per band and area-averages onto the PROBA-V lattice
(:class:`crossmask.harmonize.UpscaledScene`, the operation used to bring Landsat-8 to
PROBA-V resolution for training — so the simulated sensor and the upscaled training data
share one spatial model), adds noise (σ = 0.002, larger than OLI's 0.0005) and quantises
to VITO's int16 DN.  The Level-1C twin samples the PSF-filtered ground on a raw grid
tilted 10° like a descending ground track (VNIR pixels of one lattice step, three SWIR
strips at twice that), with tie points, so reading it exercises the warp of
:mod:`crossmask.products.probav_l1c`.  Its reference is blanked where the segment has
no data.  References: canonical codes (0 clear, 1 thin, 2 cloud, 3 shadow, 255 fill),
each coarse pixel the class covering at least half of it.

Limits, besides the scenery's: no view-angle or BRDF change between the cameras' swaths,
the SWIR strips share the VNIR geometry exactly (no band-to-band misregistration), and
the raw geometry is affine.  :mod:`crossmask.pipelines.demo.probav_stage` trains a 4-band
model on the upscaled Landsat scenes and scores it on these products.
"""

from __future__ import annotations

import math
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from affine import Affine
from rasterio.crs import CRS
from rasterio.enums import Resampling
from rasterio.warp import reproject
from rasterio.windows import Window

from crossmask.atomic import atomic_output
from crossmask.classes import CANONICAL, CLASS_CODES, FILL
from crossmask.errors import InputError, OutputExistsError
from crossmask.harmonize import UpscaledProduct, UpscaledScene, probav_grid
from crossmask.pipelines.demo import scenery
from crossmask.pipelines.demo.simulate import _fill_mask, plan_pair_set
from crossmask.products import Grid, LabelledScene, array_product, biome_code_of, open_product
from crossmask.products.writers.geotiff import write_named_geotiff
from crossmask.products.writers.landsat import write_biome_scene
from crossmask.products.writers.probav import affine_tie_points, write_probav_l1c, write_probav_l2a

__all__ = ["LEVELS", "PROBAV_SENSOR", "ProbaVSet", "REFERENCE_CODES", "simulate_probav_set",
           "write_reference"]

#: Levels :func:`simulate_probav_set` can write.
LEVELS = ("L2A", "L1C")
#: The camera whose responses the simulated products carry.
PROBAV_SENSOR = "PROBAV_C"
#: Reference raster codes: the canonical class codes themselves.
REFERENCE_CODES = {code: name for name, code in CLASS_CODES.items()}
_PV_NOISE, _L8_NOISE = 0.002, 0.0005
_TILT_DEG = 10.0
_SM_CLASS = np.array([0, 3, 3, 1] + [0] * 252, np.uint8)  # canonical → status-map class


@dataclass
class ProbaVSet:
    """Where :func:`simulate_probav_set` wrote: the L8 Biome tree and, per level, the
    folder of PROBA-V products with their reference rasters and scene TOMLs."""

    root: Path
    landsat_root: Path
    landsat_scenes: list[Path]
    folders: dict[str, Path]
    products: dict[str, list[Path]] = field(default_factory=dict)
    configs: dict[str, list[Path]] = field(default_factory=dict)


class _GroundScene(LabelledScene):
    """One rendered acquisition on the 30 m ground grid with its canonical reference."""

    def __init__(self, product, codes: np.ndarray):
        self.product, self.codes = product, codes
        self.path, self.sensor, self.grid = product.path, product.sensor, product.grid
        self.scene_id, self.dataset, self.tags = "ground", "simulated", {}
        self.classes = frozenset(CANONICAL)

    @property
    def band_names(self) -> list[str]:
        return self.product.band_names

    def read(self, band: str, window: Window | None = None) -> np.ndarray:
        return self.product.read(band, window)

    def read_reference(self, window: Window | None = None) -> np.ndarray:
        return self.codes[self._slices(window)]


def simulate_probav_set(root: str | Path, n_landsat: int = 10, n_probav: int = 4,
                        size_30m: int = 384, seed: int = 0, resolution: str = "100M",
                        levels: tuple[str, ...] = LEVELS, overwrite: bool = False
                        ) -> ProbaVSet:
    """Write ``n_landsat`` L8 Biome scenes and ``n_probav`` PROBA-V acquisitions (each at
    every level of ``levels``) of ``size_30m`` × ``size_30m`` 30 m grounds below ``root``.

    ``resolution`` is the PROBA-V grid (``"100M"``: 1/1008°, ``"333M"``: 1/336°; a
    ground of 384 px, 11.5 km, gives ≈ 135 × 105 px at 100M, 45 × 35 at 333M).
    Deterministic for a seed.

    Raises
    ------
    OutputExistsError
        If an output folder exists and ``overwrite`` is false.
    InputError
        For unknown levels, counts below 1 or a ground too small for the grid.
    """
    bad = [lv for lv in levels if lv not in LEVELS]
    if bad or not levels or n_landsat < 1 or n_probav < 1:
        raise InputError(f"levels {list(levels)}, n_landsat={n_landsat}, n_probav={n_probav}: "
                         f"levels among {', '.join(LEVELS)}, at least one scene each")
    root = Path(root)
    ps = ProbaVSet(root, root / "landsat", [], {lv: root / f"probav-{lv}" for lv in levels})
    for folder in (ps.landsat_root, *ps.folders.values()):
        if folder.exists():
            if not overwrite:
                raise OutputExistsError(f"{folder}: output exists; pass overwrite=True")
            shutil.rmtree(folder)
    plan = plan_pair_set(n_landsat + n_probav, 0, size_30m, seed)
    for g in range(n_landsat):
        ps.landsat_scenes.append(_landsat_scene(plan, g, ps.landsat_root))
    for j in range(n_probav):
        written = _probav_acquisition(plan, n_landsat + j, j, ps, resolution)
        for level, (product, config) in written.items():
            ps.products.setdefault(level, []).append(product)
            ps.configs.setdefault(level, []).append(config)
    return ps


def _ground_and_sky(plan, g: int) -> tuple[scenery.Ground, scenery.Sky, np.random.Generator]:
    """Ground ``g`` on the 30 m grid and the sky of its acquisition."""
    rng = np.random.default_rng([plan.seed, 20, g])
    size = plan.size_30m
    ground = scenery.make_ground(plan.biomes[g], (size, size), rng, pixel_m=30.0)
    zenith, azimuth, aerosol, vapour = plan.climates[g]
    sky = scenery.make_sky((size, size), rng, plan.landsat[g].cover, zenith, azimuth, aerosol,
                           vapour, pixel_m=30.0)
    return ground, sky, rng


def _landsat_scene(plan, g: int, landsat_root: Path) -> Path:
    """Landsat-8 acquisition of ground ``g`` as an L8 Biome scene."""
    ground, sky, rng = _ground_and_sky(plan, g)
    fill = _fill_mask(ground.shape, plan.landsat[g].fill, rng)
    bands = {}
    for band, values in scenery.render(ground, sky, "L8").items():
        noisy = np.clip(values + rng.normal(0.0, _L8_NOISE, values.shape), 1e-4, None)
        if band == "B8":  # 15 m: each 30 m pixel repeated
            noisy, mask = np.kron(noisy, np.ones((2, 2))), np.kron(fill, np.ones((2, 2), bool))
        else:
            mask = fill
        bands[band] = np.where(mask, np.nan, noisy).astype(np.float32)
    for band, kelvin in zip(("B10", "B11"), scenery.brightness_temperature(ground, sky)):
        bands[band] = np.where(fill, np.nan, kelvin).astype(np.float32)
    mask = biome_code_of(scenery.cloud_classes(sky, 1))
    mask[fill] = 0
    return write_biome_scene(landsat_root / plan.biomes[g] / "BC", plan.scene_ids[g],
                             bands=bands, mask=mask, seed=plan.seed * 1000 + g,
                             biome=plan.biomes[g], mask_format="envi")


def _ground_scene(plan, g: int, j: int) -> tuple[_GroundScene, np.random.Generator]:
    """PROBA-V acquisition ``j`` (ground ``g``) rendered on a 30 m UTM grid near 40° N."""
    ground, sky, rng = _ground_and_sky(plan, g)
    size = plan.size_30m
    grid = Grid(CRS.from_epsg(32631), Affine(30.0, 0.0, 500_000.0 - 15.0 * size + 3000.0 * j,
                                             0.0, -30.0, 4_430_000.0 + 60_000.0 * j),
                size, size)
    rendered = scenery.render(ground, sky, PROBAV_SENSOR)
    cube = np.stack([rendered[b] for b in ("BLUE", "RED", "NIR", "SWIR")], -1)
    product = array_product(cube, ["BLUE", "RED", "NIR", "SWIR"], PROBAV_SENSOR, grid=grid)
    return _GroundScene(product, scenery.cloud_classes(sky, 1)), rng


def _probav_acquisition(plan, g: int, j: int, ps: ProbaVSet, resolution: str
                        ) -> dict[str, tuple[Path, Path]]:
    """Write acquisition ``j`` at every level of ``ps.folders``: {level: (product, toml)}."""
    scene, rng = _ground_scene(plan, g, j)
    date = f"{plan.landsat[g].date.replace(year=2016):%Y%m%d}"
    time = f"10{(13 * j) % 60:02d}{(29 * j) % 60:02d}"
    out = {}
    if "L2A" in ps.folders:
        grid = probav_grid(scene, resolution)
        view = UpscaledScene(scene, grid, spatial="psf")
        bands = {b: _noisy(view.read(b), rng) for b in view.band_names}
        reference = view.read_reference()
        path = write_probav_l2a(ps.folders["L2A"], bands, grid, classes=_SM_CLASS[reference],
                                resolution=resolution, date=date, time=time)
        out["L2A"] = (path, _labelled(path, reference, grid))
    if "L1C" in ps.folders:
        path = _write_l1c(scene, ps.folders["L1C"], resolution, rng, date, time)
        product = open_product(path, PROBAV_SENSOR)
        reference = UpscaledScene(scene, product.grid, spatial="area").read_reference()
        for band in ("RED", "SWIR"):
            reference[np.isnan(product.read(band))] = FILL
        out["L1C"] = (path, _labelled(path, reference, product.grid))
    return out


def _noisy(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return np.clip(values + rng.normal(0.0, _PV_NOISE, values.shape), 0.0, None)


def _write_l1c(scene: _GroundScene, folder: Path, resolution: str, rng, date: str,
               time: str) -> Path:
    """A Level-1C segment of ``scene``: a tilted raw grid inside its footprint."""
    step = probav_grid(scene, resolution).transform.a
    west, south, east, north = probav_grid(scene, resolution).bounds
    tilt = math.radians(_TILT_DEG)
    n = int(min(east - west, north - south) / (step * (math.cos(tilt) + math.sin(tilt))))
    n -= n % 6
    corner = Affine.rotation(-_TILT_DEG) @ Affine.scale(step, -step)
    cx, cy = corner @ (n / 2, n / 2)
    vnir = Affine.translation((west + east) / 2 - cx, (south + north) / 2 - cy) @ corner
    filtered = UpscaledProduct(scene.product, scene.grid, spatial="psf")
    layout = {g: (vnir, (n, n), 8) for g in ("BLUE", "RED", "NIR")}
    third = n // 6  # the SWIR swath: n / 2 pixels of two steps, in three strips
    for k, group in enumerate(("SWIR1", "SWIR2", "SWIR3")):
        first = max(k * third - 1, 0)  # one column of overlap with the previous strip
        layout[group] = (vnir @ Affine.scale(2) @ Affine.translation(first, 0),
                         (n // 2, (k + 1) * third - first), 4)
    rasters, ties = {}, {}
    for group, (transform, shape, every) in layout.items():
        band = "SWIR" if group.startswith("SWIR") else group
        raw = np.full(shape, np.nan, np.float32)
        reproject(filtered.read(band), raw, src_transform=scene.grid.transform,
                  src_crs=scene.grid.crs, src_nodata=np.nan, dst_transform=transform,
                  dst_crs=CRS.from_epsg(4326), dst_nodata=np.nan,
                  resampling=Resampling.average)
        rasters[group] = _noisy(raw, rng)
        ties[group] = affine_tie_points(transform, shape, every)
    return write_probav_l1c(folder, rasters, ties, date=date, time=time)


def _labelled(product: Path, reference: np.ndarray, grid: Grid) -> Path:
    """Write ``<stem>_reference.tif`` and the scene TOML ``<stem>.toml`` beside
    ``product``; return the TOML."""
    stem = product.name[:-len(product.suffix)]
    labels = write_reference(product.parent / f"{stem}_reference.tif", reference, grid)
    codes = "\n".join(f'{k} = "{v}"' for k, v in REFERENCE_CODES.items())
    toml = product.parent / f"{stem}.toml"
    with atomic_output(toml) as tmp:
        tmp.write_text(f'dataset = "simulated-probav"\nsensor = "{PROBAV_SENSOR}"\n'
                       f'image = "{product.name}"\nlabels = "{labels.name}"\n\n'
                       f'[codes]\n{codes}\n')
    return toml


def write_reference(path: Path, codes: np.ndarray, grid: Grid) -> Path:
    """A uint8 reference GeoTIFF of canonical codes (nodata 255), written atomically."""
    with atomic_output(path) as tmp:
        write_named_geotiff(tmp, {"reference": np.asarray(codes, np.uint8)}, crs=grid.crs,
                            transform=grid.transform, nodata=FILL)
    return path
