"""Simulated scenery: the ground, the atmosphere, clouds and shadows of one acquisition.

Everything is computed on a 10 m ground grid and in each sensor's band space; the writers
in :mod:`crossmask.pipelines.demo.simulate` average it onto the native pixel grids.

**Ground.**  Land cover is spatially coherent: each cover class of the biome (soil, canopy,
non-photosynthetic vegetation, urban material, water, snow; :data:`BIOME_COVER`) gets a
smooth random field z_c (white noise filtered by a Gaussian of correlation length
:data:`CORRELATION_M`, plus a third of the same at a third of that length, unit variance);
a pixel belongs to argmax_c (z_c + b_c), the biases b_c tuned so the class areas match the
biome table.  Within 1–3 pixels of a class edge the pixel is a linear mixture of the two
leading classes, weights softmax((z_c + b_c)/0.03).  Each class draws 16 materials — real
spectra of the earthlib library for soil/sand/gravel, PROSAIL canopies, litter/bark/wood
and urban materials; water bodies (Morel & Prieur 1977) and snow (Kokhanovsky & Zege 2004)
from :mod:`crossmask.harmonize.optics` — and each cell of a Voronoi tessellation (points
jittered on a grid of a third of the correlation length) takes one of them, so materials
form patches (fields, blocks of roofs, lakes; spectra bridged linearly across the
library's 1350–1460 and 1790–1960 nm gaps, which TM B5 reaches into).  A brightness factor
exp(0.08 z + 0.03 ε) (illumination, moisture; ε white noise) multiplies the spectrum.
Because convolution is linear, a pixel's band value is the same mixture of its materials'
band-equivalent values (:func:`crossmask.srf.band_equivalent` through each sensor's SRFs),
so only the ~100 palette spectra are convolved.

**Atmosphere** (one per acquisition, nadir view, sun zenith θs, μs = cos θs):
ρ_TOA = ρ_path + T · ρ, with single-scattering path reflectance
ρ_path = (τ_R P_R + ω τ_a P_a) / (4 μs), Rayleigh depth
τ_R = 0.008569 λ⁻⁴ (1 + 0.0113 λ⁻² + 0.00013 λ⁻⁴) (λ in µm; Hansen & Travis 1974),
P_R = ¾(1 + cos²Θ), scattering angle Θ = 180° − θs; aerosol τ_a = τ_a550 (λ/550 nm)^−1.3
(τ_a550 0.05–0.15), ω = 0.92, Henyey–Greenstein P_a with g = 0.7.  Two-way diffuse
transmittance T = exp(−(τ_R/2 + (1 − 0.85 ω) τ_a + τ_gas)(1/μs + 1)) (Gordon & Wang 1994),
τ_gas: ozone (Chappuis band, 0.035 at 600 nm) and water vapour W = 1–2.5 cm (Gaussian
bands at 720, 820, 940, 1135 nm).  ρ_path and T are convolved through each band.  For
θs = 28–52°: at 440 nm ρ_path ≈ 0.09–0.11, T ≈ 0.65–0.75; at 865 nm ρ_path ≈ 0.01,
T ≈ 0.95; at 945 nm (S2 B9) T ≈ 0.45–0.5.

**Clouds** (a new field per acquisition: the two sensors see the same ground on different
days): a smooth field (correlation length 0.4–1.2 km, at most an eighth of the scene, plus
fine structure; variations longer than a third of the scene removed, so the cloudiness is
homogeneous) over the scene and the area up-sun whose clouds shade it is ranked against
the scene's pixels; the top fraction c (the cloud cover, 5–60 %) is cloud, and its rank
s ∈ (0, 1] maps to optical thickness log-linearly, 0.4 → 4 over the thin share of the
cloud (25–50 %; 50–80 % for ice clouds) and 4 → τ_max (30–80) in the cores, times
exp(0.2 z_fine).  The cloud over the surface follows
:func:`~crossmask.harmonize.optics.cloud_over_surface` (two-stream, g = 0.85:
R_c = (1−g)τ / (2 + (1−g)τ), R = R_c A + (1−R_c)² ρ / (1 − ρ R_c)) in band space, with A
the droplet (8–16 µm, liquid, 70 %) or crystal (30–60 µm, ice) absorption shape of
:func:`~crossmask.harmonize.optics.granular_reflectance`.  Liquid clouds sit at 1–2.5 km,
ice clouds at 5–8 km.  **Shadows**: the cloud field shifted by h tan θs away from the sun
(azimuth 120–160°) darkens the ground by k = f_d + (1 − f_d)(t + ½(T_c − t)), with
skylight f_d = 0.2–0.35, the δ-scaled direct beam t = exp(−(1−g) τ_shift / μs) through
the shadowing cloud and half the light it scatters forward (T_c = 1 − R_c): k ≈ 0.3–0.6
under thick clouds, 0.8–0.97 under thin ones (such faint shadows stay labelled clear).
**Cirrus bands** (L8 B9, S2 B10, 1375 nm) lie in a gap of the spectra and are modelled:
ρ = 0.0008 + f(0) T_c² ρ_swir16 + f(h) R_c A(1375), with the water-vapour transmittance
above height h, f(h) = exp(−1.2 W (1/μs + 1) e^(−h / 2 km)): ≈ 0.001–0.01 over clear
ground (up to 0.03 over bright soil in dry air), ≈ 0.01–0.2 for low clouds, up to ≈ 0.4
for thick ice clouds.
**Thermal** (L8 B10/B11, K): class surface temperatures, −4 K in shadow; clouds
ε T_top + (1 − ε) T_s with T_top = T_air − 6.5 K/km · h, ε = 1 − exp(−τ/2); B11 is
0.5 + 0.4 W K colder over the clear fraction.

**Labels** per 10 m pixel: thick cloud τ ≥ 4, thin cloud 0 < τ < 4, shadow k < 0.8
outside clouds, else clear; a 30 m pixel takes thick cloud, else cloud (thin), else shadow
when that covers at least half of it, else clear.

**Limits.**  Band-space cloud and shadow models (exact only for spectrally flat surfaces
under the cloud); the atmosphere is single scattering without surface–atmosphere coupling
or adjacency, and clouds are treated as part of the lower boundary (path reflectance and
transmittance above them are not reduced); no topography, BRDF, view-angle change or
detector striping; no sub-pixel registration error between the sensors; the sensor PSF is a
box (pixel average) and all bands are perfectly co-registered; the ground does not change
between the two dates (no phenology, moisture or water-level change); clouds do not shade
clouds; cloud shapes are statistical blobs, not convective or frontal structures; the
thermal bands are empirical; the cirrus model is a one-parameter fit to typical values,
not radiative transfer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from crossmask.harmonize import optics
from crossmask.harmonize.spectra import earthlib_library
from crossmask.srf import band_equivalent, get_sensor

__all__ = ["BIOME_COVER", "CORRELATION_M", "COVER_CLASSES", "SHADOW_LIGHT", "THICK_TAU",
           "Ground", "Sky", "atmosphere", "block_mean", "blur", "brightness_temperature",
           "cloud_classes", "make_ground", "make_sky", "render", "smooth_field"]

#: Cover classes and the earthlib ``LEVEL_3`` classes drawn for each (water, snow: optics).
COVER_CLASSES: dict[str, tuple[str, ...]] = {
    "soil": ("soil", "sand", "dirt", "gravel"),
    "canopy": ("canopy",),
    "npv": ("npv", "litter", "bark", "wood"),
    "urban": ("asphalt", "road", "comp_shingle", "concrete_tile", "parking_lot", "sidewalk",
              "driveway", "paint", "metal", "tile", "wood_shingle", "bridge"),
    "water": (),
    "snow": (),
}
#: Area fraction of each cover class per L8 Biome biome.
BIOME_COVER: dict[str, dict[str, float]] = {
    "Barren": {"soil": 0.82, "npv": 0.10, "canopy": 0.05, "urban": 0.03},
    "Forest": {"canopy": 0.75, "soil": 0.08, "npv": 0.07, "water": 0.06, "urban": 0.04},
    "Grass-Crops": {"canopy": 0.45, "soil": 0.30, "npv": 0.15, "urban": 0.05, "water": 0.05},
    "Shrubland": {"soil": 0.50, "canopy": 0.25, "npv": 0.25},
    "SnowIce": {"snow": 0.70, "soil": 0.30},
    "Urban": {"urban": 0.55, "canopy": 0.20, "soil": 0.15, "npv": 0.05, "water": 0.05},
    "Water": {"water": 0.60, "canopy": 0.20, "soil": 0.15, "urban": 0.05},
    "Wetlands": {"water": 0.35, "canopy": 0.45, "soil": 0.10, "npv": 0.10},
}
#: Correlation length (m) of each class's cover field; material patches are a third of it.
CORRELATION_M = {"soil": 600.0, "canopy": 500.0, "npv": 250.0, "urban": 300.0,
                 "water": 900.0, "snow": 900.0}
#: Optical thickness separating thin from thick cloud in the labels.
THICK_TAU = 4.0
#: Illumination factor below which a cloud-free pixel is labelled shadow.
SHADOW_LIGHT = 0.8
_SURFACE_K = {"soil": 305.0, "canopy": 296.0, "npv": 303.0, "urban": 307.0, "water": 290.0,
              "snow": 268.0}
_MATERIALS = 16
_EDGE_T = 0.03
_G_CLOUD = 0.85
_ATMOS_NM = np.arange(400.0, 2451.0, 5.0)
_GROUND_NM = np.arange(400.0, 2451.0, 10.0)  # the library's 10 nm samples, without gaps
_GAS = ((720.0, 10.0, 0.02), (820.0, 12.0, 0.03), (940.0, 22.0, 0.15), (1135.0, 25.0, 0.3))


def blur(array: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian filter of ``sigma`` px with periodic boundaries (FFT), float64."""
    fy = np.fft.fftfreq(array.shape[0])[:, None]
    fx = np.fft.rfftfreq(array.shape[1])[None, :]
    kernel = np.exp(-2.0 * (math.pi * sigma) ** 2 * (fx ** 2 + fy ** 2))
    return np.fft.irfft2(np.fft.rfft2(array) * kernel, s=array.shape)


