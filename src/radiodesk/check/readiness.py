"""What a show's settings still lack before its feed passes the feed rules (owner e-mail, artwork).

Judged from radiodesk.toml and the artwork file alone, so `init` can say it and `publish` can
refuse with every problem at once, before it builds anything or asks the store.
"""

from __future__ import annotations

from dataclasses import dataclass

from radiodesk.errors import ConfigError, collect
from radiodesk.show.artwork import check_artwork
from radiodesk.show.settings import CONFIG_FILE, Settings
from radiodesk.spec import is_email


@dataclass(frozen=True, slots=True, kw_only=True)
class Missing:
    """One thing publishing needs that the show's settings do not give yet."""

    setting: str  # under [show]
    what: str  # what it is and who needs it
    fix: str  # how the producer adds it

    def line(self) -> str:
        """Say it on one line: what is missing and how to add it."""
        return f"[show] {self.setting}: {self.what}; {self.fix}"


_EMAIL = Missing(
    setting="email",
    what="no owner e-mail (itunes:owner; Spotify and YouTube send their ownership code to it)",
    fix=f'add email = "radio@example.org" under [show] in {CONFIG_FILE}',
)
_IMAGE = Missing(
    setting="image",
    what="no show artwork (Apple needs a square JPEG or PNG of 1400-3000 px, RGB)",
    fix=f'copy it into the show folder and add image = "cover.jpg" under [show] in {CONFIG_FILE}',
)


def missing_for_publishing(settings: Settings) -> list[Missing]:
    """Return what the feed rules need that the settings do not give (rules A06, itunes:owner)."""
    show = settings.show
    missing = [] if is_email(show.email) else [_EMAIL]
    if not show.image:
        return [*missing, _IMAGE]
    path = settings.root / show.image
    if not path.is_file():
        missing.append(
            Missing(
                setting="image",
                what=f"the artwork {show.image} is not in the show folder",
                fix=f"copy it there, or correct image under [show] in {CONFIG_FILE}",
            )
        )
        return missing
    missing += [
        Missing(
            setting="image",
            what=problem,
            fix="export it again as a square RGB JPEG or PNG of 1400-3000 px",
        )
        for problem in check_artwork(path)
    ]
    return missing


def require_publishable(settings: Settings) -> None:
    """Raise every setting publishing still needs, at once, each with how to add it."""
    missing = missing_for_publishing(settings)
    if missing:
        source = settings.root / CONFIG_FILE
        raise collect(
            [ConfigError(f"{source}: [show] {m.setting}: {m.what}", hint=m.fix) for m in missing]
        )
