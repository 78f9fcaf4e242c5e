"""The export manifest: its version, and a check of every key and value before an import."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Collection
from datetime import datetime
from typing import Any

from .archive_source import MANIFEST, ArchiveError, check_member_name
from .errors import LibraryError
from .records import (
    AUTHORS,
    LARGEST_INTEGER,
    NOTE_KINDS,
    NOTE_STATUSES,
    STATUSES,
    check_name,
    check_text,
    check_value,
    hidden_character,
    shown,
)
from .studio import fingerprint, studio_from_dict

FORMAT = "outboard-export"
FORMAT_VERSION = 1
PRINT_STATES = ("complete", "incomplete", "flawed")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_MEDIA_TYPE = re.compile(r"[A-Za-z0-9][\w!#$&^.+-]{0,126}/[A-Za-z0-9][\w!#$&^.+-]{0,126}",
                         re.ASCII)
# A manifest nests about ten levels deep; far deeper is an attack on the parser.
_DEPTH = 64
_KINDS: dict[str, tuple[type, ...]] = {
    "text": (str,), "whole number": (int,), "number": (int, float), "true or false": (bool,),
    "object": (dict,), "list": (list,), "object or list": (dict, list),
}


class _Part:
    """One object of the manifest and where it sits, so that a message names the key."""

    def __init__(self, origin: str, where: str, data: Any) -> None:
        self.origin, self.where, self.data = origin, where, data
        if not isinstance(data, dict):
            raise self.fail("", f"is {_kind(data)}, expected an object")

    def fail(self, key: str, text: str) -> ArchiveError:
        place = ".".join(p for p in (self.where, key) if p) or "the top level"
        return ArchiveError(f"{self.origin}: {MANIFEST}: {place} {text}")

    def get(self, key: str, kind: str, *, null: bool = False) -> Any:
        if key not in self.data:
            where = self.where or "the top level"
            raise ArchiveError(f"{self.origin}: {MANIFEST}: {where} misses key '{key}'")
        value = self.data[key]
        if value is None and null:
            return None
        wrong_bool = isinstance(value, bool) and bool not in _KINDS[kind]
        if wrong_bool or not isinstance(value, _KINDS[kind]):
            expected = kind + (" or null" if null else "")
            raise self.fail(key, f"is {_kind(value)}, expected {expected}")
        if isinstance(value, int) and not -LARGEST_INTEGER <= value <= LARGEST_INTEGER:
            raise self.fail(key, f"is {shown(value, 30)}, larger than the library holds")
        return value

    def name(self, key: str, noun: str, *, null: bool = False) -> str | None:
        value = self.get(key, "text", null=null)
        if value is None:
            return None
        try:
            cleaned = check_name(noun, value)
        except LibraryError as err:
            raise self.fail(key, f"is refused: {err.message}") from None
        if cleaned != value:
            raise self.fail(key, f"{shown(value)} has spaces at its start or end")
        return value

    def text(self, key: str, noun: str, *, limit: int = 20_000, trimmed: bool = True,
             null: bool = False) -> str | None:
        """Free text as the library takes it (see :func:`recall.records.check_text`); kept
        texts have no spaces or line breaks around them (``trimmed``)."""
        value = self.get(key, "text", null=null)
        if value is None:
            return None
        try:
            cleaned = check_text(noun, value, limit=limit)
        except LibraryError as err:
            raise self.fail(key, f"is refused: {err.message}") from None
        if trimmed and cleaned != value:
            raise self.fail(key, f"{shown(value, 40)} has spaces or line breaks at its start "
                            "or end")
        return value

    def choice(self, key: str, options: tuple[str, ...]) -> str:
        value = self.get(key, "text")
        if value not in options:
            raise self.fail(key, f"is {shown(value)}, expected one of {', '.join(options)}")
        return str(value)

    def count(self, key: str, *, null: bool = False) -> int | None:
        value = self.get(key, "whole number", null=null)
        if value is not None and value < 1:
            raise self.fail(key, f"is {value}, expected 1 or more")
        return value

    def time(self, key: str) -> str:
        value = self.get(key, "text")
        try:
            datetime.fromisoformat(value)
        except ValueError:
            raise self.fail(key, f"{shown(value)} is not an ISO 8601 time") from None
        return str(value)

    def sha256(self, key: str, *, null: bool = False) -> str | None:
        value = self.get(key, "text", null=null)
        if value is not None and not _SHA256.fullmatch(value):
            raise self.fail(key, f"{shown(value)} is not a sha256 (64 lowercase hex digits)")
        return value

    def parts(self, key: str) -> list[_Part]:
        return [_Part(self.origin, f"{self.where + '.' if self.where else ''}{key}[{i}]", item)
                for i, item in enumerate(self.get(key, "list"))]

    def part(self, key: str) -> _Part:
        self.get(key, "object")
        return _Part(self.origin, f"{self.where + '.' if self.where else ''}{key}", self.data[key])


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "true or false", int: "a number", float: "a number", str: "text",
            list: "a list", dict: "an object"}.get(type(value), type(value).__name__)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{shown(text, 30)} is too large a number")
    return value


def _check_strings(origin: str, document: Any) -> None:
    """Refuse text anywhere in the manifest (keys too) that hides what it says (control
    characters other than tab and line breaks, lone surrogates, bidirectional controls),
    and nesting deeper than any manifest needs."""
    stack: list[tuple[Any, str, int]] = [(document, "", 0)]
    while stack:
        value, where, depth = stack.pop()
        if depth > _DEPTH:
            raise ArchiveError(f"{origin}: {MANIFEST} nests deeper than {_DEPTH} levels")
        if isinstance(value, dict):
            for key, item in value.items():
                _check_text(origin, key, f"a key in {where or 'the top level'}")
                stack.append((item, f"{where}.{key}" if where else key, depth + 1))
        elif isinstance(value, list):
            stack += [(item, f"{where}[{i}]", depth + 1) for i, item in enumerate(value)]
        elif isinstance(value, str):
            _check_text(origin, value, where)


def _check_text(origin: str, text: str, where: str) -> None:
    bad = hidden_character(text)
    if bad is not None:
        place = where if len(where) <= 120 else where[:120] + "…"
        raise ArchiveError(f"{origin}: {MANIFEST}: {place} {shown(text, 40)} holds a control "
                           f"character (U+{ord(bad):04X})")


def parse_manifest(origin: str, data: bytes, members: Collection[str]) -> dict[str, Any]:
    """The manifest of the export at ``origin``, every key and value checked, and every file
    it names present among ``members``; ArchiveError naming the key otherwise."""
    try:
        document = json.loads(data.decode("utf-8"), parse_constant=_refuse_constant,
                              parse_float=_finite)
    except UnicodeDecodeError as err:
        raise ArchiveError(f"{origin}: {MANIFEST} is not UTF-8 text ({err.reason})") from None
    except ValueError as err:
        raise ArchiveError(f"{origin}: {MANIFEST} is not valid JSON ({err})") from None
    except RecursionError:
        raise ArchiveError(f"{origin}: {MANIFEST} nests deeper than {_DEPTH} levels") from None
    _check_strings(origin, document)
    top = _Part(origin, "", document)
    if top.get("format", "text") != FORMAT:
        raise top.fail("format", f"is {shown(document['format'])}, expected {FORMAT!r}")
    version = top.get("version", "whole number")
    if version > FORMAT_VERSION:
        raise top.fail("version", f"is {version}, newer than this Outboard reads "
                       f"({FORMAT_VERSION}); update Outboard")
    if version != FORMAT_VERSION:
        raise top.fail("version", f"is {version}, expected {FORMAT_VERSION}")
    top.time("exported")
    session = top.part("session")
    session.name("title", "session")
    session.text("artist", "artist", limit=200)
    session.text("notes", "session notes")
    session.time("created")
    studios = _studios(top.parts("studios"))
    titles: set[str] = set()
    for song in top.parts("songs"):
        title = song.name("title", "song")
        if title in titles:
            raise song.fail("title", f"'{title}' is a second song of that name")
        titles.add(str(title))
        _song(song, studios, members)
    return dict(document)


def _studios(parts: list[_Part]) -> set[str]:
    keys: set[str] = set()
    for studio in parts:
        key = str(studio.sha256("fingerprint"))
        name = studio.get("name", "text")
        document = studio.get("document", "object")
        if name != document.get("name"):
            raise studio.fail("name", f"{shown(name)} is not the name in the studio's "
                              "document")
        try:
            actual = fingerprint(studio_from_dict(document, f"{studio.where}.document"))
        except LibraryError as err:
            raise studio.fail("document", f"is refused: {err.message}") from None
        if actual != key:
            raise studio.fail("fingerprint", "does not match the studio's document")
        keys.add(key)
    return keys


def _song(song: _Part, studios: set[str], members: Collection[str]) -> None:
    song.count("position")
    source = song.part("source")
    source.text("path", "source path", limit=4096, trimmed=False, null=True)
    source.sha256("sha256", null=True)
    source.count("rate", null=True)
    source.count("channels", null=True)
    for i, target in enumerate(song.get("targets", "list")):
        if not isinstance(target, str):
            raise song.fail(f"targets[{i}]", f"is {_kind(target)}, expected text")
        try:
            check_name("delivery target", target)
        except LibraryError as err:
            raise song.fail(f"targets[{i}]", f"is refused: {err.message}") from None
    song.time("created")
    numbers: set[int] = set()
    for revision in song.parts("revisions"):
        number = int(revision.count("number") or 0)
        if number in numbers:
            raise revision.fail("number", f"{number} appears twice")
        parent = revision.count("parent", null=True)
        if parent is not None and parent not in numbers:
            raise revision.fail("parent", f"is {parent}, not an earlier revision of the song")
        numbers.add(number)
        _revision(revision, studios, members)
    for note in song.parts("notes"):
        for key in ("revision", "addressed_in"):
            value = note.count(key, null=True)
            if value is not None and value not in numbers:
                raise note.fail(key, f"is {value}, not a revision of the song")
        at = note.get("at_seconds", "number", null=True)
        if at is not None and at < 0:
            raise note.fail("at_seconds", f"is {at}, before the start of the song")
        note.choice("kind", NOTE_KINDS)
        note.choice("author", AUTHORS)
        if not note.text("body", "note"):
            raise note.fail("body", "is empty")
        status = note.choice("status", NOTE_STATUSES)
        if status != "addressed" and note.data["addressed_in"] is not None:
            raise note.fail("addressed_in", f"is set, but the note is {status}")
        note.time("created")


def _revision(revision: _Part, studios: set[str], members: Collection[str]) -> None:
    revision.choice("status", STATUSES)
    studio = revision.sha256("studio", null=True)
    if studio is not None and studio not in studios:
        raise revision.fail("studio", f"{studio[:12]}… is not among the export's studios")
    revision.get("routing", "object or list")
    revision.get("calibration", "object or list")
    revision.time("created")
    units: set[str] = set()
    for unit in revision.parts("chain"):
        name = str(unit.name("unit", "unit"))
        if name in units:
            raise unit.fail("unit", f"'{name}' sits in the chain twice")
        units.add(name)
        unit.name("profile", "profile")
        unit.get("bypassed", "true or false")
        _settings(unit, name)
    takes: set[int] = set()
    for take in revision.parts("prints"):
        number = int(take.count("take") or 0)
        if number in takes:
            raise take.fail("take", f"{number} appears twice")
        takes.add(number)
        _file(take, "prints/", members)
        take.sha256("sha256", null=True)
        take.choice("state", PRINT_STATES)
        take.get("metadata", "object")
        take.time("created")
        # Written by libraries since the ledger kept them; older archives lack them.
        for key, kind in (("latency_samples", "number"), ("offset_samples", "number"),
                          ("finished", "text")):
            if key in take.data:
                take.get(key, kind, null=True)
        if "finished" in take.data and take.data["finished"] is not None:
            take.time("finished")
        if "xruns" in take.data and take.get("xruns", "whole number") < 0:
            raise take.fail("xruns", f"is {take.data['xruns']}, expected 0 or more")
    for attachment in revision.parts("attachments"):
        attachment.name("unit", "unit", null=True)
        attachment.name("name", "attachment")
        _file(attachment, "files/", members)
        attachment.sha256("sha256")
        if not _MEDIA_TYPE.fullmatch(attachment.get("media_type", "text")):
            raise attachment.fail("media_type", f"{shown(attachment.data['media_type'])} is "
                                  "not a media type such as image/jpeg")
        attachment.text("caption", "caption", limit=2_000)
        attachment.time("created")


def _settings(unit: _Part, name: str) -> None:
    definitions = unit.get("definitions", "object")
    for parameter, definition in definitions.items():
        try:
            check_name("parameter", parameter)
        except LibraryError as err:
            raise unit.fail("definitions", f"is refused: {err.message}") from None
        if not isinstance(definition, dict):
            raise unit.fail(f"definitions.{parameter}", f"is {_kind(definition)}, expected "
                            "an object")
    for parameter, value in unit.get("settings", "object").items():
        if parameter not in definitions:
            raise unit.fail(f"settings.{parameter}", "has no definition in the unit's "
                            "frozen definitions")
        try:
            kept = check_value(name, parameter, definitions[parameter], value)
        except LibraryError as err:
            raise unit.fail(f"settings.{parameter}", f"is refused: {err.message}") from None
        except (KeyError, TypeError, ValueError, OverflowError) as err:
            raise unit.fail(f"definitions.{parameter}", "cannot check a value "
                            f"({shown(repr(err))})") from None
        if kept != value:
            # A library keeps a value on its detent or inside its range exactly; an import
            # that moved it would not hold what the archive says.
            raise unit.fail(f"settings.{parameter}", f"is {value!r}, not exactly a value the "
                            f"control takes (the nearest is {kept!r})")


def _file(part: _Part, prefix: str, members: Collection[str]) -> None:
    file = part.get("file", "text", null=True)
    if file is None:
        return
    check_member_name(part.origin, file)
    if not file.startswith(prefix) or file.endswith("/"):
        raise part.fail("file", f"{shown(file)} is not a file under {prefix}")
    if file not in members:
        raise part.fail("file", f"{shown(file)} is not in the export")
