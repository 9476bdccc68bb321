"""Errors raised by crossmask.

Flat and logic-free: library code raises these; only the command-line edge turns them
into one-line messages with a non-zero exit.  Messages name the file or argument, what
was found and what is valid.
"""

__all__ = [
    "ConfigError",
    "CrossmaskError",
    "InputError",
    "MissingBandError",
    "OutputExistsError",
    "ProductFormatError",
    "SpectralCoverageError",
    "UnknownNameError",
    "UnscaledDataError",
]


class CrossmaskError(Exception):
    """Root of every error crossmask raises on purpose."""


class InputError(CrossmaskError, ValueError):
    """Raised when an argument or input value is invalid."""


class ConfigError(InputError):
    """Raised when a configuration file (TOML, JSON) or a setting in it is invalid."""


class UnknownNameError(InputError, KeyError):
    """Raised when a sensor, band, method or model name is not registered."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class SpectralCoverageError(InputError):
    """Raised when spectra do not cover the spectral support of a band."""


class ProductFormatError(CrossmaskError, OSError):
    """Raised when a file or folder is missing, unreadable or not in the expected format."""


class UnscaledDataError(ProductFormatError):
    """Raised when integer raster data carry no scale factor to turn them into reflectance."""


class MissingBandError(ProductFormatError):
    """Raised when a product lacks a band that is needed."""


class OutputExistsError(CrossmaskError, FileExistsError):
    """Raised when an output path exists and overwriting was not requested."""
