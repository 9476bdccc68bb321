"""File names made from display names (model, dataset, scene), safe on every file system
and in URLs, without two names sharing a file."""

from __future__ import annotations

import hashlib
import re

__all__ = ["file_stem"]

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def file_stem(text: str) -> str:
    """``text`` as a file-name stem: unchanged when it holds only letters, digits, ``.``,
    ``_`` and ``-``; else every other run of characters becomes ``_`` and a short digest of
    the original text is appended, so ``"U-Net (L8)"`` and ``"U-Net_L8_"`` stay apart.

    >>> file_stem("ipluv6")
    'ipluv6'
    >>> file_stem("IPL-UV U-Net (L8 Biome)")
    'IPL-UV_U-Net_L8_Biome-687a6d'
    """
    text = str(text)
    if text and not _UNSAFE.search(text) and not text.startswith("."):
        return text
    slug = _UNSAFE.sub("_", text).strip("_.") or "_"
    return f"{slug}-{hashlib.sha256(text.encode()).hexdigest()[:6]}"
