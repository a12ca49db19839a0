"""Creates a new show folder: a commented radiodesk.toml, the artwork and episodes/."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import tomlkit

from radiodesk import catalog
from radiodesk.artwork import inspect_image
from radiodesk.config import CONFIG_FILE, settings_from_dict, split_category
from radiodesk.errors import ConfigError


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
) -> Path:
    """Validate the options, then write radiodesk.toml (and copy the artwork) into `root`."""
    path = root / CONFIG_FILE
    if path.exists():
        raise ConfigError(f"{path} already exists", hint="edit it, or init another folder")
    parent, child = split_category(category)
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
    )
    # Validate exactly what will be written before touching the disk.
    settings_from_dict(root, tomlkit.parse(text).unwrap(), source=path)
    root.mkdir(parents=True, exist_ok=True)
    (root / catalog.EPISODES_DIR).mkdir(exist_ok=True)
    if image is not None and image.resolve() != (root / image_name).resolve():
        shutil.copyfile(image, root / image_name)
    catalog.write_atomic(path, text.encode("utf-8"))
    return path


def render_show_config(**show: Any) -> str:
    """Return a commented radiodesk.toml."""
    doc = tomlkit.document()
    doc.add(tomlkit.comment("radiodesk show settings. Every path is relative to this folder."))
    doc.add(tomlkit.nl())
    section = tomlkit.table()
    for key, comment in _SHOW_COMMENTS.items():
        section.add(key, _commented(show.get(key, ""), comment))
    doc.add("show", section)
    doc.add(tomlkit.nl())
    audio = tomlkit.table()
    for key, (value, comment) in _AUDIO_DEFAULTS.items():
        audio.add(key, _commented(value, comment))
    doc.add("audio", audio)
    doc.add(tomlkit.nl())
    storage = tomlkit.table()
    storage.add("backend", _commented("local", '"local": a folder on this machine'))
    storage.add("path", _commented("public", "local store folder; serve it at base_url"))
    doc.add("storage", storage)
    return tomlkit.dumps(doc)


_SHOW_COMMENTS = {
    "title": "shown in podcast apps",
    "description": "what the show is about; at most 4000 bytes",
    "language": "ISO 639 code: ru, ru-ru, en-us",
    "author": "itunes:author",
    "email": "itunes:owner e-mail: Spotify and YouTube verify ownership with it",
    "category": "Apple Podcasts category, exact spelling",
    "subcategory": "optional, must belong to the category",
    "explicit": "true marks the whole show explicit",
    "image": "square JPEG or PNG, 1400-3000 px",
    "base_url": "public URL where the store is served; the feed is base_url/feed.xml",
}
_AUDIO_DEFAULTS: dict[str, tuple[Any, str]] = {
    "target_lufs": (-16.0, "integrated loudness of stereo episodes (Apple Podcasts, AES TD1004)"),
    "mono_target_lufs": (-19.0, "mono episodes play as loud as -16 stereo at -19"),
    "true_peak_dbtp": (-1.0, "ceiling, measured on the encoded MP3"),
    "channels": ("auto", '"auto" follows the recording, "mono" forces mono, "stereo" keeps stereo'),
    "stereo_bitrate_kbps": (128, "MP3 bit rate of stereo episodes"),
    "mono_bitrate_kbps": (64, "MP3 bit rate of mono episodes"),
    "sample_rate_hz": (44100, "MP3 sample rate"),
}


def _commented(value: Any, comment: str) -> Any:
    item = tomlkit.item(value)
    item.comment(comment)
    return item