def smooth_field(rng: np.random.Generator, shape: tuple[int, int], scale: float) -> np.ndarray:
    """Gaussian-filtered white noise (σ = ``scale`` px, periodic), zero mean, unit
    variance, float32."""
    field = blur(rng.standard_normal(shape), scale)
    field -= field.mean()
    return (field / (field.std() + 1e-12)).astype(np.float32)


def _two_scale(rng: np.random.Generator, shape: tuple[int, int], scale: float) -> np.ndarray:
    field = smooth_field(rng, shape, scale) + smooth_field(rng, shape, scale / 3.0) / 3.0
    return field / field.std()


def block_mean(array: np.ndarray, factor: int) -> np.ndarray:
    """Mean over non-overlapping ``factor`` × ``factor`` blocks (the box PSF of a pixel)."""
    if factor == 1:
        return array
    h, w = array.shape[0] // factor, array.shape[1] // factor
    return array.reshape(h, factor, w, factor).mean(axis=(1, 3), dtype=np.float64)


@dataclass(frozen=True)
class Ground:
    """The ground on the 10 m grid: every pixel a mixture of two palette spectra.

    ``palette`` (n, n_wavelengths) reflectance at ``wavelengths`` (nm); ``first`` and
    ``second`` palette indices per pixel, ``weight`` of the first; ``brightness`` factor;
    ``cover`` index into ``classes`` of the leading class; ``kelvin`` surface temperature.
    """

    biome: str
    classes: tuple[str, ...]
    palette: np.ndarray
    wavelengths: np.ndarray
    first: np.ndarray
    second: np.ndarray
    weight: np.ndarray
    brightness: np.ndarray
    cover: np.ndarray
    kelvin: np.ndarray

    @property
    def shape(self) -> tuple[int, int]:
        return self.first.shape

    def surface(self, sensor: str, bands: list[str]) -> np.ndarray:
        """Surface reflectance per band, shape (n_bands, rows, cols), float32."""
        values = band_equivalent(self.palette, self.wavelengths, sensor, bands).astype(np.float32)
        out = np.empty((len(bands), *self.shape), np.float32)
        for k in range(len(bands)):
            column = values[:, k]
            mixed = self.weight * column[self.first] + (1.0 - self.weight) * column[self.second]
            out[k] = np.clip(mixed * self.brightness, 0.0, 1.0)
        return out


