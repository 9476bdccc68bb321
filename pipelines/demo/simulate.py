"""Simulate a small paired set: Landsat-8 Biome scenes and Sentinel-2 L1C SAFE products of
the same ground, in the real on-disk formats, with reference masks.

Layout below ``root``::

    landsat/<Biome>/BC/<SCENEID>/…             L8 Biome scene (30 m, _fixedmask.img + .hdr)
    sentinel2/<NAME>.SAFE/                     S2A / S2B L1C product (baseline 05.09)
    sentinel2/<NAME>_reference.tif             its reference mask on the 30 m grid
    sentinel2/<NAME>.toml                      config for the labelled-scene reader

:func:`simulate_tm_set` writes Landsat-7 ETM+ (or Landsat-4/5 TM) scenes of the same kind
of ground, not used by the demo: ``landsat7/<PRODUCT_ID>/`` (Collection 2 Level-1 with
``_QA_RADSAT.TIF``), ``landsat7/<PRODUCT_ID>_reference.tif`` and ``<PRODUCT_ID>.toml``.
Their reflective bands are rendered through the TM/ETM+ response curves and quantised to
8-bit DN by :func:`crossmask.products.writers.landsat_tm.write_tm_scene`, which clips
each band at its published saturation radiance (LMAX of the band's gain for ETM+, of the
processing era for TM): bright cloud tops saturate the high-gain visible bands, as on
real scenes.

Each ground is simulated once on a 10 m grid (``3 × size_30m`` pixels) and seen by two
acquisitions on different days: a Landsat-8 scene (bands = mean of 3 × 3 ground pixels;
B8 at 15 m) and, for ``n_sentinel`` of the grounds, a Sentinel-2 product (10 m bands as
simulated, 20 m and 60 m bands as 2 × 2 and 6 × 6 means).  Both share the UTM CRS and grid
origin of the Landsat scene, so three 10 m pixels make one 30 m pixel.  (The sun angles
in the Landsat MTL are the writer's, not the simulated sun; they only scale DN.)  The physics —
earthlib spectra through each sensor's SRFs, a single-scattering atmosphere, two-stream
clouds, cloud shadows, cirrus and thermal bands — and its limits are documented in
:mod:`crossmask.pipelines.demo.scenery`.  Reference masks: L8 Biome codes (0 fill, 64 shadow,
128 clear, 192 thin, 255 cloud) and CloudSEN12 codes (0 clear, 1 thick, 2 thin, 3 shadow,
255 fill).  Deterministic for a seed.
"""

from __future__ import annotations

import datetime
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio
from rasterio.warp import transform as warp_points

from crossmask.atomic import atomic_output
from crossmask.errors import InputError, OutputExistsError
from crossmask.pipelines.demo import scenery
from crossmask.products import (
    CLOUDSEN12_CODES,
    CLOUDSEN12_FILL,
    Grid,
    biome_code_of,
    cloudsen12_code_of,
    normalize_biome,
    read_grid,
)
from crossmask.products.writers.landsat import write_biome_scene
from crossmask.products.writers.landsat_tm import TM_SPACECRAFT, write_tm_scene
from crossmask.products.writers.safe import MSI_BANDS, write_safe

__all__ = ["Acquisition", "DEFAULT_BIOMES", "REFERENCE_CODES", "SimulatedSet", "SimulationPlan",
           "l1c_dn", "landsat_arrays", "plan_pair_set", "sentinel_arrays", "simulate_ground",
           "simulate_pair_set", "simulate_tm_set", "tm_arrays"]

DEFAULT_BIOMES = ("Barren", "Forest", "Grass-Crops", "Urban", "Water", "SnowIce")
#: Reference codes of the Sentinel-2 masks (CloudSEN12's, fill 255) and their classes.
REFERENCE_CODES = {**CLOUDSEN12_CODES, CLOUDSEN12_FILL: "fill"}
_L8_NOISE, _S2_NOISE = 0.0005, 0.001  # reflectance noise per native pixel
#: The TM/ETM+ sensors :func:`simulate_tm_set` writes, and a year each flew.
_TM_YEAR = {"L7": 2001, "L5": 2005, "L4": 1988}


@dataclass(frozen=True)
class Acquisition:
    """One simulated acquisition: ``sensor`` (L8, S2A, S2B) of ground ``ground`` on
    ``date``, target cloud fraction ``cover``, ``fill`` pattern (corner, rows, none);
    ``key`` seeds its sky and noise."""

    sensor: str
    ground: int
    date: datetime.date
    cover: float
    fill: str
    key: int


