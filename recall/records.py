"""The library's records as frozen values: sessions, songs, revisions, chains and notes."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .errors import LibraryError

STATUSES = ("draft", "printed", "approved", "delivered")
NOTE_KINDS = ("reaction", "technical", "request")
AUTHORS = ("engineer", "artist", "other")
NOTE_STATUSES = ("open", "addressed", "declined")
# The longest name (of a session, song, unit, ...) in characters, and the largest whole
# number the library file holds (SQLite's INTEGER).
NAME_LIMIT = 200
LARGEST_INTEGER = 2**63 - 1
# Characters that hide what text says: control characters (C0, DEL and C1, which a terminal
# may obey), lone surrogates (no file or database can store them) and the bidirectional
# embeddings, overrides and isolates that show text in another order than it is stored.
_HIDDEN = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff"
# Free text (notes, captions) may hold tabs and line breaks; a name holds neither, nor a
# path separator: songs are named "Session/Song".
_BAD_TEXT = re.compile(f"[{_HIDDEN}]")
_BAD_NAME = re.compile(rf"[/\\{_HIDDEN}\t\n\r\u2028\u2029]")


def now() -> str:
    """The time a record is made, in UTC to the second (ISO 8601)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def shown(text: object, limit: int = 60) -> str:
    """``text`` for a one-line message: quoted with hidden characters escaped (as Python
    writes them), cut after ``limit`` characters with the full length said. Anything but
    text is shown as Python writes it, cut the same way."""
    if not isinstance(text, str):
        try:
            written = repr(text)
        except ValueError:  # a whole number of more digits than Python will write
            return "a number too long to show"
        return written if len(written) <= limit else f"{written[:limit]}… ({len(written)} " \
            "characters)"
    if len(text) > limit:
        return f"{text[:limit]!r}… ({len(text)} characters)"
    return repr(text)


def hidden_character(text: str) -> str | None:
    """The first character free text may not hold (see ``_HIDDEN``), or None."""
    found = _BAD_TEXT.search(text)
    return found.group() if found else None


def _which(char: str) -> str:
    if char in "/\\":
        return f"a path separator ({char!r})"
    if "\ud800" <= char <= "\udfff":
        return f"a character that is not text (U+{ord(char):04X}, undecodable input)"
    return f"a control character (U+{ord(char):04X})"


def check_name(kind: str, name: str) -> str:
    """A title fit for a library name: no path separator, line break or control character,
    not empty, at most ``NAME_LIMIT`` characters; spaces around it are dropped."""
    if not isinstance(name, str):
        raise LibraryError(f"{kind} name is {type(name).__name__}, not text")
    bad = _BAD_NAME.search(name)
    if bad:
        raise LibraryError(f"{kind} name {shown(name)} contains {_which(bad.group())}")
    cleaned = name.strip()
    if not cleaned:
        raise LibraryError(f"{kind} name is empty")
    if len(cleaned) > NAME_LIMIT:
        raise LibraryError(f"{kind} name is {len(cleaned)} characters long ({NAME_LIMIT} at "
                           "most)")
    return cleaned


def check_text(kind: str, text: str, *, limit: int = 20_000) -> str:
    """Free text fit for the library: control characters refused, length bounded; spaces
    and line breaks around it are dropped."""
    if not isinstance(text, str):
        raise LibraryError(f"{kind} is {type(text).__name__}, not text")
    bad = hidden_character(text)
    if bad is not None:
        raise LibraryError(f"{kind} {shown(text, 40)} contains {_which(bad)}")
    if len(text) > limit:
        raise LibraryError(f"{kind} is {len(text)} characters long ({limit} at most)")
    return text.strip()


@dataclass(frozen=True, slots=True)
class Session:
    id: int
    title: str
    artist: str
    notes: str


@dataclass(frozen=True, slots=True)
class SessionSummary:
    """A session as a list of sessions shows it: ``songs`` counts its songs (those that match
    the search, when one narrows the list)."""

    id: int
    title: str
    artist: str
    songs: int


@dataclass(frozen=True, slots=True)
class Song:
    id: int
    session_id: int
    session_title: str
    title: str
    position: int
    source_path: str | None = None
    source_sha256: str | None = None
    source_rate: int | None = None
    source_channels: int | None = None
    targets: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return f"{self.session_title}/{self.title}"


@dataclass(frozen=True, slots=True)
class ChainUnit:
    """One unit in a revision's chain: its settings in engineering units, and the frozen
    definitions of its parameters as they were when the values were set."""

    unit: str
    profile: str
    bypassed: bool
    settings: dict[str, float] = field(default_factory=dict)
    definitions: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Revision:
    id: int
    song_id: int
    number: int
    parent_number: int | None
    status: str
    chain: tuple[ChainUnit, ...]
    studio_fingerprint: str | None
    routing: dict[str, Any]
    calibration: dict[str, Any]
    frozen: bool
    created: str

    def unit(self, name: str) -> ChainUnit:
        for unit in self.chain:
            if unit.unit == name:
                return unit
        names = ", ".join(u.unit for u in self.chain) or "none"
        raise LibraryError(f"revision {self.number} has no unit {shown(name)} (chain: {names})")