def _palette(rng: np.random.Generator, name: str, wavelengths: np.ndarray) -> np.ndarray:
    """16 materials of a cover class, alike as within one region: water and snow vary
    ±25 % around a regional value; soil, canopy and litter are drawn among the 64 library
    spectra nearest a random one; urban materials from all of them."""
    n = _MATERIALS
    if name == "water":
        chlorophyll, sediment = rng.uniform(0.0, 1.0), rng.lognormal(math.log(0.005), 1.0)
        return optics.water_body_reflectance(
            wavelengths, chlorophyll * rng.uniform(0.75, 1.25, n),
            sediment * rng.uniform(0.75, 1.25, n))
    if name == "snow":
        grain = rng.uniform(100.0, 800.0)
        return optics.granular_reflectance(
            wavelengths, "ice", grain * rng.uniform(0.75, 1.25, n), rng.uniform(0.85, 0.98, n))
    library = earthlib_library()
    members = np.flatnonzero(np.isin(library.classes, COVER_CLASSES[name]))
    if name != "urban":
        spectra = library.reflectance[members]
        anchor = spectra[rng.integers(members.size)]
        members = members[np.argsort(((spectra - anchor) ** 2).sum(axis=1))[:64]]
    return library.reflectance[rng.choice(members, n, replace=members.size < n)]


