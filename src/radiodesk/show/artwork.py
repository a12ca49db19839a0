"""Show and episode artwork, the only user of Pillow: check and prepare what podcast apps take.

Apple's rule A06 (JPEG or PNG as named, square, 1400-3000 px, RGB): fixable images become an RGB
JPEG; one that needs a crop or more pixels is refused, as only the producer can supply those.
"""

from __future__ import annotations

import io
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Final

from PIL import Image, ImageOps, UnidentifiedImageError

from radiodesk.errors import CatalogError
from radiodesk.files import atomic_output

# Pillow format name -> (MIME type, file suffix); Apple takes JPEG and PNG only (rule A06).
FORMATS: dict[str, tuple[str, str]] = {
    "JPEG": ("image/jpeg", ".jpg"),
    "PNG": ("image/png", ".png"),
}
# The extensions Apple accepts for each format: the type must match the extension (rule A06).
_EXTENSIONS: Final[Mapping[str, tuple[str, ...]]] = {"JPEG": (".jpg", ".jpeg"), "PNG": (".png",)}
MIN_PX: Final = 1400
MAX_PX: Final = 3000
JPEG_QUALITY: Final = 90
_WHITE: Final = (255, 255, 255)  # what transparent parts become: podcast apps show no alpha
_EXIF_ORIENTATION: Final = 0x0112
_ICC_RGB: Final = b"RGB "  # an ICC profile's colour space field (bytes 16-19 of its header)
# Pillow's errors for a file that is not an image it can read.
_READ_ERRORS: Final = (
    UnidentifiedImageError,
    OSError,
    SyntaxError,
    ValueError,
    Image.DecompressionBombError,
)
# Producer-facing names of Pillow's image modes ("is CMYK; Apple needs RGB").
_MODE_NAMES: Final[Mapping[str, str]] = {
    "1": "black and white",
    "L": "greyscale",
    "LA": "greyscale with transparency",
    "I": "32-bit greyscale",
    "I;16": "16-bit greyscale",
    "I;16B": "16-bit greyscale",
    "I;16L": "16-bit greyscale",
    "F": "floating-point greyscale",
    "P": "a palette image",
    "PA": "a palette image with transparency",
    "RGBA": "RGB with transparency",
    "RGBa": "RGB with transparency",
    "CMYK": "CMYK",
    "YCbCr": "YCbCr",
    "LAB": "Lab",
    "HSV": "HSV",
}
_ALPHA_ONLY: Final = frozenset({"RGBA", "RGBa"})  # RGB already, but for the alpha channel
# Modes whose values run past 255: scaled to 8 bits first, as convert("RGB") would clip them.
_TO_8_BIT: Final[Mapping[str, float]] = {
    "I": 1 / 256,
    "I;16": 1 / 256,
    "I;16B": 1 / 256,
    "I;16L": 1 / 256,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class ImageInfo:
    """What an artwork file is."""

    mime: str
    suffix: str
    width: int
    height: int
    mode: str


def _describe(mode: str) -> str:
    """Return the producer's name for a Pillow image mode."""
    return _MODE_NAMES.get(mode, f"in {mode} mode")


def _unreadable(path: Path, exc: BaseException) -> CatalogError:
    """Return the error for a file Pillow cannot read."""
    if isinstance(exc, FileNotFoundError):
        return CatalogError(f"artwork {path} does not exist")
    reason = (str(exc).splitlines() or [type(exc).__name__])[0]
    if isinstance(exc, UnidentifiedImageError):  # its message repeats the whole path
        reason = "not an image format Pillow knows"
    return CatalogError(
        f"artwork {path.name} is not a readable image: {reason}",
        hint="export it as a JPEG or PNG",
    )


def _header(source: Path | IO[bytes]) -> tuple[str, tuple[int, int], str]:
    """Return the format, size and mode of an image without decoding its pixels."""
    with Image.open(source) as image:
        image.verify()
        return image.format or "", image.size, image.mode


def _identify(path: Path) -> tuple[str, tuple[int, int], str]:
    """Return the format, size and mode of an image file, or raise CatalogError."""
    try:
        return _header(path)
    except _READ_ERRORS as exc:
        raise _unreadable(path, exc) from exc


def inspect_image(path: Path) -> ImageInfo:
    """Identify a JPEG or PNG file, or raise CatalogError saying what is wrong with it."""
    fmt, (width, height), mode = _identify(path)
    if fmt not in FORMATS:
        raise CatalogError(
            f"artwork {path.name} is {fmt or 'an unknown format'}; podcast apps need JPEG or PNG"
        )
    mime, suffix = FORMATS[fmt]
    return ImageInfo(mime=mime, suffix=suffix, width=width, height=height, mode=mode)


def _size_problem(width: int, height: int) -> str | None:
    """Say why a size breaks Apple's rule, or None when it is square and 1400-3000 px."""
    if width == height and MIN_PX <= width <= MAX_PX:
        return None
    return f"is {width}×{height} px; Apple needs {MIN_PX}-{MAX_PX} px square"


def check_artwork(path: Path) -> list[str]:
    """Return what is wrong with an artwork file in Apple's terms ([] when it is fine)."""
    try:
        fmt, size, mode = _identify(path)
    except CatalogError as exc:
        return [exc.message]
    return [f"artwork {path.name} {problem}" for problem in _problems(fmt, size, mode, path.suffix)]


def check_artwork_bytes(data: bytes, suffix: str) -> list[str]:
    """Return what is wrong with fetched artwork, each as "is …" ([] when it is fine).

    `suffix` is the extension of the name it is published under (".jpg").
    """
    try:
        fmt, size, mode = _header(io.BytesIO(data))
    except _READ_ERRORS as exc:
        reason = (str(exc).splitlines() or [type(exc).__name__])[0]
        if isinstance(exc, UnidentifiedImageError):
            reason = "not an image format Pillow knows"
        return [f"is not a readable image ({reason})"]
    return _problems(fmt, size, mode, suffix)


def _problems(fmt: str, size: tuple[int, int], mode: str, suffix: str) -> list[str]:
    """Say what breaks Apple's rule A06: format, extension, size and colour mode."""
    extensions = _EXTENSIONS.get(fmt)
    problems = [
        None if extensions else f"is {fmt or 'an unknown format'}; Apple needs JPEG or PNG",
        None
        if not extensions or suffix.lower() in extensions
        else f"is {fmt} but named {suffix or 'without an extension'}; Apple needs "
        f"{' or '.join(extensions)}",
        _size_problem(*size),
        None if mode == "RGB" else f"is {_describe(mode)}; Apple needs RGB",
    ]
    return [problem for problem in problems if problem]


def _load(path: Path) -> Image.Image:
    """Decode an image file whole, or raise CatalogError saying why it cannot be read."""
    try:
        with Image.open(path) as image:
            image.load()  # the pixels stay in memory after the file is closed
            return image
    except _READ_ERRORS as exc:
        raise _unreadable(path, exc) from exc


def _refuse_shape(path: Path, image: Image.Image) -> None:
    """Refuse an image that only cropping or enlarging could make fit."""
    width, height = image.size
    if width != height:
        raise CatalogError(
            f"artwork {path.name} is {width}×{height} px, not square; "
            f"Apple needs {MIN_PX}-{MAX_PX} px square",
            hint="crop it to a square yourself; radiodesk does not guess where to cut",
        )
    if width < MIN_PX:
        raise CatalogError(
            f"artwork {path.name} {_size_problem(width, height)}",
            hint=f"export it at {MAX_PX}×{MAX_PX} px; radiodesk does not enlarge small images",
        )


def _orientation_fix(image: Image.Image) -> str | None:
    """Say that the image must be turned upright when its EXIF orientation asks for it."""
    turned = image.getexif().get(_EXIF_ORIENTATION, 1) not in (0, 1)
    return "turned upright as its EXIF orientation asks" if turned else None


def _upright(image: Image.Image) -> Image.Image:
    """Return the image turned as its EXIF orientation says (some apps ignore that tag)."""
    return ImageOps.exif_transpose(image)


def _mode_fix(image: Image.Image) -> str | None:
    """Say how a non-RGB image becomes RGB."""
    if image.mode == "RGB":
        return None
    if image.mode in _ALPHA_ONLY:
        return "flattened the transparency onto white"
    over_white = " over white" if image.has_transparency_data else ""
    return f"converted {_describe(image.mode)} to RGB{over_white}"


def _to_rgb(image: Image.Image) -> Image.Image:
    """Return the image in RGB, transparent parts laid over white."""
    if image.mode in _TO_8_BIT:
        scale = _TO_8_BIT[image.mode]
        image = image.convert("I").point(lambda value: value * scale).convert("L")
    if not image.has_transparency_data:
        return image.convert("RGB")
    rgba = image.convert("RGBA")
    flat = Image.new("RGB", rgba.size, _WHITE)
    flat.paste(rgba, mask=rgba.getchannel("A"))
    return flat


def _size_fix(image: Image.Image) -> str | None:
    """Say that an image over 3000 px is scaled down."""
    return f"scaled {image.width}→{MAX_PX} px" if image.width > MAX_PX else None


def _scaled(image: Image.Image) -> Image.Image:
    """Return the image scaled down to 3000 px square."""
    return image.resize((MAX_PX, MAX_PX), Image.Resampling.LANCZOS)


# The fixes, in the order they are applied: what to say, and how to change the image.
_FIXES: Final[
    tuple[tuple[Callable[[Image.Image], str | None], Callable[[Image.Image], Image.Image]], ...]
] = (
    (_orientation_fix, _upright),
    (_mode_fix, _to_rgb),
    (_size_fix, _scaled),
)


def _save_jpeg(image: Image.Image, icc_profile: bytes | None) -> Callable[[IO[bytes]], object]:
    """Return a writer of the image as a baseline RGB JPEG, keeping an RGB colour profile."""
    keep = icc_profile if icc_profile and icc_profile[16:20] == _ICC_RGB else None
    return lambda out: image.save(
        out, format="JPEG", quality=JPEG_QUALITY, optimize=True, icc_profile=keep
    )


def _copy_from(src: Path) -> Callable[[IO[bytes]], object]:
    """Return a writer of src's bytes, unchanged."""

    def copy(out: IO[bytes]) -> None:
        with src.open("rb") as source:
            shutil.copyfileobj(source, out, 1 << 20)

    return copy


def prepare_artwork(
    src: Path, dest_dir: Path, *, stem: str = "cover"
) -> tuple[Path, ImageInfo, list[str]]:
    """Put Apple-compliant artwork at dest_dir/stem.jpg|.png; return it, its info, what changed."""
    image = _load(src)
    _refuse_shape(src, image)
    fmt, icc_profile = image.format or "", image.info.get("icc_profile")
    changes: list[str] = []
    for say, change in _FIXES:
        if note := say(image):
            changes.append(note)
            image = change(image)
    if changes or fmt not in FORMATS:
        was = "" if fmt == "JPEG" else f"{fmt or 'the image'} "
        changes.append(f"re-encoded {was}as JPEG (quality {JPEG_QUALITY})")
        dest, write = dest_dir / f"{stem}.jpg", _save_jpeg(image, icc_profile)
    else:
        dest, write = dest_dir / f"{stem}{FORMATS[fmt][1]}", _copy_from(src)
    try:
        dest_dir.mkdir(parents=True, exist_ok=True)
        with atomic_output(dest) as tmp, tmp.open("wb") as out:
            write(out)
    except OSError as exc:
        raise CatalogError(f"cannot write artwork {dest}: {exc.strerror or exc}") from exc
    return dest, inspect_image(dest), changes
