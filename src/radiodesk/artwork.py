"""Show and episode artwork: the only user of Pillow. Checks what podcast apps accept."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from radiodesk.errors import CatalogError

# Pillow format name -> (MIME type, file suffix); Apple takes JPEG and PNG only (rule A06).
FORMATS: dict[str, tuple[str, str]] = {
    "JPEG": ("image/jpeg", ".jpg"),
    "PNG": ("image/png", ".png"),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class ImageInfo:
    """What an artwork file is."""

    mime: str
    suffix: str
    width: int
    height: int
    mode: str


def inspect_image(path: Path) -> ImageInfo:
    """Identify a JPEG or PNG file, or raise CatalogError saying what is wrong with it."""
    try:
        with Image.open(path) as image:
            image.verify()
            fmt, (width, height), mode = image.format or "", image.size, image.mode
    except FileNotFoundError:
        raise CatalogError(f"artwork {path} does not exist") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise CatalogError(f"artwork {path.name} is not a readable image: {exc}") from exc
    if fmt not in FORMATS:
        raise CatalogError(
            f"artwork {path.name} is {fmt or 'an unknown format'}; podcast apps need JPEG or PNG"
        )
    mime, suffix = FORMATS[fmt]
    return ImageInfo(mime=mime, suffix=suffix, width=width, height=height, mode=mode)