def _gap_free(spectra: np.ndarray, wavelengths: np.ndarray) -> np.ndarray:
    return np.stack([np.interp(_GROUND_NM, wavelengths, s) for s in spectra])


def _parcels(rng: np.random.Generator, shape: tuple[int, int], size: float) -> np.ndarray:
    """A material index (0–15, int16) per Voronoi cell of points jittered on a grid of
    ``size`` px: patches such as fields, blocks of roofs or lakes."""
    size = max(2, int(round(size)))
    ny, nx = shape[0] // size + 3, shape[1] // size + 3
    points = (np.indices((ny, nx)).transpose(1, 2, 0) - 1 + rng.random((ny, nx, 2))) * size
    material = rng.integers(0, _MATERIALS, ny * nx).astype(np.int16)
    rows, cols = np.indices(shape)
    cell_r, cell_c = rows // size + 1, cols // size + 1
    best = np.full(shape, np.inf, np.float32)
    label = np.zeros(shape, np.int64)
    for dr in (-1, 0, 1):
        for dc in (-1, 0, 1):
            r, c = cell_r + dr, cell_c + dc
            dist = (rows - points[r, c, 0]) ** 2 + (cols - points[r, c, 1]) ** 2
            closer = dist < best
            best[closer], label[closer] = dist[closer], (r * nx + c)[closer]
    return material[label]


