"""Figures of spectral response functions."""

from __future__ import annotations

from pathlib import Path

from crossmask.atomic import atomic_output
from crossmask.srf.registry import WAVELENGTHS, get_sensor

__all__ = ["plot_responses"]


def plot_responses(sensors: list[str], output: str | Path, overwrite: bool = False,
                   xlim: tuple[float, float] = (400.0, 2450.0)) -> Path:
    """Overlay the solar-reflective responses of several sensors and save a PNG/PDF/SVG.

    Each sensor gets one colour and line style; band names sit above their peaks.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(11, 4.2), constrained_layout=True)
    styles = ["-", "--", ":", "-."]
    colours = ["tab:blue", "tab:red", "tab:green", "tab:purple"]
    for i, key in enumerate(sensors):
        sensor = get_sensor(key)
        for j, band in enumerate(b for b in sensor.bands if not b.thermal):
            ax.plot(WAVELENGTHS, band.response, styles[i % 4], color=colours[i % 4], lw=1.2,
                    label=sensor.long_name if j == 0 else None)
            ax.text(band.center, 1.02 + 0.06 * i, band.name, ha="center", fontsize=7,
                    color=colours[i % 4])
    ax.set_xlim(*xlim)
    ax.set_ylim(0, 1.05 + 0.06 * len(sensors))
    ax.set_xlabel("wavelength (nm)")
    ax.set_ylabel("relative spectral response")
    ax.set_title(" vs ".join(get_sensor(k).long_name for k in sensors))
    ax.legend(loc="center left", bbox_to_anchor=(0.42, 0.5))
    ax.grid(alpha=0.3)
    output = Path(output)
    with atomic_output(output, overwrite) as tmp:
        fig.savefig(tmp, dpi=150, format=output.suffix.lstrip(".") or "png")
    plt.close(fig)
    return output
