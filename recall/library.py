"""The library's operations: sessions, songs, revisions and their chains (notes and
attachments come from their own modules)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from .attachments import AttachmentsMixin
from .attempts import AttemptsMixin
from .chain_edit import ChainMixin
from .errors import LibraryError, NotFound
from .notes import NotesMixin
from .records import (
    LARGEST_INTEGER,
    STATUSES,
    ChainUnit,
    Revision,
    RevisionSummary,
    Session,
    SessionSummary,
    Song,
    check_name,
    check_text,
    now,
    shown,
    storable,
)
from .store import Store
from .studio import Studio, fingerprint, studio_dict
from .takes import TakesMixin


class Library(ChainMixin, NotesMixin, AttachmentsMixin, AttemptsMixin, TakesMixin):
    """Everything kept about sessions, songs and revisions, in one library file."""

    def __init__(self, path: Path | str, *, create: bool = True) -> None:
        try:
            if not create and not Path(path).exists():
                raise NotFound(f"{path}: no library there (check --library or "
                               "$OUTBOARD_LIBRARY; 'outboard session new' starts one)")
            self.store = Store(path)
        except OSError as err:  # a name too long, a folder that may not be read or made
            raise LibraryError(f"{path}: cannot open a library there ({err.strerror or err})"
                               ) from err
        self.path = self.store.path
        # Searches match titles as Python compares text without case (SQLite's lower() knows
        # only ASCII).
        self.store.db.create_function("casefold", 1, _casefold, deterministic=True)

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

    def session_summaries(self, query: str = "", *, limit: int | None = None,
                          offset: int = 0) -> tuple[list[SessionSummary], int]:
        """Sessions in title order, each with how many songs it has, and how many matched:
        every session, or those whose title holds ``query`` (whatever the case) or one of
        whose songs' titles does, each counting the songs that match (all of its songs when
        its own title does). At most ``limit`` of them after the first ``offset``; the songs
        themselves are not read.

        Without a query, the sessions are read through the title index, those asked for
        only; a search reads every session's and song's title (it finds the text anywhere
        in them)."""
        db = self.store.db
        needle = query.strip().casefold()
        count = "SELECT COUNT(*) FROM song WHERE song.session_id = session.id"
        if not needle:
            matched = int(db.execute("SELECT COUNT(*) FROM session").fetchone()[0])
            rows = db.execute(f"SELECT session.*, ({count}) AS songs FROM session"
                              " ORDER BY title LIMIT ? OFFSET ?",
                              (-1 if limit is None else limit, offset)).fetchall()
        else:
            # Each title is folded once (a filter in SQL would count the songs twice).
            rows = [r for r in db.execute(
                f"SELECT session.*, instr(casefold(title), :q) AS whole, CASE WHEN"
                f" instr(casefold(title), :q) THEN ({count})"
                f" ELSE ({count} AND instr(casefold(song.title), :q)) END AS songs"
                " FROM session ORDER BY title", {"q": needle}) if r["whole"] or r["songs"]]
            matched = len(rows)
            rows = rows[offset:] if limit is None else rows[offset:offset + limit]
        return [SessionSummary(r["id"], r["title"], r["artist"], r["songs"])
                for r in rows], matched

    def session(self, name: str | int) -> Session:
        """A session by id or title; NotFound listing the candidates. A title that is a
        number ("1989") is found by title when no session has that id, and refused as
        ambiguous when one has."""
        db = self.store.db
        rows = []
        number = _number(name)
        if number is not None:
            rows = db.execute("SELECT * FROM session WHERE id = ?", (number,)).fetchall()
        if isinstance(name, str) and storable(name):
            rows += db.execute("SELECT * FROM session WHERE title = ? AND id IS NOT ?",
                               (name, number)).fetchall()
        if len(rows) > 1:
            raise NotFound(f"session {shown(name)} is ambiguous: it is the number of "
                           f"'{rows[0]['title']}' and the title of session {rows[1]['id']}; "
                           f"name it '{rows[0]['title']}' or {rows[1]['id']}")
        if not rows:
            titles = ", ".join(s.title for s in self.sessions()) or "none yet"
            raise NotFound(f"no session {shown(name)} (sessions: {titles})")
        row = rows[0]
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
            if position > LARGEST_INTEGER:
                raise LibraryError(f"track position {position} is larger than the library "
                                   f"holds ({LARGEST_INTEGER})")
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

    def session_overview(self, session: str | int, *, matching: str = ""
                         ) -> list[tuple[Song, int | None, str | None]]:
        """A session's songs in track order (only those whose title holds ``matching``,
        whatever the case, when given), each with its latest revision's number and status
        (None for a song with no revision yet), in one query."""
        owner = self.session(session)
        needle = matching.strip().casefold()
        rows = self.store.db.execute(
            "SELECT song.*, session.title AS session_title, r.number AS latest,"
            " r.status AS latest_status FROM song JOIN session ON session.id = song.session_id"
            " LEFT JOIN revision r ON r.song_id = song.id AND r.number ="
            " (SELECT MAX(number) FROM revision WHERE song_id = song.id)"
            " WHERE song.session_id = ?" + (" AND instr(casefold(song.title), ?)" if needle
                                            else "") + " ORDER BY song.position, song.title",
            (owner.id, needle) if needle else (owner.id,)).fetchall()
        return [(_song(r), r["latest"], r["latest_status"]) for r in rows]

    def song(self, name: str | int) -> Song:
        """A song by id, by "Session/Song", or by title alone when only one song has it."""
        db = self.store.db
        base = ("SELECT song.*, session.title AS session_title FROM song JOIN session"
                " ON session.id = song.session_id ")
        number = _number(name)
        rows = []
        if number is not None:
            rows = db.execute(base + "WHERE song.id = ?", (number,)).fetchall()
        if isinstance(name, str) and "/" in name and storable(name):
            # No title holds a "/", so the first one parts the session from the song.
            session_title, _, title = name.partition("/")
            rows = db.execute(base + "WHERE session.title = ? AND song.title = ?",
                              (session_title, title)).fetchall()
        elif isinstance(name, str) and storable(name):
            # A title that is a number ("1999") is found by title too.
            rows += db.execute(base + "WHERE song.title = ? AND song.id IS NOT ?",
                               (name, number)).fetchall()
        if len(rows) == 1:
            return _song(rows[0])
        if rows:
            candidates = ", ".join(f"{r['session_title']}/{r['title']}" for r in rows)
            raise NotFound(f"song {shown(name)} is ambiguous: {candidates}; name it "
                           "Session/Song")
        raise NotFound(f"no song {shown(name)} (name it Session/Song, or by id)")

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
                         (song_id, number)).fetchone() if _number(number) is not None else None
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
        """Every revision of a song in order, with their chains (a few queries, however many
        revisions there are)."""
        owner = self.song(song)
        with self.store.read() as db:
            return self._revisions(db, "r.song_id = ?", (owner.id,))

    def revision_summaries(self, song: str | int) -> list[RevisionSummary]:
        """A song's revisions in order, with their status and the length of their chains
        but not their settings, in one query."""
        owner = self.song(song)
        rows = self.store.db.execute(
            "SELECT r.number, p.number AS parent_number, r.status,"
            " EXISTS (SELECT 1 FROM print WHERE print.revision_id = r.id) AS frozen,"
            " (SELECT COUNT(*) FROM chain_unit WHERE chain_unit.revision_id = r.id) AS units"
            " FROM revision r LEFT JOIN revision p ON p.id = r.parent_id"
            " WHERE r.song_id = ? ORDER BY r.number", (owner.id,)).fetchall()
        return [RevisionSummary(r["number"], r["parent_number"], r["status"],
                                bool(r["frozen"]), r["units"]) for r in rows]

    def revision(self, song: str | int, number: int | None = None) -> Revision:
        """A revision by number (default: the latest), with its whole chain."""
        owner = self.song(song)
        with self.store.read() as db:
            if number is None:
                number = db.execute("SELECT MAX(number) FROM revision WHERE song_id = ?",
                                    (owner.id,)).fetchone()[0]
                if number is None:
                    raise NotFound(f"{owner.name} has no revision yet")
            found = self._revisions(db, "r.song_id = ? AND r.number = ?",
                                    (owner.id, number)) if _number(number) is not None else []
            if not found:
                self._revision_row(db, owner.id, number)  # NotFound, naming the revisions
            return found[0]

    @staticmethod
    def _revisions(db: sqlite3.Connection, where: str,
                   parameters: tuple[Any, ...]) -> list[Revision]:
        """The revisions ``where`` picks (a condition on ``r``, the revision table), in
        order, each with its chain: three queries, however many revisions and units."""
        rows = db.execute(
            "SELECT r.*, p.number AS parent_number, studio.fingerprint AS studio_fingerprint,"
            " EXISTS (SELECT 1 FROM print WHERE print.revision_id = r.id) AS frozen"
            " FROM revision r LEFT JOIN revision p ON p.id = r.parent_id"
            f" LEFT JOIN studio ON studio.id = r.studio_id WHERE {where} ORDER BY r.number",
            parameters).fetchall()
        if not rows:
            return []
        stored: dict[int, dict[str, float]] = {}
        for unit_id, parameter, value in db.execute(
                "SELECT s.chain_unit_id, s.parameter, s.value FROM revision r JOIN chain_unit c"
                f" ON c.revision_id = r.id JOIN setting s ON s.chain_unit_id = c.id WHERE {where}",
                parameters):
            stored.setdefault(unit_id, {})[parameter] = value
        chains: dict[int, list[ChainUnit]] = {}
        defined: dict[int, dict[str, Any]] = {}  # read once per set; records are not changed
        for unit in db.execute(
                "SELECT c.*, d.document AS definitions FROM revision r JOIN chain_unit c"
                " ON c.revision_id = r.id JOIN definition_set d ON d.id = c.definition_set_id"
                f" WHERE {where} ORDER BY c.revision_id, c.position", parameters):
            definitions = defined.setdefault(unit["definition_set_id"],
                                             json.loads(unit["definitions"]))
            values = stored.get(unit["id"], {})
            # In front-panel order, as the profile lists them.
            settings = {p: values[p] for p in definitions if p in values}
            chains.setdefault(unit["revision_id"], []).append(ChainUnit(
                unit["unit"], unit["profile"], bool(unit["bypassed"]), settings, definitions))
        return [Revision(
            id=row["id"], song_id=row["song_id"], number=row["number"],
            parent_number=row["parent_number"], status=row["status"],
            chain=tuple(chains.get(row["id"], ())),
            studio_fingerprint=row["studio_fingerprint"], routing=json.loads(row["routing"]),
            calibration=json.loads(row["calibration"]), frozen=bool(row["frozen"]),
            created=row["created"]) for row in rows]

    def set_status(self, song: str | int, number: int, status: str) -> Revision:
        if status not in STATUSES:
            raise LibraryError(f"status {shown(status)} is not one of {', '.join(STATUSES)}")
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

def _number(name: str | int) -> int | None:
    """``name`` as a record's number when it is one the library can hold (ids and revision
    numbers are written in ASCII digits), else None."""
    if isinstance(name, int) and not isinstance(name, bool):
        number = name
    elif isinstance(name, str) and name.isascii() and name.isdigit() and len(name) < 20:
        number = int(name)
    else:
        return None
    return number if 0 <= number <= LARGEST_INTEGER else None


def _casefold(text: object) -> object:
    return text.casefold() if isinstance(text, str) else text


def _song(row: sqlite3.Row) -> Song:
    return Song(row["id"], row["session_id"], row["session_title"], row["title"],
                row["position"], row["source_path"], row["source_sha256"], row["source_rate"],
                row["source_channels"], tuple(json.loads(row["targets"])))