def make_ground(biome: str, shape: tuple[int, int], rng: np.random.Generator,
                pixel_m: float = 10.0) -> Ground:
    """Spatially coherent land cover of ``biome`` on a grid of ``pixel_m`` pixels."""
    cover = BIOME_COVER[biome]
    classes = tuple(cover)
    target = np.array([cover[c] for c in classes])
    library = earthlib_library().wavelengths
    palettes = [_gap_free(_palette(rng, c, library), library) for c in classes]
    wavelengths = _GROUND_NM
    z = np.stack([_two_scale(rng, shape, CORRELATION_M[c] / pixel_m) for c in classes])
    bias = np.log(target)
    for _ in range(12):  # tune the biases until the class areas match the table
        lead = np.argmax(z + bias[:, None, None].astype(np.float32), axis=0)
        area = np.bincount(lead.ravel(), minlength=len(classes)) / lead.size
        bias += 0.7 * np.log(target / np.maximum(area, 1e-4))
    logits = (z + bias[:, None, None].astype(np.float32)) / _EDGE_T
    order = np.argsort(logits, axis=0)
    first_class = order[-1] if len(classes) > 1 else np.zeros(shape, np.intp)
    second_class = order[-2] if len(classes) > 1 else first_class
    gap = (np.take_along_axis(logits, first_class[None], 0)[0]
           - np.take_along_axis(logits, second_class[None], 0)[0])
    weight = (1.0 / (1.0 + np.exp(-np.minimum(gap, 50.0)))).astype(np.float32)
    materials = np.stack([_parcels(rng, shape, CORRELATION_M[c] / pixel_m / 3.0)
                          for c in classes])
    offset = np.arange(len(classes), dtype=np.int16)[:, None, None] * _MATERIALS
    material = materials + offset
    first = np.take_along_axis(material, first_class[None], 0)[0]
    second = np.take_along_axis(material, second_class[None], 0)[0]
    brightness = np.exp(0.08 * smooth_field(rng, shape, 60.0 / pixel_m)
                        + 0.03 * rng.standard_normal(shape).astype(np.float32))
    kelvins = np.array([_SURFACE_K[c] - (20.0 if biome == "SnowIce" and c != "snow" else 0.0)
                        for c in classes], np.float32)
    kelvin = (weight * kelvins[first_class] + (1.0 - weight) * kelvins[second_class]
              + 1.5 * smooth_field(rng, shape, 200.0 / pixel_m))
    return Ground(biome, classes, np.clip(np.concatenate(palettes), 0.0, 1.0).astype(np.float32),
                  wavelengths, first, second, weight, brightness.astype(np.float32),
                  first_class.astype(np.int8), kelvin.astype(np.float32))


@dataclass(frozen=True)
class Sky:
    """One acquisition's sun, atmosphere and clouds on the 10 m grid.

    Angles in degrees, ``aerosol`` τ_a at 550 nm, ``water_vapour`` in cm, ``height_km``
    cloud height; ``tau`` cloud optical thickness per pixel (0: clear), ``light`` the
    illumination factor k (1 sunlit, < 1 in cloud shadow).
    """

    sun_zenith: float
    sun_azimuth: float
    aerosol: float
    water_vapour: float
    phase: str
    size_um: float
    height_km: float
    tau: np.ndarray
    light: np.ndarray

    @property
    def mu(self) -> float:
        return math.cos(math.radians(self.sun_zenith))

    def cloud_top(self, wavelengths: np.ndarray) -> np.ndarray:
        """Cloud-top absorption shape at ``wavelengths`` (nm), shape (1, n)."""
        return optics.granular_reflectance(wavelengths, self.phase, np.array([self.size_um]),
                                           np.array([1.0]))


