"""The library's operations: sessions, songs, revisions and their chains (notes and
attachments come from their own modules)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from .attachments import AttachmentsMixin
from .attempts import AttemptsMixin
from .errors import FrozenRevision, LibraryError, NotFound
from .notes import NotesMixin
from .records import (
    STATUSES,
    ChainUnit,
    Revision,
    Session,
    Song,
    check_name,
    check_text,
    check_value,
    now,
)
from .schema import CHAIN_UNITS, definition_set
from .store import Store
from .studio import Studio, fingerprint, studio_dict
from .takes import TakesMixin


class Library(NotesMixin, AttachmentsMixin, AttemptsMixin, TakesMixin):
    """Everything kept about sessions, songs and revisions, in one library file."""

    def __init__(self, path: Path | str, *, create: bool = True) -> None:
        if not create and not Path(path).exists():
            raise NotFound(f"{path}: no library there (check --library or $OUTBOARD_LIBRARY; "
                           "'outboard session new' starts one)")
        self.store = Store(path)
        self.path = self.store.path

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------ sessions and songs
    def new_session(self, title: str, *, artist: str = "", notes: str = "") -> Session:
        title = check_name("session", title)
        artist, notes = check_text("artist", artist, limit=200), check_text("session notes", notes)
        with self.store.write() as db:
            if db.execute("SELECT 1 FROM session WHERE title = ?", (title,)).fetchone():
                raise LibraryError(f"a session called '{title}' already exists")
            cursor = db.execute(
                "INSERT INTO session (title, artist, notes, created) VALUES (?, ?, ?, ?)",
                (title, artist, notes, now()))
        return Session(int(cursor.lastrowid), title, artist, notes)  # type: ignore[arg-type]

    def sessions(self) -> list[Session]:
        rows = self.store.db.execute("SELECT * FROM session ORDER BY title").fetchall()
        return [Session(r["id"], r["title"], r["artist"], r["notes"]) for r in rows]

    def session(self, name: str | int) -> Session:
        """A session by id or title; NotFound listing the candidates."""
        db = self.store.db
        if isinstance(name, int) or str(name).isdigit():
            row = db.execute("SELECT * FROM session WHERE id = ?", (int(name),)).fetchone()
        else:
            row = db.execute("SELECT * FROM session WHERE title = ?", (name,)).fetchone()
        if row is None:
            titles = ", ".join(s.title for s in self.sessions()) or "none yet"
            raise NotFound(f"no session '{name}' (sessions: {titles})")
        return Session(row["id"], row["title"], row["artist"], row["notes"])

    def add_song(self, session: str | int, title: str, *, position: int | None = None,
                 source: dict[str, Any] | None = None,
                 targets: tuple[str, ...] = ()) -> Song:
        owner = self.session(session)
        title = check_name("song", title)
        source = source or {}
        with self.store.write() as db:
            if db.execute("SELECT 1 FROM song WHERE session_id = ? AND title = ?",
                          (owner.id, title)).fetchone():
                raise LibraryError(f"'{owner.title}' already has a song called '{title}'")
            if position is None:
                last = db.execute("SELECT MAX(position) FROM song WHERE session_id = ?",
                                  (owner.id,)).fetchone()[0]
                position = (last or 0) + 1
            if position < 1:
                raise LibraryError(f"track position {position}: positions start at 1")
            db.execute(
                "INSERT INTO song (session_id, title, position, source_path, source_sha256,"
                " source_rate, source_channels, targets, created)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (owner.id, title, position, source.get("path"), source.get("sha256"),
                 source.get("rate"), source.get("channels"), json.dumps(list(targets)),
                 now()))
        return self.song(f"{owner.title}/{title}")

    def set_song(self, song: str | int, *, source: dict[str, Any] | None = None,
                 targets: tuple[str, ...] | None = None) -> Song:
        """Change a song's source mix (path, sha256, rate, channels) or delivery targets."""
        owner = self.song(song)
        with self.store.write() as db:
            if source is not None:
                db.execute("UPDATE song SET source_path = ?, source_sha256 = ?, source_rate = ?,"
                           " source_channels = ? WHERE id = ?",
                           (source.get("path"), source.get("sha256"), source.get("rate"),
                            source.get("channels"), owner.id))
            if targets is not None:
                db.execute("UPDATE song SET targets = ? WHERE id = ?",
                           (json.dumps(list(dict.fromkeys(targets))), owner.id))
        return self.song(owner.id)

    def songs(self, session: str | int) -> list[Song]:
        owner = self.session(session)
        rows = self.store.db.execute(
            "SELECT song.*, session.title AS session_title FROM song JOIN session"
            " ON session.id = song.session_id WHERE session_id = ? ORDER BY position, title",
            (owner.id,)).fetchall()
        return [_song(r) for r in rows]

    def session_overview(self, session: str | int) -> list[tuple[Song, int | None, str | None]]:
        """A session's songs in track order, each with its latest revision's number and status
        (None for a song with no revision yet), in one query."""
        owner = self.session(session)
        rows = self.store.db.execute(
            "SELECT song.*, session.title AS session_title, r.number AS latest,"
            " r.status AS latest_status FROM song JOIN session ON session.id = song.session_id"
            " LEFT JOIN revision r ON r.song_id = song.id AND r.number ="
            " (SELECT MAX(number) FROM revision WHERE song_id = song.id)"
            " WHERE song.session_id = ? ORDER BY song.position, song.title",
            (owner.id,)).fetchall()
        return [(_song(r), r["latest"], r["latest_status"]) for r in rows]

    def song(self, name: str | int) -> Song:
        """A song by id, by "Session/Song", or by title alone when only one song has it."""
        db = self.store.db
        base = ("SELECT song.*, session.title AS session_title FROM song JOIN session"
                " ON session.id = song.session_id ")
        if isinstance(name, int) or str(name).isdigit():
            rows = db.execute(base + "WHERE song.id = ?", (int(name),)).fetchall()
        elif "/" in str(name):
            session_title, _, title = str(name).partition("/")
            rows = db.execute(base + "WHERE session.title = ? AND song.title = ?",
                              (session_title, title)).fetchall()
        else:
            rows = db.execute(base + "WHERE song.title = ?", (name,)).fetchall()
        if len(rows) == 1:
            return _song(rows[0])
        if rows:
            candidates = ", ".join(f"{r['session_title']}/{r['title']}" for r in rows)
            raise NotFound(f"song '{name}' is ambiguous: {candidates}; name it Session/Song")
        raise NotFound(f"no song '{name}' (name it Session/Song, or by id)")

    # ------------------------------------------------------------ revisions
    def new_revision(self, song: str | int, *, parent: int | None = None,
                     studio: Studio | None = None) -> Revision:
        """A new draft revision, starting from ``parent`` (default: the latest) if any.

        With ``studio``, the revision records that studio and its routing and calibration;
        without, it keeps its parent's."""
        owner = self.song(song)
        with self.store.write() as db:
            last = db.execute("SELECT MAX(number) FROM revision WHERE song_id = ?",
                              (owner.id,)).fetchone()[0] or 0
            source = None
            if parent is not None or last:
                source = self._revision_row(db, owner.id, parent or last)
            cursor = db.execute(
                "INSERT INTO revision (song_id, number, parent_id, status, studio_id, routing,"
                " calibration, created) VALUES (?, ?, ?, 'draft', ?, ?, ?, ?)",
                (owner.id, last + 1, source["id"] if source is not None else None,
                 source["studio_id"] if source is not None else None,
                 source["routing"] if source is not None else "{}",
                 source["calibration"] if source is not None else "{}", now()))
            if studio is not None:
                self._record_studio(db, int(cursor.lastrowid), studio)  # type: ignore[arg-type]
            if source is not None:
                self._copy_chain(db, source["id"], int(cursor.lastrowid))  # type: ignore[arg-type]
        return self.revision(owner.id, last + 1)

    def _copy_chain(self, db: sqlite3.Connection, source: int, target: int) -> None:
        for unit in db.execute("SELECT * FROM chain_unit WHERE revision_id = ? ORDER BY position",
                               (source,)).fetchall():
            cursor = db.execute(
                "INSERT INTO chain_unit (revision_id, position, unit, profile, bypassed,"
                " definition_set_id) VALUES (?, ?, ?, ?, ?, ?)",
                (target, unit["position"], unit["unit"], unit["profile"], unit["bypassed"],
                 unit["definition_set_id"]))
            db.execute("INSERT INTO setting (chain_unit_id, parameter, value)"
                       " SELECT ?, parameter, value FROM setting WHERE chain_unit_id = ?",
                       (cursor.lastrowid, unit["id"]))

    def record_studio(self, song: str | int, number: int, studio: Studio) -> Revision:
        """Say that a draft revision is made in ``studio``, with its routing and calibration."""
        owner = self.song(song)
        with self.store.write() as db:
            row = self._editable(db, owner, number)
            self._record_studio(db, row["id"], studio)
        return self.revision(owner.id, number)

    def _record_studio(self, db: sqlite3.Connection, revision_id: int, studio: Studio) -> None:
        document = studio_dict(studio)
        key = fingerprint(studio)
        row = db.execute("SELECT id FROM studio WHERE fingerprint = ?", (key,)).fetchone()
        if row is not None:
            studio_id = int(row["id"])
        else:
            studio_id = int(db.execute(  # type: ignore[arg-type]
                "INSERT INTO studio (name, fingerprint, document, created) VALUES (?, ?, ?, ?)",
                (studio.name, key, json.dumps(document, sort_keys=True), now())).lastrowid)
        routing = {"interface": document["interface"], "loops": document["loops"],
                   "units": document["units"]}
        db.execute("UPDATE revision SET studio_id = ?, routing = ?, calibration = ? WHERE id = ?",
                   (studio_id, json.dumps(routing), json.dumps(document["calibration"]),
                    revision_id))

    def studio_document(self, key: str) -> dict[str, Any]:
        """The studio a revision was made in, as recorded then (by fingerprint)."""
        row = self.store.db.execute("SELECT document FROM studio WHERE fingerprint = ?",
                                    (key,)).fetchone()
        if row is None:
            raise NotFound(f"no studio with fingerprint {key[:12]}")
        return dict(json.loads(row["document"]))

    def _revision_row(self, db: sqlite3.Connection, song_id: int, number: int) -> sqlite3.Row:
        row = db.execute("SELECT * FROM revision WHERE song_id = ? AND number = ?",
                         (song_id, number)).fetchone()
        if row is None:
            numbers = [r[0] for r in db.execute(
                "SELECT number FROM revision WHERE song_id = ? ORDER BY number", (song_id,))]
            name = db.execute("SELECT session.title || '/' || song.title FROM song JOIN session"
                              " ON session.id = song.session_id WHERE song.id = ?",
                              (song_id,)).fetchone()
            raise NotFound(f"{name[0] if name else 'the song'} has no revision {number} "
                           f"(revisions: {', '.join(map(str, numbers)) or 'none yet'})")
        return row

    def revisions(self, song: str | int) -> list[Revision]:
        owner = self.song(song)
        numbers = [r[0] for r in self.store.db.execute(
            "SELECT number FROM revision WHERE song_id = ? ORDER BY number", (owner.id,))]
        return [self.revision(owner.id, n) for n in numbers]

    def revision(self, song: str | int, number: int | None = None) -> Revision:
        """A revision by number (default: the latest), with its whole chain."""
        owner = self.song(song)
        with self.store.read() as db:
            if number is None:
                number = db.execute("SELECT MAX(number) FROM revision WHERE song_id = ?",
                                    (owner.id,)).fetchone()[0]
                if number is None:
                    raise NotFound(f"{owner.name} has no revision yet")
            row = self._revision_row(db, owner.id, number)
            parent = db.execute("SELECT number FROM revision WHERE id = ?",
                                (row["parent_id"],)).fetchone() if row["parent_id"] else None
            studio = db.execute("SELECT fingerprint FROM studio WHERE id = ?",
                                (row["studio_id"],)).fetchone() if row["studio_id"] else None
            frozen = db.execute("SELECT 1 FROM print WHERE revision_id = ?",
                                (row["id"],)).fetchone() is not None
            chain = []
            for unit in db.execute(CHAIN_UNITS, (row["id"],)).fetchall():
                stored = {s["parameter"]: s["value"] for s in db.execute(
                    "SELECT parameter, value FROM setting WHERE chain_unit_id = ?",
                    (unit["id"],))}
                defined = json.loads(unit["definitions"])
                # In front-panel order, as the profile lists them.
                settings = {p: stored[p] for p in defined if p in stored}
                chain.append(ChainUnit(unit["unit"], unit["profile"], bool(unit["bypassed"]),
                                       settings, defined))
        return Revision(
            id=row["id"], song_id=owner.id, number=row["number"],
            parent_number=parent[0] if parent else None, status=row["status"],
            chain=tuple(chain), studio_fingerprint=studio[0] if studio else None,
            routing=json.loads(row["routing"]), calibration=json.loads(row["calibration"]),
            frozen=frozen, created=row["created"])

    def _editable(self, db: sqlite3.Connection, song: Song, number: int) -> sqlite3.Row:
        row = self._revision_row(db, song.id, number)
        if db.execute("SELECT 1 FROM print WHERE revision_id = ?", (row["id"],)).fetchone():
            raise FrozenRevision(f"{song.name} revision {number} has been printed and is "
                                 "frozen; start a new revision from it to make changes")
        return row

    def add_unit(self, song: str | int, number: int, unit: str, *, profile: str,
                 definitions: dict[str, Any], settings: dict[str, float] | None = None,
                 position: int | None = None) -> Revision:
        """Put ``unit`` in the chain, with its parameter definitions frozen alongside."""
        owner = self.song(song)
        unit = check_name("unit", unit)
        with self.store.write() as db:
            row = self._editable(db, owner, number)
            units = db.execute("SELECT unit, position FROM chain_unit WHERE revision_id = ?"
                               " ORDER BY position", (row["id"],)).fetchall()
            if any(u["unit"] == unit for u in units):
                raise LibraryError(f"'{unit}' is already in revision {number}'s chain; one "
                                   "physical unit can sit in a chain only once")
            names = [u["unit"] for u in units]
            position = len(names) if position is None else min(max(position - 1, 0), len(names))
            names.insert(position, unit)
            values = {p: d.get("default", 0.0) for p, d in definitions.items()}
            values.update(settings or {})
            checked = {p: check_value(unit, p, self._definition(definitions, unit, p), v)
                       for p, v in values.items()}
            cursor = db.execute(
                "INSERT INTO chain_unit (revision_id, position, unit, profile,"
                " definition_set_id) VALUES (?, ?, ?, ?, ?)",
                (row["id"], -1, unit, profile, definition_set(db, definitions)))
            db.executemany("INSERT INTO setting (chain_unit_id, parameter, value) VALUES (?, ?, ?)",
                           [(cursor.lastrowid, p, v) for p, v in checked.items()])
            self._renumber(db, row["id"], names)
        return self.revision(owner.id, number)

    @staticmethod
    def _definition(definitions: dict[str, Any], unit: str, parameter: str) -> dict[str, Any]:
        if parameter not in definitions:
            known = ", ".join(sorted(definitions)) or "none"
            raise NotFound(f"{unit} has no parameter '{parameter}' (it has: {known})")
        return definitions[parameter]

    def _renumber(self, db: sqlite3.Connection, revision_id: int, names: list[str]) -> None:
        # Two passes so the positions never collide mid-way.
        for i, name in enumerate(names):
            db.execute("UPDATE chain_unit SET position = ? WHERE revision_id = ? AND unit = ?",
                       (-(i + 1000), revision_id, name))
        for i, name in enumerate(names):
            db.execute("UPDATE chain_unit SET position = ? WHERE revision_id = ? AND unit = ?",
                       (i + 1, revision_id, name))

    def set_values(self, song: str | int, number: int, unit: str,
                   values: dict[str, float]) -> Revision:
        """Change settings of one unit; each checked against its frozen definition."""
        owner = self.song(song)
        with self.store.write() as db:
            row = self._editable(db, owner, number)
            chain_unit = self._chain_unit(db, row, unit)
            definitions = json.loads(chain_unit["definitions"])
            for parameter, value in values.items():
                checked = check_value(unit, parameter,
                                      self._definition(definitions, unit, parameter), value)
                db.execute("INSERT INTO setting (chain_unit_id, parameter, value) VALUES (?, ?, ?)"
                           " ON CONFLICT (chain_unit_id, parameter) DO UPDATE SET value = ?",
                           (chain_unit["id"], parameter, checked, checked))
        return self.revision(owner.id, number)

    def _chain_unit(self, db: sqlite3.Connection, revision: sqlite3.Row, unit: str) -> sqlite3.Row:
        row = db.execute("SELECT chain_unit.*, definition_set.document AS definitions"
                         " FROM chain_unit JOIN definition_set"
                         " ON definition_set.id = chain_unit.definition_set_id"
                         " WHERE revision_id = ? AND unit = ?", (revision["id"], unit)).fetchone()
        if row is None:
            names = ", ".join(r[0] for r in db.execute(
                "SELECT unit FROM chain_unit WHERE revision_id = ? ORDER BY position",
                (revision["id"],))) or "none"
            raise NotFound(f"revision {revision['number']} has no unit '{unit}' (chain: {names})")
        return row

    def set_bypass(self, song: str | int, number: int, unit: str, bypassed: bool) -> Revision:
        owner = self.song(song)
        with self.store.write() as db:
            row = self._editable(db, owner, number)
            self._chain_unit(db, row, unit)
            db.execute("UPDATE chain_unit SET bypassed = ? WHERE revision_id = ? AND unit = ?",
                       (int(bypassed), row["id"], unit))
        return self.revision(owner.id, number)

    def move_unit(self, song: str | int, number: int, unit: str, position: int) -> Revision:
        owner = self.song(song)
        with self.store.write() as db:
            row = self._editable(db, owner, number)
            self._chain_unit(db, row, unit)
            names = [r[0] for r in db.execute("SELECT unit FROM chain_unit WHERE revision_id = ?"
                                              " ORDER BY position", (row["id"],))]
            names.remove(unit)
            names.insert(min(max(position - 1, 0), len(names)), unit)
            self._renumber(db, row["id"], names)
        return self.revision(owner.id, number)

    def remove_unit(self, song: str | int, number: int, unit: str) -> Revision:
        owner = self.song(song)
        with self.store.write() as db:
            row = self._editable(db, owner, number)
            self._chain_unit(db, row, unit)
            db.execute("DELETE FROM chain_unit WHERE revision_id = ? AND unit = ?",
                       (row["id"], unit))
            names = [r[0] for r in db.execute("SELECT unit FROM chain_unit WHERE revision_id = ?"
                                              " ORDER BY position", (row["id"],))]
            self._renumber(db, row["id"], names)
        return self.revision(owner.id, number)

    def set_status(self, song: str | int, number: int, status: str) -> Revision:
        if status not in STATUSES:
            raise LibraryError(f"status '{status}' is not one of {', '.join(STATUSES)}")
        owner = self.song(song)
        with self.store.write() as db:
            row = self._revision_row(db, owner.id, number)
            db.execute("UPDATE revision SET status = ? WHERE id = ?", (status, row["id"]))
        return self.revision(owner.id, number)

    def record_print(self, song: str | int, number: int, *, path: str, sha256: str,
                     state: str = "complete", metadata: dict[str, Any] | None = None) -> int:
        """Enter a print in the take ledger; the revision is frozen from then on."""
        owner = self.song(song)
        with self.store.write() as db:
            row = self._revision_row(db, owner.id, number)
            take = (db.execute("SELECT MAX(take) FROM print WHERE revision_id = ?",
                               (row["id"],)).fetchone()[0] or 0) + 1
            db.execute("INSERT INTO print (revision_id, take, path, sha256, state, metadata,"
                       " created) VALUES (?, ?, ?, ?, ?, ?, ?)",
                       (row["id"], take, path, sha256, state, json.dumps(metadata or {}), now()))
            if row["status"] == "draft":
                db.execute("UPDATE revision SET status = 'printed' WHERE id = ?", (row["id"],))
        return take

def _song(row: sqlite3.Row) -> Song:
    return Song(row["id"], row["session_id"], row["session_title"], row["title"],
                row["position"], row["source_path"], row["source_sha256"], row["source_rate"],
                row["source_channels"], tuple(json.loads(row["targets"])))
