"""Recall sheets as values: everything a printed sheet shows about one revision of a song, or
about every song of a session, gathered from the library; and the sheet's versioned JSON form."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from .diff import SAME, ParameterChange, RevisionDiff, UnitChange, diff_dict, diff_revisions
from .errors import NotFound
from .library import Library
from .records import Attachment, ChainUnit, Note, Revision, Session, Song, display_value

FORMAT = "outboard-sheet"
VERSION = 1


@dataclass(frozen=True, slots=True)
class Control:
    """One control as its front panel shows it, and its change since the parent revision.

    ``detent_position`` is 1-based and counts the clicks of a stepped control from its first
    detent; it and ``detent_count`` are None for other kinds of control."""

    parameter: str
    name: str
    section: str
    kind: str
    value: float
    unit_label: str
    display: str
    detent_position: int | None
    detent_count: int | None
    change: ParameterChange | None = None

    @property
    def changed(self) -> bool:
        return self.change is not None

    @property
    def previous(self) -> str:
        """The value the parent revision had, as its panel showed it: "" when unchanged,
        "—" for a control the parent did not have."""
        return self.change.old_text if self.change is not None else ""

    @property
    def detent(self) -> str:
        """Where a stepped control's knob sits, for counting clicks: "position 3 of 7"."""
        if self.detent_position is None:
            return ""
        return f"position {self.detent_position} of {self.detent_count}"


@dataclass(frozen=True, slots=True)
class Section:
    """A front-panel section of a unit and its controls, in panel order."""

    name: str
    controls: tuple[Control, ...]


@dataclass(frozen=True, slots=True)
class Photo:
    """An attachment of the revision, or of one unit; ``present`` says whether its file is
    on disk at ``file`` (the library's copy)."""

    name: str
    caption: str
    sha256: str
    media_type: str
    unit: str | None
    path: str
    file: str
    present: bool

    @property
    def words(self) -> str:
        """Name, caption and checksum on one line, and "missing" if the file is gone."""
        caption = f" — {self.caption}" if self.caption else ""
        return (f"{self.name}{caption} (sha256 {self.sha256})"
                + ("" if self.present else " — missing"))


@dataclass(frozen=True, slots=True)
class SheetUnit:
    """One unit of the chain at its signal-order ``position`` (1-based).

    ``patch`` is the studio's entry for the unit (loop, slot, address) when the revision's
    routing names it; ``changes`` are its chain changes since the parent revision."""

    position: int
    unit: str
    profile: str
    bypassed: bool
    sections: tuple[Section, ...]
    settings: dict[str, float]
    definitions: dict[str, Any]
    patch: dict[str, Any] = field(default_factory=dict)
    changes: tuple[UnitChange, ...] = ()
    photos: tuple[Photo, ...] = ()

    @property
    def controls(self) -> tuple[Control, ...]:
        return tuple(c for s in self.sections for c in s.controls)


@dataclass(frozen=True, slots=True)
class StudioRef:
    """The studio a revision was made in, as the library recorded it."""

    name: str
    fingerprint: str

    @property
    def short(self) -> str:
        return self.fingerprint[:12]


@dataclass(frozen=True, slots=True)
class SongSheet:
    """The recall sheet of one revision of a song.

    ``diff`` compares the revision with its parent (None for a first revision);
    ``photos`` are the revision's own attachments (and any of a unit no longer in the chain);
    ``notes`` is the song's whole thread."""

    session: Session
    song: Song
    revision: Revision
    studio: StudioRef | None
    chain: tuple[SheetUnit, ...]
    diff: RevisionDiff | None
    photos: tuple[Photo, ...]
    notes: tuple[Note, ...]

    @property
    def removed(self) -> tuple[UnitChange, ...]:
        """Units of the parent revision that are no longer in the chain."""
        return tuple(c for c in self.diff.units if c.change == "removed") if self.diff else ()


@dataclass(frozen=True, slots=True)
class SessionSheet:
    """The recall sheets of every song of a session, in track order, each at its latest
    revision; ``without_revision`` are the songs that have none yet."""

    session: Session
    songs: tuple[SongSheet, ...]
    without_revision: tuple[Song, ...] = ()


Sheet = SongSheet | SessionSheet


# ---------------------------------------------------------------------------- gathering


def song_sheet(library: Library, song: str | int, number: int | None = None) -> SongSheet:
    """The sheet of revision ``number`` of ``song`` (default: the latest).

    ``song`` is "Session/Song" or the song's id; NotFound names what is missing."""
    record = library.song(song)
    return _song_sheet(library, library.session(record.session_id), record,
                       library.revision(record.id, number))


def session_sheet(library: Library, session: str | int) -> SessionSheet:
    """The sheets of every song of ``session`` (title or id), each at its latest revision."""
    owner = library.session(session)
    sheets: list[SongSheet] = []
    waiting: list[Song] = []
    for song in library.songs(owner.id):
        try:
            latest = library.revision(song.id)
        except NotFound:
            waiting.append(song)
            continue
        sheets.append(_song_sheet(library, owner, song, latest))
    return SessionSheet(owner, tuple(sheets), tuple(waiting))