def make_sky(shape: tuple[int, int], rng: np.random.Generator, cover: float,
             sun_zenith: float, sun_azimuth: float, aerosol: float, water_vapour: float,
             pixel_m: float = 10.0) -> Sky:
    """Clouds covering about ``cover`` of the scene, and their shadows."""
    ice = rng.random() < 0.3
    height = rng.uniform(5.0, 8.0) if ice else rng.uniform(1.0, 2.5)
    size_um = rng.uniform(30.0, 60.0) if ice else rng.uniform(8.0, 16.0)
    thin_share = rng.uniform(0.5, 0.8) if ice else rng.uniform(0.25, 0.5)
    tau_max = rng.uniform(30.0, 80.0)
    mu = math.cos(math.radians(sun_zenith))
    away = math.radians(sun_azimuth)  # shadows fall on the far side from the sun
    reach = height * 1000.0 * math.tan(math.radians(sun_zenith)) / pixel_m
    shift = (round(math.cos(away) * reach), round(-math.sin(away) * reach))
    # Clouds on a domain that also holds those shading the scene from beyond its edge.
    ext = (shape[0] + abs(shift[0]), shape[1] + abs(shift[1]))
    scale = min(rng.uniform(400.0, 1200.0) / pixel_m, min(shape) / 8.0)
    field = _two_scale(rng, ext, scale)
    field -= blur(field, min(shape) / 3.0)  # homogeneous: no cloudier half of the domain
    r0, c0 = max(shift[0], 0), max(shift[1], 0)
    scene = (slice(r0, r0 + shape[0]), slice(c0, c0 + shape[1]))
    shade = (slice(r0 - shift[0], r0 - shift[0] + shape[0]),
             slice(c0 - shift[1], c0 - shift[1] + shape[1]))
    seen = np.sort(field[scene], axis=None)
    s = (np.searchsorted(seen, field) / seen.size - (1.0 - cover)) / cover  # scene's CDF
    thin = 0.4 * (THICK_TAU / 0.4) ** (np.clip(s, 0.0, None) / thin_share)
    thick = THICK_TAU * (tau_max / THICK_TAU) ** ((s - thin_share) / (1.0 - thin_share))
    tau = np.where(s <= 0, 0.0, np.where(s < thin_share, thin, thick))
    tau = (tau * np.exp(0.2 * smooth_field(rng, ext, 60.0 / pixel_m))).astype(np.float32)
    shading, tau = tau[shade], np.ascontiguousarray(tau[scene])
    diffuse = rng.uniform(0.2, 0.35)
    direct = np.exp(-(1.0 - _G_CLOUD) * shading / mu)
    scaled = (1.0 - _G_CLOUD) * shading
    through = 2.0 / (2.0 + scaled)  # two-stream total transmittance 1 − R_c
    light = diffuse + (1.0 - diffuse) * (direct + 0.5 * np.maximum(through - direct, 0.0))
    return Sky(sun_zenith, sun_azimuth, aerosol, water_vapour, "ice" if ice else "water",
               size_um, height, tau, light.astype(np.float32))


def atmosphere(wavelengths: np.ndarray, sky: Sky) -> tuple[np.ndarray, np.ndarray]:
    """Path reflectance and two-way transmittance at ``wavelengths`` (nm)."""
    lam = np.asarray(wavelengths, dtype=float) / 1000.0
    tau_r = 0.008569 * lam ** -4 * (1.0 + 0.0113 * lam ** -2 + 0.00013 * lam ** -4)
    tau_a = sky.aerosol * (lam / 0.55) ** -1.3
    mu, omega, g = sky.mu, 0.92, 0.7
    cos_theta = -mu  # nadir view: scattering angle 180° − θs
    p_r = 0.75 * (1.0 + cos_theta ** 2)
    p_a = (1.0 - g ** 2) / (1.0 + g ** 2 - 2.0 * g * cos_theta) ** 1.5
    path = (tau_r * p_r + omega * tau_a * p_a) / (4.0 * mu)
    gas = 0.035 * np.exp(-0.5 * ((wavelengths - 600.0) / 60.0) ** 2)
    for centre, width, k in _GAS:
        gas = gas + k * sky.water_vapour * np.exp(-0.5 * ((wavelengths - centre) / width) ** 2)
    transmittance = np.exp(-(0.5 * tau_r + (1.0 - 0.85 * omega) * tau_a + gas) * (1 / mu + 1))
    return path, transmittance


