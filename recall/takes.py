"""Pings of the insert loops and the print take ledger: what was measured, when, and with
what it depended on."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import LibraryError, NotFound
from .records import now

if TYPE_CHECKING:
    from .library import Library

TAKE_STATES = ("complete", "incomplete", "flawed")


@dataclass(frozen=True, slots=True)
class PingRecord:
    """A stored ping: its figures and what the loop was when they were measured."""

    id: int
    studio_name: str
    loop: str
    depends: dict[str, Any]  # host API, device, rate, buffer, channels
    latency_samples: float
    jitter_samples: float
    inverted: bool
    gain_db: float
    purity: float
    report: dict[str, Any]
    created: str


@dataclass(frozen=True, slots=True)
class Take:
    """One print of a revision in the take ledger."""

    id: int
    song_id: int
    revision_number: int
    take: int
    path: str
    sha256: str | None
    state: str  # complete, incomplete (aborted, or never finished), flawed (xruns)
    latency_samples: float | None
    offset_samples: float | None
    xruns: int
    metadata: dict[str, Any]
    created: str
    finished: str | None


@dataclass(frozen=True, slots=True)
class StoredFingerprint:
    id: int
    revision_number: int
    loop: str
    document: dict[str, Any]
    created: str


class TakesMixin:
    """Pings, takes and fingerprints; mixed into :class:`recall.library.Library`."""

    def record_fingerprint(self: Library, song: str | int, number: int, *, loop: str,
                           document: dict[str, Any]) -> StoredFingerprint:
        owner = self.song(song)
        with self.store.write() as db:
            row = self._revision_row(db, owner.id, number)
            db.execute("INSERT INTO fingerprint (revision_id, loop, document, created)"
                       " VALUES (?, ?, ?, ?)", (row["id"], loop, json.dumps(document), now()))
        found = self.latest_fingerprint(owner.id, number)
        assert found is not None
        return found

    def latest_fingerprint(self: Library, song: str | int, number: int
                           ) -> StoredFingerprint | None:
        """The revision's newest fingerprint, if it has one."""
        owner = self.song(song)
        with self.store.read() as db:
            row = db.execute(
                "SELECT fingerprint.*, revision.number FROM fingerprint JOIN revision ON"
                " revision.id = fingerprint.revision_id WHERE revision.song_id = ? AND"
                " revision.number = ? ORDER BY fingerprint.id DESC LIMIT 1",
                (owner.id, number)).fetchone()
        if row is None:
            return None
        return StoredFingerprint(row["id"], row["number"], row["loop"],
                                 json.loads(row["document"]), row["created"])

    def record_ping(self: Library, studio_name: str, loop: str, *, depends: dict[str, Any],
                    latency_samples: float, jitter_samples: float, inverted: bool,
                    gain_db: float, purity: float, report: dict[str, Any]) -> PingRecord:
        with self.store.write() as db:
            cursor = db.execute(
                "INSERT INTO ping (studio_name, loop, depends, latency_samples, jitter_samples,"
                " inverted, gain_db, purity, report, created) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (studio_name, loop, json.dumps(depends, sort_keys=True), latency_samples,
                 jitter_samples, int(inverted), gain_db, purity, json.dumps(report), now()))
            ping_id = int(cursor.lastrowid or 0)
        found = self.latest_ping(studio_name, loop)
        assert found is not None and found.id == ping_id
        return found

    def latest_ping(self: Library, studio_name: str, loop: str) -> PingRecord | None:
        """The newest ping of ``loop`` in the studio called ``studio_name``, if any."""
        with self.store.read() as db:
            row = db.execute("SELECT * FROM ping WHERE studio_name = ? AND loop = ?"
                             " ORDER BY id DESC LIMIT 1", (studio_name, loop)).fetchone()
        return None if row is None else _ping(row)

    def begin_take(self: Library, song: str | int, number: int, *, path: str,
                   latency_samples: float, metadata: dict[str, Any]) -> Take:
        """Enter a print as it starts, as incomplete: a print that never finishes (a crash,
        a power cut) stays in the ledger as what it is. The revision is frozen from here."""
        owner = self.song(song)
        with self.store.write() as db:
            row = self._revision_row(db, owner.id, number)
            take = (db.execute("SELECT MAX(take) FROM print WHERE revision_id = ?",
                               (row["id"],)).fetchone()[0] or 0) + 1
            cursor = db.execute(
                "INSERT INTO print (revision_id, take, path, state, metadata, created,"
                " latency_samples) VALUES (?, ?, ?, 'incomplete', ?, ?, ?)",
                (row["id"], take, path, json.dumps(metadata), now(), latency_samples))
            take_id = int(cursor.lastrowid or 0)
            if row["status"] == "draft":
                db.execute("UPDATE revision SET status = 'printed' WHERE id = ?", (row["id"],))
        return self.take(take_id)

    def next_take(self: Library, song: str | int, number: int) -> int:
        """The number the next print of this revision will get."""
        owner = self.song(song)
        with self.store.read() as db:
            row = self._revision_row(db, owner.id, number)
            return int((db.execute("SELECT MAX(take) FROM print WHERE revision_id = ?",
                                   (row["id"],)).fetchone()[0] or 0) + 1)

    def finish_take(self: Library, take_id: int, *, state: str, sha256: str | None,
                    offset_samples: float | None, xruns: int,
                    metadata: dict[str, Any]) -> Take:
        if state not in TAKE_STATES:
            raise LibraryError(f"take state '{state}' is not one of {', '.join(TAKE_STATES)}")
        with self.store.write() as db:
            changed = db.execute(
                "UPDATE print SET state = ?, sha256 = ?, offset_samples = ?, xruns = ?,"
                " metadata = ?, finished = ? WHERE id = ?",
                (state, sha256, offset_samples, xruns, json.dumps(metadata), now(), take_id))
            if changed.rowcount == 0:
                raise NotFound(f"no take with id {take_id}")
        return self.take(take_id)

    def take(self: Library, take_id: int) -> Take:
        with self.store.read() as db:
            row = db.execute(_TAKES + " WHERE print.id = ?", (take_id,)).fetchone()
        if row is None:
            raise NotFound(f"no take with id {take_id}")
        return _take(row)

    def takes(self: Library, song: str | int, number: int | None = None) -> list[Take]:
        """The song's prints (of one revision when ``number`` is given), oldest first."""
        owner = self.song(song)
        query = _TAKES + " WHERE revision.song_id = ?"
        args: tuple[Any, ...] = (owner.id,)
        if number is not None:
            query += " AND revision.number = ?"
            args += (number,)
        with self.store.read() as db:
            rows = db.execute(query + " ORDER BY revision.number, print.take", args).fetchall()
        return [_take(r) for r in rows]


_TAKES = ("SELECT print.*, revision.song_id, revision.number AS revision_number FROM print"
          " JOIN revision ON revision.id = print.revision_id")


def _ping(row: Any) -> PingRecord:
    return PingRecord(row["id"], row["studio_name"], row["loop"], json.loads(row["depends"]),
                      row["latency_samples"], row["jitter_samples"], bool(row["inverted"]),
                      row["gain_db"], row["purity"], json.loads(row["report"]), row["created"])


def _take(row: Any) -> Take:
    return Take(row["id"], row["song_id"], row["revision_number"], row["take"], row["path"],
                row["sha256"], row["state"], row["latency_samples"], row["offset_samples"],
                row["xruns"], json.loads(row["metadata"]), row["created"], row["finished"])
