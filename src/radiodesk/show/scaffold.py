"""Creates a new show folder (a commented radiodesk.toml, the artwork, episodes/) or station.

Checks what it will write before touching the disk; never overwrites a settings file.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import tomlkit

from radiodesk.errors import ConfigError
from radiodesk.files import write_atomic
from radiodesk.show import folders
from radiodesk.show.artwork import inspect_image
from radiodesk.show.settings import CONFIG_FILE, STATION_FILE
from radiodesk.show.settings_file import find_station, settings_from_dict, station_from_dict
from radiodesk.show.settings_rules import split_category


def create_show(
    root: Path,
    *,
    title: str,
    base_url: str,
    description: str,
    language: str,
    author: str,
    email: str,
    category: str,
    image: Path | None,
    explicit: bool,
    time_zone: str = "",
) -> Path:
    """Validate the options, then write radiodesk.toml (and copy the artwork) into `root`."""
    path = root / CONFIG_FILE
    if path.exists():
        raise ConfigError(f"{path} already exists", hint="edit it, or init another folder")
    parent, child = split_category(category)
    # Inside a station, base_url and [storage] come from station.toml.
    station = find_station(root)
    if station is None and not base_url:
        raise ConfigError("give the show a --base-url (the public URL of its store)")
    image_name = ""
    if image is not None:
        info = inspect_image(image)
        image_name = f"cover{info.suffix}"
    text = render_show_config(
        title=title,
        base_url=base_url,
        description=description,
        language=language,
        author=author,
        email=email,
        category=parent,
        subcategory=child,
        image=image_name,
        explicit=explicit,
        time_zone=time_zone,
        in_station=station is not None,
    )
    # Validate exactly what will be written before touching the disk.
    settings_from_dict(root, tomlkit.parse(text).unwrap(), source=path, station=station)
    root.mkdir(parents=True, exist_ok=True)
    (root / folders.EPISODES_DIR).mkdir(exist_ok=True)
    if image is not None and image.resolve() != (root / image_name).resolve():
        shutil.copyfile(image, root / image_name)
    write_atomic(path, text.encode("utf-8"))
    return path


def render_show_config(*, in_station: bool = False, **show: Any) -> str:
    """Return radiodesk.toml with a comment above every setting (a programme: no store)."""
    values: dict[str, dict[str, Any]] = {"show": show, "audio": {}, "storage": {}}
    layout = _LAYOUT
    if in_station:
        layout = {
            section: [row for row in rows if row[0] not in _STATION_OWNS]
            for section, rows in _LAYOUT.items()
            if section != "storage"
        }
    heading = "radiodesk show settings. Paths are relative to this folder."
    if in_station:
        heading += f" The store and base_url are the station's ({STATION_FILE} above)."
    return _render(heading, layout, values)


def create_station(
    root: Path, *, name: str, base_url: str, description: str, language: str, image: Path | None
) -> Path:
    """Validate the options, then write station.toml (and copy the artwork) into `root`."""
    path = root / STATION_FILE
    if path.exists():
        raise ConfigError(f"{path} already exists", hint="edit it, or init another folder")
    image_name = f"station{inspect_image(image).suffix}" if image is not None else ""
    values = {
        "station": {
            "name": name,
            "description": description,
            "language": language,
            "base_url": base_url,
            "image": image_name,
        },
        "storage": {},
    }
    heading = "radiodesk station settings. Each sub-folder with a radiodesk.toml is a programme."
    text = _render(heading, _STATION_LAYOUT, values)
    station_from_dict(root, tomlkit.parse(text).unwrap(), source=path)  # before touching disk
    root.mkdir(parents=True, exist_ok=True)
    if image is not None and image.resolve() != (root / image_name).resolve():
        shutil.copyfile(image, root / image_name)
    write_atomic(path, text.encode("utf-8"))
    return path


def _render(
    heading: str, layout: dict[str, list[tuple[str, Any, str]]], values: dict[str, dict[str, Any]]
) -> str:
    doc = tomlkit.document()
    doc.add(tomlkit.comment(heading))
    for section, rows in layout.items():
        table = tomlkit.table()
        for key, default, comment in rows:
            table.add(tomlkit.comment(comment))
            table.add(key, values[section].get(key, default))
        doc.add(tomlkit.nl())
        doc.add(section, table)
    return tomlkit.dumps(doc)


_STATION_OWNS = frozenset({"base_url"})  # with [storage]: what a programme inherits
_STATION_LAYOUT: dict[str, list[tuple[str, Any, str]]] = {
    "station": [
        ("name", "", "Station name, the title of the station page."),
        ("description", "", "What the station is; shown on the station page."),
        ("language", "ru", "ISO 639 language code of the station page: ru, en."),
        ("image", "", "Station artwork (optional): square JPEG or PNG."),
        (
            "base_url",
            "",
            "Public URL the store is served from; a programme's feed is "
            "base_url/<programme>/feed.xml.",
        ),
    ],
    "storage": [
        ("backend", "local", '"local": a folder on this machine, served at base_url; or "s3".'),
        ("path", "public", "The local store's folder, shared by every programme."),
    ],
}


# section -> (setting, default, the comment written above it)
_LAYOUT: dict[str, list[tuple[str, Any, str]]] = {
    "show": [
        ("title", "", "Show title, as podcast apps display it."),
        ("description", "", "What the show is about (at most 4000 bytes)."),
        ("language", "ru", "ISO 639 language code: ru, ru-ru, en-us."),
        ("author", "", "Author shown in apps (itunes:author)."),
        ("email", "", "Owner e-mail (itunes:owner): Spotify and YouTube verify ownership with it."),
        ("category", "News", "Apple Podcasts category, exact spelling and case."),
        (
            "subcategory",
            "",
            "Optional; must belong to the category (News: Politics, Daily News...).",
        ),
        ("explicit", False, "true marks the whole show explicit."),
        ("image", "", "Show artwork: square JPEG or PNG, 1400-3000 px, RGB."),
        ("base_url", "", "Public URL the store is served from; the feed is base_url/feed.xml."),
        (
            "time_zone",
            "",
            'IANA time zone, e.g. "Europe/Minsk": a --date typed without one is taken in it.',
        ),
    ],
    "audio": [
        ("format", "mp3", "Output format of published episodes (MP3, libmp3lame)."),
        ("target_lufs", -16.0, "Integrated loudness of stereo episodes (Apple, AES TD1004)."),
        ("mono_target_lufs", -19.0, "Mono episodes: -19 LUFS plays as loud as -16 in stereo."),
        ("true_peak_dbtp", -1.0, "True-peak ceiling, measured on the encoded MP3."),
        ("channels", "auto", '"auto" follows the recording; "mono" or "stereo" force one.'),
        ("stereo_bitrate_kbps", 128, "MP3 bit rate of stereo episodes."),
        ("mono_bitrate_kbps", 64, "MP3 bit rate of mono episodes."),
        ("sample_rate_hz", 44100, "MP3 sample rate."),
    ],
    "storage": [
        ("backend", "local", '"local": a folder on this machine, served at base_url.'),
        ("path", "public", "The local store's folder."),
    ],
}