def _vapour_above(height_km: float | np.ndarray, sky: Sky) -> np.ndarray:
    return np.exp(-1.2 * sky.water_vapour * (1.0 / sky.mu + 1.0) * np.exp(-height_km / 2.0))


def render(ground: Ground, sky: Sky, sensor: str) -> dict[str, np.ndarray]:
    """TOA reflectance (float32, 10 m grid) of every solar-reflective band of ``sensor``."""
    sens = get_sensor(sensor)
    names = sens.reflective_band_names
    cirrus = [b for b in names if sens.band(b).common_name == "cirrus"]
    optical = [b for b in names if b not in cirrus]
    surface = ground.surface(sensor, optical) * sky.light
    path, trans = atmosphere(_ATMOS_NM, sky)
    path_b = band_equivalent(path, _ATMOS_NM, sensor, optical).astype(np.float32)
    trans_b = band_equivalent(trans, _ATMOS_NM, sensor, optical).astype(np.float32)
    top_b = band_equivalent(sky.cloud_top(_ATMOS_NM), _ATMOS_NM, sensor, optical)
    swir = next(k for k, b in enumerate(optical) if sens.band(b).common_name == "swir16")
    ground_swir = surface[swir].copy()  # the surface under the cloud, for the cirrus band
    flat = surface.reshape(len(optical), -1)
    cloudy = np.flatnonzero(sky.tau.ravel() > 0)
    for start in range(0, cloudy.size, 65536):
        idx = cloudy[start:start + 65536]
        flat[:, idx] = optics.cloud_over_surface(top_b, flat[:, idx].T.astype(float),
                                                 sky.tau.ravel()[idx], _G_CLOUD).T
    out = {b: path_b[k] + trans_b[k] * surface[k] for k, b in enumerate(optical)}
    scaled = (1.0 - _G_CLOUD) * sky.tau
    r_cloud = scaled / (2.0 + scaled)
    top_1375 = float(sky.cloud_top(np.array([1375.0]))[0, 0])
    for band in cirrus:
        out[band] = (0.0008 + _vapour_above(0.0, sky) * (1.0 - r_cloud) ** 2 * ground_swir
                     + _vapour_above(sky.height_km, sky) * r_cloud * top_1375)
    return {b: out[b].astype(np.float32) for b in names}


def brightness_temperature(ground: Ground, sky: Sky) -> tuple[np.ndarray, np.ndarray]:
    """Brightness temperature (K) of L8 B10 and B11 on the 10 m grid."""
    surface = ground.kelvin - 4.0 * (1.0 - sky.light)
    air = 270.0 if ground.biome == "SnowIce" else 295.0
    top = air - 6.5 * sky.height_km
    emissivity = 1.0 - np.exp(-0.5 * sky.tau)
    b10 = emissivity * top + (1.0 - emissivity) * surface
    b11 = b10 - (0.5 + 0.4 * sky.water_vapour) * (1.0 - emissivity)
    return b10.astype(np.float32), b11.astype(np.float32)


def cloud_classes(sky: Sky, factor: int) -> np.ndarray:
    """Canonical codes (0 clear, 1 thin, 2 thick cloud, 3 shadow; uint8) on a grid
    ``factor`` times coarser, each pixel the class covering at least half of it (cloud
    first, then shadow)."""
    thick = block_mean((sky.tau >= THICK_TAU).astype(np.float32), factor)
    cloud = block_mean((sky.tau > 0).astype(np.float32), factor)
    shadow = block_mean(((sky.light < SHADOW_LIGHT) & (sky.tau <= 0)).astype(np.float32), factor)
    out = np.zeros(thick.shape, np.uint8)
    out[shadow >= 0.5] = 3
    out[cloud >= 0.5] = 1
    out[thick >= 0.5] = 2
    return out
