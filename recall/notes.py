"""The conversation around a song: reactions, technical flags and requests, followed until
they are addressed in a revision or declined."""

from __future__ import annotations

import math
import sqlite3
from typing import TYPE_CHECKING

from .errors import LibraryError, NotFound
from .records import (
    AUTHORS,
    LARGEST_INTEGER,
    NOTE_KINDS,
    NOTE_STATUSES,
    Note,
    check_text,
    now,
    shown,
)

if TYPE_CHECKING:
    from .library import Library


class NotesMixin:
    """The library's notes; mixed into :class:`recall.library.Library`."""

    def add_note(self: Library, song: str | int, body: str, *, kind: str, author: str,
                 revision: int | None = None, at_seconds: float | None = None) -> Note:
        if kind not in NOTE_KINDS:
            raise LibraryError(f"note kind {shown(kind)} is not one of {', '.join(NOTE_KINDS)}")
        if author not in AUTHORS:
            raise LibraryError(f"author {shown(author)} is not one of {', '.join(AUTHORS)}")
        body = check_text("note", body)
        if not body:
            raise LibraryError("a note needs some text")
        if at_seconds is not None and not math.isfinite(at_seconds):
            raise LibraryError(f"time {at_seconds} is not a moment in the song")
        if at_seconds is not None and at_seconds < 0:
            raise LibraryError(f"time {at_seconds} is before the start of the song")
        owner = self.song(song)
        with self.store.write() as db:
            revision_id = (self._revision_row(db, owner.id, revision)["id"]
                           if revision is not None else None)
            cursor = db.execute(
                "INSERT INTO note (song_id, revision_id, at_seconds, kind, author, body, status,"
                " created) VALUES (?, ?, ?, ?, ?, ?, 'open', ?)",
                (owner.id, revision_id, at_seconds, kind, author, body.strip(), now()))
        return self.note(int(cursor.lastrowid))  # type: ignore[arg-type]

    def note(self: Library, note_id: int) -> Note:
        if not 0 <= note_id <= LARGEST_INTEGER:
            raise NotFound(f"no note {note_id}")
        row = self.store.db.execute(
            "SELECT note.*, r.number AS revision_number, a.number AS addressed_number"
            " FROM note LEFT JOIN revision r ON r.id = note.revision_id"
            " LEFT JOIN revision a ON a.id = note.addressed_in WHERE note.id = ?",
            (note_id,)).fetchone()
        if row is None:
            raise NotFound(f"no note {note_id}")
        return _note(row)

    def notes(self: Library, song: str | int, *, status: str | None = None) -> list[Note]:
        owner = self.song(song)
        if status is not None and status not in NOTE_STATUSES:
            raise LibraryError(f"status {shown(status)} is not one of "
                               f"{', '.join(NOTE_STATUSES)}")
        rows = self.store.db.execute(
            "SELECT note.*, r.number AS revision_number, a.number AS addressed_number"
            " FROM note LEFT JOIN revision r ON r.id = note.revision_id"
            " LEFT JOIN revision a ON a.id = note.addressed_in WHERE note.song_id = ?"
            + (" AND note.status = ?" if status else "")
            + " ORDER BY COALESCE(note.at_seconds, 1e12), note.id",
            (owner.id, status) if status else (owner.id,)).fetchall()
        return [_note(r) for r in rows]

    def resolve_note(self: Library, note_id: int, *, addressed_in: int | None = None,
                     declined: bool = False) -> Note:
        """Mark a note addressed in revision N, or declined."""
        note = self.note(note_id)
        if declined == (addressed_in is not None):
            raise LibraryError("say either which revision addressed the note, or that it "
                               "was declined")
        with self.store.write() as db:
            revision_id = (self._revision_row(db, note.song_id, addressed_in)["id"]
                           if addressed_in is not None else None)
            db.execute("UPDATE note SET status = ?, addressed_in = ? WHERE id = ?",
                       ("declined" if declined else "addressed", revision_id, note_id))
        return self.note(note_id)


def _note(row: sqlite3.Row) -> Note:
    return Note(row["id"], row["song_id"], row["revision_number"], row["at_seconds"],
                row["kind"], row["author"], row["body"], row["status"],
                row["addressed_number"], row["created"])