@dataclass(frozen=True)
class SimulationPlan:
    """What :func:`simulate_pair_set` writes: per ground a biome, a scene ID and a climate
    (sun zenith and azimuth in degrees, aerosol optical depth at 550 nm, water vapour in cm;
    each acquisition varies it slightly), Landsat acquisitions (one per ground) and
    Sentinel-2 acquisitions."""

    size_30m: int
    seed: int
    biomes: tuple[str, ...]
    scene_ids: tuple[str, ...]
    climates: tuple[tuple[float, float, float, float], ...]
    landsat: tuple[Acquisition, ...]
    sentinel: tuple[Acquisition, ...]


@dataclass
class SimulatedSet:
    """Where :func:`simulate_pair_set` wrote: the L8 Biome tree (``landsat_root``), its
    scene folders, the SAFE products, their reference GeoTIFFs and TOML configs."""

    root: Path
    landsat_root: Path
    landsat_scenes: list[Path]
    sentinel_products: list[Path]
    references: list[Path]
    configs: list[Path]


def plan_pair_set(n_landsat: int = 6, n_sentinel: int = 3, size_30m: int = 192, seed: int = 0,
                  biomes: Sequence[str] = DEFAULT_BIOMES) -> SimulationPlan:
    """Plan the set: ground ``i`` has biome ``biomes[i % len(biomes)]``; Sentinel-2 product
    ``j`` sees ground ``j · n_landsat // n_sentinel``; cloud covers are spread over 5–60 %.

    Raises
    ------
    InputError
        For counts below 1 (Landsat) or 0 (Sentinel-2), an odd or too small ``size_30m``.
    UnknownNameError
        For an unknown biome.
    """
    if n_landsat < 1 or n_sentinel < 0 or seed < 0:
        raise InputError(f"n_landsat={n_landsat}, n_sentinel={n_sentinel}, seed={seed}: need "
                         "at least one Landsat scene, no negative count and seed ≥ 0")
    if size_30m < 24 or size_30m % 2:
        raise InputError(f"size_30m={size_30m}: must be an even number ≥ 24 (the 60 m "
                         "Sentinel-2 bands cover two 30 m pixels)")
    names = tuple(normalize_biome(b) for b in biomes)
    if not names:
        raise InputError("biomes is empty; give at least one, e.g. ('Forest',)")
    rng = np.random.default_rng([seed, 1])
    n_acq = n_landsat + n_sentinel
    covers = 0.05 + 0.55 * (rng.permutation(n_acq) + rng.random(n_acq)) / n_acq
    grounds = [names[i % len(names)] for i in range(n_landsat)]
    ids, dates = [], []
    for i in range(n_landsat):
        path, row = 1 + (53 * seed + 29 * i) % 233, 1 + (17 * seed + 13 * i + 20) % 200
        date = datetime.date(2014 + i % 3, 1, 1) + datetime.timedelta(
            days=int((31 * seed + 67 * i + 120) % 300))
        ids.append(f"LC8{path:03d}{row:03d}{date:%Y%j}LGN00")
        dates.append(date)
    climates = tuple((float(rng.uniform(30.0, 50.0)), float(rng.uniform(120.0, 160.0)),
                      float(rng.uniform(0.05, 0.15)), float(rng.uniform(1.0, 2.5)))
                     for _ in range(n_landsat))
    fills = ("corner", "rows", "none")
    landsat = tuple(Acquisition("L8", i, dates[i], float(covers[i]), fills[i % 3], i)
                    for i in range(n_landsat))
    sentinel = []
    for j in range(n_sentinel):
        g = j * n_landsat // n_sentinel if n_sentinel <= n_landsat else j % n_landsat
        date = datetime.date(2019 + j % 3, 1, 1) + datetime.timedelta(
            days=int(dates[g].strftime("%j")) + 2 + 5 * (j // n_landsat))
        sentinel.append(Acquisition("S2A" if j % 2 == 0 else "S2B", g, date,
                                    float(covers[n_landsat + j]), ("corner", "none")[j % 2],
                                    n_landsat + j))
    return SimulationPlan(size_30m, seed, tuple(grounds), tuple(ids), climates, landsat,
                          tuple(sentinel))


def simulate_ground(plan: SimulationPlan, ground: int) -> scenery.Ground:
    """The 10 m ground of ``ground`` (``3 · size_30m`` pixels square)."""
    size = 3 * plan.size_30m
    rng = np.random.default_rng([plan.seed, 2, ground])
    return scenery.make_ground(plan.biomes[ground], (size, size), rng)


def _sky(plan: SimulationPlan, acq: Acquisition, ground: scenery.Ground) -> tuple:
    rng = np.random.default_rng([plan.seed, 3, acq.key])
    zenith, azimuth, aerosol, vapour = plan.climates[acq.ground]
    sky = scenery.make_sky(ground.shape, rng, acq.cover, zenith + rng.uniform(-1.5, 1.5),
                           azimuth + rng.uniform(-5.0, 5.0), aerosol * rng.uniform(0.85, 1.15),
                           vapour * rng.uniform(0.85, 1.15))
    return sky, rng


def _fill_mask(shape: tuple[int, int], pattern: str, rng: np.random.Generator) -> np.ndarray:
    rows, cols = np.indices(shape)
    if pattern == "corner":  # a wedge at the swath edge, bottom-right
        return (shape[0] - 1 - rows) + (shape[1] - 1 - cols) < rng.uniform(0.15, 0.3) * shape[0]
    if pattern == "rows":
        return rows < int(rng.integers(2, 7))
    return np.zeros(shape, bool)


def landsat_arrays(plan: SimulationPlan, index: int, ground: scenery.Ground | None = None
                   ) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Bands (float32 TOA reflectance B1–B9, brightness temperature K B10/B11, NaN fill;
    B8 at 15 m) and the L8 Biome mask of Landsat acquisition ``index``."""
    acq = plan.landsat[index]
    ground = ground if ground is not None else simulate_ground(plan, acq.ground)
    sky, rng = _sky(plan, acq, ground)
    fine = scenery.render(ground, sky, "L8")
    b10, b11 = scenery.brightness_temperature(ground, sky)
    fill = _fill_mask((plan.size_30m,) * 2, acq.fill, rng)
    bands = {}
    for band, values in fine.items():
        if band == "B8":  # 10 m → 5 m → 15 m area average
            coarse = scenery.block_mean(np.repeat(np.repeat(values, 2, 0), 2, 1), 3)
        else:
            coarse = scenery.block_mean(values, 3)
        coarse = np.clip(coarse + rng.normal(0.0, _L8_NOISE, coarse.shape), 1e-4, None)
        factor = 2 if band == "B8" else 1
        bands[band] = np.where(np.kron(fill, np.ones((factor, factor), bool)), np.nan, coarse)
    for band, values in (("B10", b10), ("B11", b11)):  # TIRS: 100 m footprint, 30 m grid
        coarse = scenery.blur(scenery.block_mean(values, 3), 1.4)
        bands[band] = np.where(fill, np.nan, coarse)
    mask = biome_code_of(scenery.cloud_classes(sky, 3))
    mask[fill] = 0
    return {b: v.astype(np.float32) for b, v in bands.items()}, mask


def sentinel_arrays(plan: SimulationPlan, index: int, ground: scenery.Ground | None = None
                    ) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """TOA reflectance (float32 at native 10/20/60 m, NaN fill) and the CloudSEN12
    reference on the 30 m grid of Sentinel-2 acquisition ``index``."""
    acq = plan.sentinel[index]
    ground = ground if ground is not None else simulate_ground(plan, acq.ground)
    sky, rng = _sky(plan, acq, ground)
    fine = scenery.render(ground, sky, acq.sensor)
    fill60 = _fill_mask((plan.size_30m // 2,) * 2, acq.fill, rng)
    bands = {}
    for band, values in fine.items():
        res = MSI_BANDS[band]
        coarse = scenery.block_mean(values, res // 10)
        coarse = np.clip(coarse + rng.normal(0.0, _S2_NOISE, coarse.shape), 1e-4, None)
        fill = np.kron(fill60, np.ones((60 // res,) * 2, bool))
        bands[band] = np.where(fill, np.nan, coarse).astype(np.float32)
    reference = cloudsen12_code_of(scenery.cloud_classes(sky, 3))
    reference[np.kron(fill60, np.ones((2, 2), bool))] = 255
    return bands, reference


def l1c_dn(reflectance: np.ndarray) -> np.ndarray:
    """L1C digital numbers of baseline ≥ 04.00 (DN = 10000 ρ + 1000; NaN → 0), uint16."""
    dn = np.clip(np.round(np.nan_to_num(reflectance) * 10000.0) + 1000.0, 1, 65535)
    return np.where(np.isnan(reflectance), 0, dn).astype(np.uint16)


def _tile(grid: Grid) -> str:
    """MGRS tile name (zone, latitude band, 100 km square) of the grid's centre."""
    zone = grid.crs.to_epsg() % 100
    west, south, east, north = grid.bounds
    x, y = (west + east) / 2, (south + north) / 2
    lat = warp_points(grid.crs, "EPSG:4326", [x], [y])[1][0]
    band = "CDEFGHJKLMNPQRSTUVWX"[min(max(int((lat + 80) // 8), 0), 19)]
    column = ("STUVWXYZ", "ABCDEFGH", "JKLMNPQR")[zone % 3][(int(x // 100000) - 1) % 8]
    row = "ABCDEFGHJKLMNPQRSTUV"[(int(y // 100000) + (5 if zone % 2 == 0 else 0)) % 20]
    return f"{zone:02d}{band}{column}{row}"


def _write_reference(path: Path, reference: np.ndarray, grid: Grid) -> None:
    profile = dict(driver="GTiff", width=grid.width, height=grid.height, count=1,
                   dtype="uint8", crs=grid.crs, transform=grid.transform, nodata=255,
                   compress="deflate")
    with atomic_output(path) as tmp, rasterio.open(tmp, "w", **profile) as dst:
        dst.write(reference, 1)
        dst.update_tags(1, **{f"CODE_{k}": v for k, v in REFERENCE_CODES.items()})


def _write_config(path: Path, sensor: str, safe: Path, reference: Path,
                  dataset: str = "simulated-s2") -> None:
    codes = "\n".join(f'{k} = "{v}"' for k, v in REFERENCE_CODES.items())
    text = (f'dataset = "{dataset}"\nsensor = "{sensor}"\nimage = "{safe.name}"\n'
            f'labels = "{reference.name}"\n\n[codes]\n{codes}\n')
    with atomic_output(path) as tmp:
        tmp.write_text(text)


def simulate_pair_set(root: str | Path, n_landsat: int = 6, n_sentinel: int = 3,
                      size_30m: int = 192, seed: int = 0,
                      biomes: Sequence[str] = DEFAULT_BIOMES, progress: bool = False,
                      overwrite: bool = False) -> SimulatedSet:
    """Write the simulated paired set below ``root`` (see the module docstring).

    ``size_30m`` is the Landsat scene size in 30 m pixels (Sentinel-2: 3× at 10 m);
    ``overwrite`` replaces ``root/landsat`` and ``root/sentinel2`` if they exist.

    Raises
    ------
    OutputExistsError
        If ``root/landsat`` or ``root/sentinel2`` exists and ``overwrite`` is false.
    InputError, UnknownNameError
        For invalid counts, sizes or biomes (see :func:`plan_pair_set`).
    """
    plan = plan_pair_set(n_landsat, n_sentinel, size_30m, seed, biomes)
    root = Path(root)
    landsat_root, s2_root = root / "landsat", root / "sentinel2"
    for folder in (landsat_root, s2_root):
        if folder.exists():
            if not overwrite:
                raise OutputExistsError(f"{folder}: output exists; pass overwrite=True "
                                        "(--overwrite) to replace it")
            shutil.rmtree(folder)
    from tqdm.auto import tqdm

    scenes, written = [], {}
    for i in tqdm(range(n_landsat), desc="simulate", unit="ground", disable=None if progress else True):
        ground = simulate_ground(plan, i)
        bands, mask = landsat_arrays(plan, i, ground)
        scene = write_biome_scene(landsat_root / plan.biomes[i] / "BC", plan.scene_ids[i],
                                  bands=bands, mask=mask, seed=seed * 1000 + i,
                                  biome=plan.biomes[i], mask_format="envi")
        scenes.append(scene)
        grid = read_grid(scene / f"{plan.scene_ids[i]}_B1.TIF")
        for j, acq in enumerate(plan.sentinel):
            if acq.ground == i:
                written[j] = _write_sentinel(s2_root, plan, j, ground, grid)
    products, references, configs = (list(x) for x in zip(
        *(written[j] for j in sorted(written)))) if written else ([], [], [])
    return SimulatedSet(root, landsat_root, scenes, products, references, configs)


def _write_sentinel(folder: Path, plan: SimulationPlan, index: int, ground: scenery.Ground,
                    grid: Grid) -> tuple[Path, Path, Path]:
    """Write Sentinel-2 acquisition ``index`` on ``grid``: SAFE, reference, config."""
    acq = plan.sentinel[index]
    bands, reference = sentinel_arrays(plan, index, ground)
    dn = {band: l1c_dn(values) for band, values in bands.items()}
    sensing = f"{acq.date:%Y%m%d}T10{(20 + 7 * index) % 60:02d}{(21 + 13 * index) % 60:02d}"
    safe = write_safe(folder, dn, spacecraft=f"Sentinel-2{acq.sensor[-1]}", baseline="05.09",
                      tile=_tile(grid), sensing=sensing,
                      origin=(grid.transform.c, grid.transform.f), epsg=grid.crs.to_epsg())
    stem = safe.name[:-len(".SAFE")]
    ref_path = folder / f"{stem}_reference.tif"
    _write_reference(ref_path, reference, grid)
    config = folder / f"{stem}.toml"
    _write_config(config, acq.sensor, safe, ref_path)
    return safe, ref_path, config


def tm_arrays(plan: SimulationPlan, index: int, ground: scenery.Ground | None = None,
              sensor: str = "L7") -> tuple[dict[str, np.ndarray], np.ndarray]:
    """A TM/ETM+ (``sensor`` L7, L5 or L4) acquisition of the ground of Landsat acquisition
    ``index``, under another day's sky: TOA reflectance B1–B5, B7 (30 m) and ETM+ B8
    (15 m), brightness temperature B6 (K), float32 and not yet clipped; and the
    CloudSEN12 reference on the 30 m grid."""
    acq = plan.landsat[index]
    ground = ground if ground is not None else simulate_ground(plan, acq.ground)
    sky, rng = _sky(plan, Acquisition(sensor, acq.ground, acq.date, acq.cover, "none",
                                      10_000 + acq.key), ground)
    bands = {}
    for band, values in scenery.render(ground, sky, sensor).items():
        if band == "B8":  # 10 m → 5 m → 15 m area average
            values = np.repeat(np.repeat(values, 2, 0), 2, 1)
        coarse = scenery.block_mean(values, 3)
        bands[band] = np.clip(coarse + rng.normal(0.0, _L8_NOISE, coarse.shape), 1e-4, None)
    bands["B6"] = scenery.block_mean(scenery.brightness_temperature(ground, sky)[0], 3)
    reference = cloudsen12_code_of(scenery.cloud_classes(sky, 3))
    return {b: v.astype(np.float32) for b, v in bands.items()}, reference


def simulate_tm_set(root: str | Path, n_scenes: int = 2, size_30m: int = 64, seed: int = 0,
                    biomes: Sequence[str] = DEFAULT_BIOMES, sensor: str = "L7",
                    gains: dict[str, str] | None = None, overwrite: bool = False) -> list[Path]:
    """Write ``n_scenes`` labelled TM/ETM+ scenes below ``root/landsat<n>`` (see the module
    docstring) and return their TOML configs, sorted: the folder is an evaluation dataset
    (``crossmask.products.open_labelled`` opens each TOML).

    ``gains`` sets ETM+ gains per band (``{"B1": "L"}``; default the writer's bumper-mode
    mix, high gain in the visible).  Ground ``i`` is the ground of :func:`plan_pair_set`'s
    Landsat scene ``i``; the writer draws its own sun elevation (35–55°), which only sets
    the DN scale and so the reflectance at which bands saturate.

    Raises
    ------
    OutputExistsError
        If the folder exists and ``overwrite`` is false.
    InputError
        For a sensor other than L7, L5 or L4, or invalid counts and sizes.
    """
    if sensor not in _TM_YEAR:
        raise InputError(f"sensor {sensor!r}: simulate_tm_set writes {', '.join(_TM_YEAR)}")
    plan = plan_pair_set(n_scenes, 0, size_30m, seed, biomes)
    folder = Path(root) / f"landsat{sensor[1]}"
    if folder.exists():
        if not overwrite:
            raise OutputExistsError(f"{folder}: output exists; pass overwrite=True to "
                                    "replace it")
        shutil.rmtree(folder)
    spacecraft = next(k for k, v in TM_SPACECRAFT.items() if v == sensor)
    year = _TM_YEAR[sensor]
    configs = []
    for i, acq in enumerate(plan.landsat):
        bands, reference = tm_arrays(plan, i, None, sensor)
        date = datetime.date(year + i % 2, 1, 1) + datetime.timedelta(
            days=acq.date.timetuple().tm_yday - 1)
        scene_id = plan.scene_ids[i]
        scene = write_tm_scene(folder, spacecraft, "collection2", size_30m, seed * 1000 + i,
                               plan.biomes[i], bands, gains, date,
                               (int(scene_id[3:6]), int(scene_id[6:9])))
        ref_path = folder / f"{scene.name}_reference.tif"
        _write_reference(ref_path, reference, read_grid(next(scene.glob("*_B1.TIF"))))
        configs.append(folder / f"{scene.name}.toml")
        _write_config(configs[-1], sensor, scene, ref_path, f"simulated-{sensor.lower()}")
    return sorted(configs)
