"""Tests for radiodesk.artwork: Apple's artwork rules, checked and fixed, on generated images."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageCms

from radiodesk.errors import CatalogError
from radiodesk.show.artwork import ImageInfo, check_artwork, inspect_image, prepare_artwork

NAVY = (20, 40, 120)
EXIF_ORIENTATION = 0x0112


def make_image(
    path: Path,
    *,
    mode: str = "RGB",
    size: tuple[int, int] = (1400, 1400),
    fmt: str = "JPEG",
    colour: object = NAVY,
    **save: object,
) -> Path:
    """Write a solid image of mode, size and format to path."""
    Image.new(mode, size, colour).save(path, fmt, **save)  # type: ignore[arg-type]
    return path


def pixel(path: Path, xy: tuple[int, int] = (700, 700)) -> tuple[int, ...]:
    """Return the RGB value of one pixel of an image file."""
    with Image.open(path) as image:
        value = image.convert("RGB").getpixel(xy)
    assert isinstance(value, tuple)
    return value


def close_to(actual: tuple[int, ...], expected: tuple[int, ...], tolerance: int = 6) -> bool:
    """Say whether two colours differ by at most tolerance in every channel (JPEG is lossy)."""
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=True))


@pytest.fixture
def out(tmp_path: Path) -> Path:
    """The folder prepared artwork goes to (made by prepare_artwork itself)."""
    return tmp_path / "published" / "art"


@pytest.mark.parametrize(
    ("name", "fmt", "size", "dest_name", "mime"),
    [
        ("обложка.jpg", "JPEG", 1400, "cover.jpg", "image/jpeg"),
        ("cover.JPEG", "JPEG", 3000, "cover.jpg", "image/jpeg"),
        ("обложка.png", "PNG", 2000, "cover.png", "image/png"),
    ],
)
def test_compliant_artwork_is_copied_byte_for_byte(
    tmp_path: Path, out: Path, name: str, fmt: str, size: int, dest_name: str, mime: str
) -> None:
    src = make_image(tmp_path / name, fmt=fmt, size=(size, size))
    dest, info, notes = prepare_artwork(src, out)
    assert dest == out / dest_name
    assert dest.read_bytes() == src.read_bytes()
    assert info == ImageInfo(mime=mime, suffix=dest.suffix, width=size, height=size, mode="RGB")
    assert notes == []
    assert check_artwork(dest) == []
    assert sorted(p.name for p in out.iterdir()) == [dest_name]  # no temporary file left


def test_stem_names_the_file(tmp_path: Path, out: Path) -> None:
    src = make_image(tmp_path / "a.jpg")
    dest, _, _ = prepare_artwork(src, out, stem="episode-12")
    assert dest == out / "episode-12.jpg"


def test_png_with_transparency_is_flattened_onto_white(tmp_path: Path, out: Path) -> None:
    image = Image.new("RGBA", (1500, 1500), (0, 0, 0, 0))
    image.paste((200, 30, 30, 255), (0, 0, 750, 1500))  # left half opaque red
    src = tmp_path / "logo.png"
    image.save(src)
    dest, info, notes = prepare_artwork(src, out)
    assert dest == out / "cover.jpg"
    assert (info.mime, info.mode, info.width) == ("image/jpeg", "RGB", 1500)
    assert notes == ["flattened the transparency onto white", "re-encoded PNG as JPEG (quality 90)"]
    assert close_to(pixel(dest, (100, 700)), (200, 30, 30))
    assert close_to(pixel(dest, (1400, 700)), (255, 255, 255))
    assert check_artwork(dest) == []


def test_cmyk_jpeg_becomes_rgb(tmp_path: Path, out: Path) -> None:
    src = make_image(tmp_path / "print.jpg", mode="CMYK", colour=(0, 255, 255, 0))  # pure red ink
    assert check_artwork(src) == ["artwork print.jpg is CMYK; Apple needs RGB"]
    dest, info, notes = prepare_artwork(src, out)
    assert info.mode == "RGB"
    assert notes == ["converted CMYK to RGB", "re-encoded as JPEG (quality 90)"]
    assert close_to(pixel(dest), (255, 0, 0))


@pytest.mark.parametrize(
    ("mode", "colour", "fmt", "expected", "note"),
    [
        ("L", 128, "PNG", (128, 128, 128), "converted greyscale to RGB"),
        ("L", 128, "JPEG", (128, 128, 128), "converted greyscale to RGB"),
        ("I;16", 32768, "PNG", (128, 128, 128), "converted 16-bit greyscale to RGB"),
        ("1", 1, "PNG", (255, 255, 255), "converted black and white to RGB"),
        ("LA", (128, 0), "PNG", (255, 255, 255), "converted greyscale with transparency to RGB"),
    ],
)
def test_other_modes_become_rgb(
    tmp_path: Path,
    out: Path,
    mode: str,
    colour: object,
    fmt: str,
    expected: tuple[int, ...],
    note: str,
) -> None:
    src = make_image(tmp_path / f"grey.{fmt.lower()}", mode=mode, colour=colour, fmt=fmt)
    dest, info, notes = prepare_artwork(src, out)
    assert (dest.suffix, info.mode) == (".jpg", "RGB")
    assert notes[0].startswith(note)
    assert close_to(pixel(dest), expected, tolerance=2)


def test_palette_with_transparency_becomes_white(tmp_path: Path, out: Path) -> None:
    image = Image.new("P", (1400, 1400), 1)
    image.putpalette([0, 0, 0, 200, 30, 30] + [0] * 762)
    src = tmp_path / "palette.png"
    image.save(src, transparency=1)
    dest, _, notes = prepare_artwork(src, out)
    assert notes[0] == "converted a palette image to RGB over white"
    assert close_to(pixel(dest), (255, 255, 255))


def test_large_artwork_is_scaled_to_3000(tmp_path: Path, out: Path) -> None:
    src = make_image(tmp_path / "huge.jpg", size=(4000, 4000))
    assert check_artwork(src) == [
        "artwork huge.jpg is 4000×4000 px; Apple needs 1400-3000 px square"
    ]
    dest, info, notes = prepare_artwork(src, out)
    assert (info.width, info.height, info.mode) == (3000, 3000, "RGB")
    assert notes == ["scaled 4000→3000 px", "re-encoded as JPEG (quality 90)"]
    assert close_to(pixel(dest, (1500, 1500)), NAVY)


def test_rgb_colour_profile_is_kept_when_re_encoding(tmp_path: Path, out: Path) -> None:
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    exif = Image.Exif()
    exif[EXIF_ORIENTATION] = 3  # upside down: a fix that keeps the image RGB
    src = make_image(tmp_path / "turned.jpg", icc_profile=srgb, exif=exif)
    dest, _, notes = prepare_artwork(src, out)
    assert notes[0] == "turned upright as its EXIF orientation asks"
    with Image.open(dest) as image:
        assert image.info.get("icc_profile") == srgb


def test_webp_becomes_jpeg(tmp_path: Path, out: Path) -> None:
    src = make_image(tmp_path / "cover.webp", fmt="WEBP")
    assert check_artwork(src) == ["artwork cover.webp is WEBP; Apple needs JPEG or PNG"]
    dest, info, notes = prepare_artwork(src, out)
    assert (dest.name, info.mime) == ("cover.jpg", "image/jpeg")
    assert notes == ["re-encoded WEBP as JPEG (quality 90)"]


def test_exif_orientation_is_applied(tmp_path: Path, out: Path) -> None:
    image = Image.new("RGB", (1400, 1400), (255, 255, 255))
    image.paste((200, 30, 30), (0, 0, 1400, 300))  # a red band along the top
    exif = Image.Exif()
    exif[EXIF_ORIENTATION] = 6  # "rotate 90° clockwise to display"
    src = tmp_path / "phone.jpg"
    image.save(src, exif=exif)
    dest, _, notes = prepare_artwork(src, out)
    assert notes[0] == "turned upright as its EXIF orientation asks"
    assert close_to(pixel(dest, (1300, 700)), (200, 30, 30))  # the band is now on the right
    with Image.open(dest) as prepared:
        assert prepared.getexif().get(EXIF_ORIENTATION, 1) == 1


def test_conversion_is_repeatable(tmp_path: Path) -> None:
    src = make_image(tmp_path / "print.jpg", mode="CMYK", colour=(10, 200, 30, 5))
    first, _, _ = prepare_artwork(src, tmp_path / "one")
    second, _, _ = prepare_artwork(src, tmp_path / "two")
    assert first.read_bytes() == second.read_bytes()  # so the content-addressed key is stable


def test_rerun_replaces_the_file(tmp_path: Path, out: Path) -> None:
    prepare_artwork(make_image(tmp_path / "a.jpg", colour=(255, 0, 0)), out)
    dest, _, _ = prepare_artwork(make_image(tmp_path / "b.jpg", colour=(0, 255, 0)), out)
    assert close_to(pixel(dest), (0, 255, 0))
    assert [p.name for p in out.iterdir()] == ["cover.jpg"]


@pytest.mark.parametrize(
    ("size", "message", "hint"),
    [
        ((800, 800), "artwork small.jpg is 800×800 px; Apple needs 1400-3000 px square", "enlarge"),
        ((1399, 1399), "is 1399×1399 px; Apple needs 1400-3000 px square", "enlarge"),
        ((1600, 1400), "is 1600×1400 px, not square; Apple needs 1400-3000 px square", "crop"),
        ((800, 600), "is 800×600 px, not square", "crop"),
        ((5000, 4000), "is 5000×4000 px, not square", "crop"),
    ],
)
def test_small_or_non_square_artwork_is_refused(
    tmp_path: Path, out: Path, size: tuple[int, int], message: str, hint: str
) -> None:
    src = make_image(tmp_path / "small.jpg", size=size)
    with pytest.raises(CatalogError, match=re.escape(message)) as caught:
        prepare_artwork(src, out)
    assert hint in (caught.value.hint or "")
    assert not out.exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            b"not an image at all\n",
            "artwork notes.jpg is not a readable image: not an image format",
        ),
        (b"", "artwork notes.jpg is not a readable image"),
    ],
)
def test_unreadable_files_are_refused(
    tmp_path: Path, out: Path, content: bytes, message: str
) -> None:
    src = tmp_path / "notes.jpg"
    src.write_bytes(content)
    with pytest.raises(CatalogError, match=re.escape(message)):
        prepare_artwork(src, out)
    with pytest.raises(CatalogError, match=re.escape(message)):
        inspect_image(src)
    assert check_artwork(src)[0].startswith(message)
    assert not out.exists()


def test_truncated_jpeg_is_refused(tmp_path: Path, out: Path) -> None:
    whole = make_image(tmp_path / "whole.jpg", colour=(1, 2, 3)).read_bytes()
    src = tmp_path / "cut.jpg"
    src.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(CatalogError, match=r"artwork cut\.jpg is not a readable image"):
        prepare_artwork(src, out)


def test_missing_file_is_refused(tmp_path: Path, out: Path) -> None:
    missing = tmp_path / "нет.jpg"
    with pytest.raises(CatalogError, match=re.escape(f"artwork {missing} does not exist")):
        prepare_artwork(missing, out)
    assert check_artwork(missing) == [f"artwork {missing} does not exist"]


@pytest.mark.parametrize(
    ("name", "options", "problems"),
    [
        ("ok.png", {"fmt": "PNG"}, []),
        ("ok.jpeg", {}, []),
        ("wrong.png", {}, ["is JPEG but named .png; Apple needs .jpg or .jpeg"]),
        ("noext", {"fmt": "PNG"}, ["is PNG but named without an extension; Apple needs .png"]),
        (
            "all.png",
            {"mode": "RGBA", "size": (500, 400), "fmt": "PNG"},
            [
                "is 500×400 px; Apple needs 1400-3000 px square",
                "is RGB with transparency; Apple needs RGB",
            ],
        ),
        (
            "grey.tiff",
            {"mode": "L", "fmt": "TIFF", "colour": 3},
            ["is TIFF; Apple needs JPEG or PNG", "is greyscale; Apple needs RGB"],
        ),
    ],
)
def test_check_names_every_problem(
    tmp_path: Path, name: str, options: dict[str, object], problems: list[str]
) -> None:
    found = check_artwork(make_image(tmp_path / name, **options))  # type: ignore[arg-type]
    assert found == [f"artwork {name} {problem}" for problem in problems]


def test_inspect_refuses_other_formats(tmp_path: Path) -> None:
    src = make_image(tmp_path / "cover.webp", fmt="WEBP")
    with pytest.raises(CatalogError, match=r"artwork cover\.webp is WEBP; podcast apps need JPEG"):
        inspect_image(src)


def test_failed_write_leaves_nothing_behind(
    tmp_path: Path, out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full_disk(self: Image.Image, fp: Any, *args: Any, **kwargs: Any) -> None:
        fp.write(b"\xff\xd8\xff half a JPEG")
        raise OSError(28, "No space left on device")

    src = make_image(tmp_path / "print.png", mode="L", fmt="PNG", colour=9)
    monkeypatch.setattr(Image.Image, "save", full_disk)
    with pytest.raises(CatalogError, match=r"cannot write artwork .*cover\.jpg: No space left"):
        prepare_artwork(src, out)
    assert list(out.iterdir()) == []


def test_destination_that_is_a_file_is_refused(tmp_path: Path) -> None:
    src = make_image(tmp_path / "a.jpg")
    blocker = tmp_path / "art"
    blocker.write_text("not a folder")
    with pytest.raises(CatalogError, match="cannot write artwork"):
        prepare_artwork(src, blocker)