def _song_sheet(library: Library, session: Session, song: Song,
                revision: Revision) -> SongSheet:
    notes = library.notes(song.id)
    diff = None
    if revision.parent_number is not None:
        parent = library.revision(song.id, revision.parent_number)
        diff = diff_revisions(song.name, parent, revision, notes)
    photos = [_photo(library, a) for a in library.attachments(song.id, revision.number)]
    names = {u.unit for u in revision.chain}
    gear = revision.routing.get("units", []) if isinstance(revision.routing, dict) else []
    patches = {g.get("name"): g for g in gear if isinstance(g, dict)}
    chain = tuple(
        _unit(position, unit, diff, patches.get(unit.unit, {}),
              tuple(p for p in photos if p.unit == unit.unit))
        for position, unit in enumerate(revision.chain, start=1))
    return SongSheet(
        session=session, song=song, revision=revision, studio=_studio(library, revision),
        chain=chain, diff=diff, photos=tuple(p for p in photos if p.unit not in names),
        notes=tuple(notes))


def _studio(library: Library, revision: Revision) -> StudioRef | None:
    key = revision.studio_fingerprint
    if key is None:
        return None
    try:
        name = str(library.studio_document(key).get("name", ""))
    except NotFound:
        name = ""
    return StudioRef(name, key)


def _photo(library: Library, attachment: Attachment) -> Photo:
    file = library.attachment_file(attachment)
    return Photo(name=attachment.name, caption=attachment.caption, sha256=attachment.sha256,
                 media_type=attachment.media_type, unit=attachment.unit, path=attachment.path,
                 file=str(file), present=file.is_file())


def _unit(position: int, unit: ChainUnit, diff: RevisionDiff | None, patch: dict[str, Any],
          photos: tuple[Photo, ...]) -> SheetUnit:
    sections: dict[str, list[Control]] = {}
    for parameter, value in unit.settings.items():
        definition = unit.definitions.get(parameter, {})
        control = control_of(parameter, definition, value,
                             diff.changed(unit.unit, parameter) if diff else None)
        sections.setdefault(control.section, []).append(control)
    return SheetUnit(
        position=position, unit=unit.unit, profile=unit.profile, bypassed=unit.bypassed,
        sections=tuple(Section(name, tuple(controls)) for name, controls in sections.items()),
        settings=dict(unit.settings), definitions=unit.definitions, patch=dict(patch),
        changes=diff.unit_changes(unit.unit) if diff else (), photos=photos)


def control_of(parameter: str, definition: dict[str, Any], value: float,
               change: ParameterChange | None = None) -> Control:
    """A control from its frozen definition and stored value."""
    kind = str(definition.get("kind", ""))
    position = count = None
    if kind == "stepped":
        detents = definition.get("detents", [])
        count = len(detents)
        for index, detent in enumerate(detents, start=1):
            if abs(detent["value"] - value) <= SAME * max(1.0, abs(value)):
                position = index
                break
    return Control(
        parameter=parameter, name=str(definition.get("name", parameter)),
        section=str(definition.get("section", "")), kind=kind, value=value,
        unit_label=str(definition.get("unit", "")), display=display_value(definition, value),
        detent_position=position, detent_count=count, change=change)


def change_words(change: UnitChange, parent: int | None) -> str:
    """A unit's change since revision ``parent``, as the sheet says it."""
    return {
        "added": "new in this revision: set every control",
        "removed": f"taken out of the chain (was at position {change.old_position})",
        "moved": f"moved from position {change.old_position} to {change.new_position}",
        "bypassed": f"now bypassed (in circuit in revision {parent})",
        "unbypassed": f"back in circuit (bypassed in revision {parent})",
        "profile": f"profile changed from {change.old_profile}",
    }.get(change.change, change.change)


def note_status(note: Note) -> str:
    """"open", "addressed in rev N" or "declined"."""
    if note.status == "addressed":
        return f"addressed in rev {note.addressed_in}"
    return note.status


def plain(value: Any) -> str:
    """A recorded value in few characters: numbers as %g, lists joined, None as a dash."""
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list):
        return ", ".join(plain(v) for v in value)
    return str(value)


def routing_lines(routing: Any) -> list[str]:
    """The interface and insert loops in force, one line each ([] when not recorded)."""
    if not isinstance(routing, dict):
        return [plain(routing)] if routing else []
    lines = []
    interface = routing.get("interface")
    if isinstance(interface, dict) and interface:
        names = [str(interface[k]) for k in ("host_api", "device") if interface.get(k)]
        extra = [f"{interface['sample_rate']} Hz" if interface.get("sample_rate") else "",
                 f"{interface['buffer_frames']} frames" if interface.get("buffer_frames")
                 else ""]
        lines.append("Interface: " + ", ".join([" / ".join(names), *filter(None, extra)]))
    for loop in routing.get("loops") or []:
        if not isinstance(loop, dict):
            continue
        trims = [f"{label} trim {loop[key]:+g} dB" for key, label in
                 (("send_trim_db", "send"), ("return_trim_db", "return")) if loop.get(key)]
        lines.append(f"Loop {loop.get('name', '?')}: out {plain(loop.get('outputs'))} → "
                     f"in {plain(loop.get('inputs'))}" + "".join(f", {t}" for t in trims))
    for key, value in routing.items():
        if key not in ("interface", "loops", "units"):
            lines.append(f"{key}: {plain(value)}")
    return lines


