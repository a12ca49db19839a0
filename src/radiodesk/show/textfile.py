"""The producer's text files (notes, chapters, transcripts): bytes in, text out, one way for all.

UTF-8, UTF-16 with a BOM, else a confident guess between the Cyrillic code pages Windows-1251 and
KOI8-R; anything else is refused with a hint. Never prints: a legacy encoding is logged.
"""

from __future__ import annotations

import codecs
import itertools
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from radiodesk.errors import CatalogError

log = logging.getLogger(__name__)

# Python codec name -> what producers see it called (Notepad's and Word's names).
CODE_PAGES: Final = {"cp1251": "Windows-1251", "koi8_r": "KOI8-R"}
_BOMS: Final = ((codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_LABELS: Final = {"utf-8": "UTF-8", "utf-16": "UTF-16", **CODE_PAGES}
_HINT: Final = "save it as UTF-8 (in Notepad: Save as, Encoding: UTF-8) and try again"
_WORD: Final = re.compile(r"[^\W\d_]+")  # a run of letters, of any script
_CYRILLIC: Final = re.compile(r"[\u0400-\u04ff]")
_VOWELS: Final = frozenset("аеёиоуыэюяіїє")  # Russian, Ukrainian and Belarusian
# A guess needs this share of words that could be Russian, and this lead over the other page
# (in `_russian_score` points); a line or two in one case can read well either way.
MIN_PLAUSIBLE_SHARE: Final = 0.8
MIN_LEAD: Final = 0.1
PRIOR: Final = {"cp1251": 0.1, "koi8_r": 0.0}  # Windows-1251 is by far the more common now


@dataclass(frozen=True, slots=True)
class Decoded:
    """A text file's text and the encoding it was read in."""

    text: str
    encoding: str  # a Python codec name: "utf-8", "utf-16", "cp1251", "koi8_r"
    data: bytes  # the file's bytes

    @property
    def label(self) -> str:
        """Return the encoding's name as producers know it ("Windows-1251")."""
        return _LABELS.get(self.encoding, self.encoding)

    def utf8(self) -> bytes:
        """Return the text in UTF-8: the file's own bytes (a BOM kept) when they are UTF-8."""
        return self.data if self.encoding == "utf-8" else self.text.encode("utf-8")


def read_text(path: Path, what: str) -> Decoded:
    """Read a producer's text file (`what`: "chapters", "notes"...), warning if not UTF-8."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CatalogError(f"cannot read the {what} file {path}: {exc.strerror}") from exc
    decoded = decode(data, name=path.name, what=what)
    if decoded.encoding != "utf-8":
        log.warning("%s read as %s", path.name, decoded.label)
    return decoded


def decode(data: bytes, *, name: str, what: str) -> Decoded:
    """Return the text of a file's bytes; refuse bytes no known encoding reads sensibly."""
    try:
        return Decoded(data.decode("utf-8-sig"), "utf-8", data)  # a BOM is not text
    except UnicodeDecodeError:
        pass
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return Decoded(data.decode(encoding), encoding, data)
            except UnicodeDecodeError:
                break
    if b"\x00" not in data and (guess := _guess_code_page(data, name, what)) is not None:
        return guess
    raise CatalogError(
        f"the {what} file {name} is not UTF-8 text, nor Windows-1251 or KOI8-R", hint=_HINT
    )


def _guess_code_page(data: bytes, name: str, what: str) -> Decoded | None:
    """Return the one clearly Russian-looking reading of the bytes; None when none is.

    charset-normalizer says which code pages give sensible text; on a few short lines it often
    accepts both, and letter case, common letters and vowels then tell them apart.
    """
    from charset_normalizer import from_bytes  # slow to import: most files are UTF-8

    sensible = {match.encoding for match in from_bytes(data, cp_isolation=list(CODE_PAGES))}
    readings = {page: text for page in CODE_PAGES if (text := _strict(data, page)) is not None}
    scores = {page: _russian_score(text) + PRIOR[page] for page, text in readings.items()}
    best, *rest = sorted(scores, key=scores.__getitem__, reverse=True)
    if best not in sensible or _plausible_share(readings[best]) < MIN_PLAUSIBLE_SHARE:
        return None
    if rest and scores[best] - scores[other := rest[0]] < MIN_LEAD:
        raise CatalogError(
            f"the {what} file {name} is not UTF-8 text, and too short to tell whether it is "
            f"{CODE_PAGES[best]} or {CODE_PAGES[other]}",
            hint=_HINT,
        )
    return Decoded(readings[best], best, data)


def _strict(data: bytes, page: str) -> str | None:
    try:
        return data.decode(page)
    except UnicodeDecodeError:  # a byte the page leaves undefined: not that page
        return None


def _russian_score(text: str) -> float:
    """Score how much a text reads like Russian (or Ukrainian): higher is likelier, at most 3."""
    return _plausible_share(text) + _common_share(text) + _alternation(text)


def _plausible_share(text: str) -> float:
    """Return the share of words with Cyrillic letters that could be Russian (0 with none).

    A Russian word is all Cyrillic (not "cafй": a Western page read as Cyrillic), lower case,
    Capitalised or ALL CAPS (the two pages put capitals and small letters in opposite halves,
    so the wrong one gives "нЬТ" for "МЭР"), and has a vowel if it is two letters or more.
    """
    words = [word for word in _WORD.findall(text) if _CYRILLIC.search(word)]
    if not words:
        return 0.0
    return sum(1 for word in words if _plausible(word)) / len(words)


def _plausible(word: str) -> bool:
    cased = word.islower() or word.isupper() or word.istitle()
    cyrillic = all(_CYRILLIC.match(letter) for letter in word)
    return cased and cyrillic and (len(word) < 2 or not _VOWELS.isdisjoint(word.lower()))


def _common_share(text: str) -> float:
    """Return the share of Cyrillic letters that are among the most used ones."""
    # The letters most used in Russian and Ukrainian (charset-normalizer's tables): most
    # letters of real text, fewer of text read in the wrong code page.
    from charset_normalizer.constant import FREQUENCIES

    common = frozenset(FREQUENCIES["Russian"][:12] + FREQUENCIES["Ukrainian"][:12])
    letters = [letter for letter in text.lower() if _CYRILLIC.match(letter)]
    return sum(1 for letter in letters if letter in common) / max(len(letters), 1)


def _alternation(text: str) -> float:
    """Return how often vowels and consonants take turns within words (mostly, in Russian)."""
    pairs = turns = 0
    for word in _WORD.findall(text.lower()):
        for first, second in itertools.pairwise(word):
            pairs += 1
            turns += (first in _VOWELS) != (second in _VOWELS)
    return turns / pairs if pairs else 0.0