@dataclass(frozen=True, slots=True)
class RevisionSummary:
    """A revision as a list of a song's revisions shows it, without its chain's settings."""

    number: int
    parent_number: int | None
    status: str
    frozen: bool
    units: int


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file kept with a revision (a photo of a front panel or the patch bay), or with one
    unit of its chain; ``path`` is relative to the library's files folder."""

    id: int
    revision_number: int
    unit: str | None
    name: str
    path: str
    sha256: str
    media_type: str
    caption: str
    created: str


@dataclass(frozen=True, slots=True)
class Note:
    id: int
    song_id: int
    revision_number: int | None
    at_seconds: float | None
    kind: str
    author: str
    body: str
    status: str
    addressed_in: int | None
    created: str


def check_value(unit: str, parameter: str, definition: dict[str, Any], value: float) -> float:
    """``value`` checked against a frozen parameter definition (range, detents, options)."""
    where = f"{unit}.{parameter}"
    if not isinstance(value, int | float) or isinstance(value, bool) or not _finite(value):
        raise LibraryError(f"{where}: {shown(value)} is not a number")
    kind = definition.get("kind")
    if kind == "stepped":
        detents = definition.get("detents", [])
        for detent in detents:
            if abs(detent["value"] - value) <= 1e-9 * max(1.0, abs(value)):
                return float(detent["value"])
        labels = ", ".join(d["label"] for d in detents)
        raise LibraryError(f"{where}: {value:g} is not one of its detents ({labels})")
    if kind in ("switch", "choice"):
        labels = definition.get("labels", [])
        if value != int(value) or not 0 <= value < len(labels):
            options = ", ".join(f"{i}={label}" for i, label in enumerate(labels))
            raise LibraryError(f"{where}: {value:g} is not one of {options}")
        return float(value)
    low, high = float(definition["min"]), float(definition["max"])
    if not low - 1e-9 <= value <= high + 1e-9:
        unit_text = f" {definition.get('unit', '')}".rstrip()
        raise LibraryError(f"{where}: {value:g}{unit_text} is outside {low:g} to {high:g}")
    return float(min(max(value, low), high))


def _finite(value: float) -> bool:
    try:
        return math.isfinite(value)
    except OverflowError:  # a whole number too large for a float
        return False


def parse_value(definition: dict[str, Any], text: str) -> float:
    """A value as an engineer types it: a detent or option label, or a number in units."""
    text = text.strip()
    for detent in definition.get("detents", []):
        if text == detent["label"]:
            return float(detent["value"])
    labels = definition.get("labels", [])
    if text in labels:
        return float(labels.index(text))
    try:
        return float(text)
    except ValueError:
        raise LibraryError(f"{shown(text)} is neither a number nor one of the control's "
                           "labels") from None


def display_value(definition: dict[str, Any], value: float | None) -> str:
    """A value as the front panel shows it: the detent or switch label, else number and unit."""
    if value is None:
        return "—"
    kind = definition.get("kind")
    if kind == "stepped":
        for detent in definition.get("detents", []):
            if abs(detent["value"] - value) <= 1e-9 * max(1.0, abs(value)):
                return str(detent["label"])
    if kind in ("switch", "choice"):
        labels = definition.get("labels", [])
        if value == int(value) and 0 <= value < len(labels):
            return str(labels[int(value)])
    return f"{value:g} {definition.get('unit', '')}".strip()


def format_time(seconds: float | None) -> str:
    """mm:ss.s, as notes show a moment in the song."""
    if seconds is None:
        return ""
    minutes, rest = divmod(seconds, 60)
    return f"{int(minutes)}:{rest:04.1f}"


def parse_time(text: str) -> float:
    """A moment in the song from mm:ss.s, ss.s or h:mm:ss; LibraryError if not one."""
    found = re.fullmatch(r"(?:(\d+):)?(?:(\d+):)?(\d+(?:\.\d+)?)", text.strip())
    if not found:
        raise LibraryError(f"time {shown(text)} is not mm:ss.s")
    parts = [p for p in found.groups() if p is not None]
    seconds = 0.0
    for part in parts:
        seconds = seconds * 60 + float(part)
    if not math.isfinite(seconds):
        raise LibraryError(f"time {shown(text)} is past any song's end")
    return seconds


def storable(text: str) -> bool:
    """Whether SQLite can take ``text`` (not so with lone surrogates, which undecodable
    command-line bytes become); a name that is not storable names nothing."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