def calibration_lines(calibration: Any) -> list[str]:
    """Converter channels with the same level, one line per direction and level."""
    if not isinstance(calibration, list):
        return [f"{k}: {plain(v)}" for k, v in calibration.items()] if calibration else []
    groups: dict[tuple[str, Any], list[str]] = {}
    for entry in calibration:
        if isinstance(entry, dict):
            key = (str(entry.get("direction", "")), entry.get("dbfs_at_plus4_dbu"))
            groups.setdefault(key, []).append(plain(entry.get("channel")))
    return [f"{direction or 'channel'} {', '.join(channels)}: {plain(level)} dBFS at +4 dBu"
            for (direction, level), channels in groups.items()]


# ---------------------------------------------------------------------------- JSON


def sheet_dict(sheet: Sheet) -> dict[str, Any]:
    """The sheet as JSON-ready data: ``{"format": "outboard-sheet", "version": 1, ...}``.

    A song sheet carries ``"kind": "song"`` and the song's document at the top level; a
    session sheet ``"kind": "session"`` and one such document per song under ``"songs"``."""
    head = {"format": FORMAT, "version": VERSION}
    if isinstance(sheet, SessionSheet):
        return {**head, "kind": "session", "session": _session_dict(sheet.session),
                "songs": [song_dict(s) for s in sheet.songs],
                "without_revision": [_song_dict(s) for s in sheet.without_revision]}
    return {**head, "kind": "song", **song_dict(sheet)}


def sheet_json(sheet: Sheet) -> str:
    return json.dumps(sheet_dict(sheet), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def song_dict(sheet: SongSheet) -> dict[str, Any]:
    """One song's sheet as JSON-ready data (without the format header)."""
    revision = sheet.revision
    return {
        "session": _session_dict(sheet.session),
        "song": _song_dict(sheet.song),
        "revision": {
            "number": revision.number, "parent": revision.parent_number,
            "status": revision.status, "frozen": revision.frozen, "created": revision.created,
            "studio": ({"name": sheet.studio.name, "fingerprint": sheet.studio.fingerprint}
                       if sheet.studio else None)},
        "changes": diff_dict(sheet.diff) if sheet.diff else None,
        "chain": [_unit_dict(u, revision.parent_number) for u in sheet.chain],
        "routing": revision.routing,
        "calibration": revision.calibration,
        "photos": [_photo_dict(p) for p in sheet.photos],
        "notes": [_note_dict(n) for n in sheet.notes],
    }


def _session_dict(session: Session) -> dict[str, Any]:
    return {"id": session.id, "title": session.title, "artist": session.artist,
            "notes": session.notes}


def _song_dict(song: Song) -> dict[str, Any]:
    return {"id": song.id, "title": song.title, "name": song.name, "position": song.position,
            "source": {"path": song.source_path, "sha256": song.source_sha256,
                       "rate": song.source_rate, "channels": song.source_channels},
            "targets": list(song.targets)}


def _unit_dict(unit: SheetUnit, parent: int | None) -> dict[str, Any]:
    return {
        "position": unit.position, "unit": unit.unit, "profile": unit.profile,
        "bypassed": unit.bypassed, "patch": unit.patch,
        "changes": [{"change": c.change, "old_position": c.old_position,
                     "new_position": c.new_position, "old_profile": c.old_profile,
                     "text": change_words(c, parent)} for c in unit.changes],
        "settings": unit.settings,
        "sections": [{"name": s.name, "controls": [_control_dict(c) for c in s.controls]}
                     for s in unit.sections],
        "photos": [_photo_dict(p) for p in unit.photos],
        "definitions": unit.definitions,
    }


def _control_dict(control: Control) -> dict[str, Any]:
    change = control.change
    return {"parameter": control.parameter, "name": control.name, "kind": control.kind,
            "value": control.value, "unit": control.unit_label, "display": control.display,
            "detent_position": control.detent_position, "detent_count": control.detent_count,
            "changed": change is not None,
            "previous": change.old if change else None,
            "previous_display": change.old_text if change else None,
            "delta": change.delta if change else None}


def _photo_dict(photo: Photo) -> dict[str, Any]:
    return {"name": photo.name, "caption": photo.caption, "sha256": photo.sha256,
            "media_type": photo.media_type, "unit": photo.unit, "path": photo.path,
            "present": photo.present}


def _note_dict(note: Note) -> dict[str, Any]:
    return {"id": note.id, "revision": note.revision_number, "at_seconds": note.at_seconds,
            "kind": note.kind, "author": note.author, "body": note.body,
            "status": note.status, "addressed_in": note.addressed_in,
            "status_text": note_status(note), "created": note.created}
