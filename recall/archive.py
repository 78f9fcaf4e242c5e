"""Moving a session between libraries: an export (a folder or a .zip with a versioned manifest
and the files) and a lossless import of it in one transaction."""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import sqlite3
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .archive_manifest import FORMAT, FORMAT_VERSION, parse_manifest
from .archive_source import MANIFEST, ArchiveError, Staging, open_source, suffix
from .files import fit_bytes
from .library import Library
from .records import check_name, check_value
from .schema import CHAIN_UNITS, definition_set


class SessionExists(ArchiveError):
    """An import whose session title the library already holds."""

    title = "Session exists"


@dataclass(frozen=True, slots=True)
class ExportReport:
    """What an export wrote; ``warnings`` are files left out (missing or not matching)."""

    session: str
    path: str
    songs: int
    revisions: int
    prints: int
    attachments: int
    warnings: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What an import added to the library."""

    session: str
    source: str
    songs: int
    revisions: int
    prints: int
    attachments: int
    notes: int


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def file_sha256(path: Path) -> str:
    """The sha256 (hex) of a file's content, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _rowid(cursor: sqlite3.Cursor) -> int:
    return int(cursor.lastrowid)  # type: ignore[arg-type]


def partial_path(dest: Path) -> Path:
    """A fresh hidden name beside ``dest`` to write under before renaming into place (made
    with the usual permissions, unlike :mod:`tempfile`'s private ones). ``dest``'s name is
    cut so that the partial name, too, fits the file system's 255 bytes."""
    return dest.with_name(f".{fit_bytes(dest.name, 200)}.{secrets.token_hex(6)}.partial")


# ---------------------------------------------------------------- export
@dataclass(frozen=True, slots=True)
class _Pending:
    """A file the manifest refers to, still to be checked against its recorded sha256."""

    entry: dict[str, Any]
    source: Path
    folder: str
    suffix: str
    label: str


def export_session(library: Library, session: str | int, dest: Path | str) -> ExportReport:
    """Write ``session`` with its studios, songs, revisions, prints, attachments and notes to
    ``dest``: an empty or new folder, or a new file ending in .zip.

    The export is written under a temporary name beside ``dest`` and renamed into place."""
    owner = library.session(session)
    dest = Path(dest)
    zipped = dest.suffix.lower() == ".zip"
    if zipped and dest.exists():
        raise ArchiveError(f"{dest}: already exists; choose another name")
    if not zipped and dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise ArchiveError(f"{dest}: exists and is not an empty folder")
    pending: list[_Pending] = []
    with library.store.read() as db:
        manifest = _manifest(db, owner.id, library.files, pending)
    warnings: list[str] = []
    members: dict[str, Path] = {}   # member name → the file to copy there
    for item in pending:
        sha, problem = _digest(item.source)
        if sha is not None and sha != (item.entry["sha256"] or sha):
            problem = "does not match its checksum"
        if problem:
            item.entry["file"] = None
            warnings.append(f"{item.label}: file {problem} ({item.source}); exported without "
                            "it")
            continue
        name = f"{item.folder}/{sha[:2]}/{sha}{item.suffix}"
        item.entry["file"] = name
        members[name] = item.source
    # Compact: Python's fast encoder does not indent, and a long career's session runs to
    # megabytes of manifest (any JSON viewer lays it out).
    data = (json.dumps(manifest, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
            + "\n").encode()
    dest.parent.mkdir(parents=True, exist_ok=True)
    (_write_zip if zipped else _write_folder)(dest, data, members)
    revisions = [r for s in manifest["songs"] for r in s["revisions"]]
    return ExportReport(owner.title, str(dest), len(manifest["songs"]), len(revisions),
                        sum(len(r["prints"]) for r in revisions),
                        sum(len(r["attachments"]) for r in revisions), tuple(warnings))


def _digest(path: Path) -> tuple[str | None, str | None]:
    """(sha256, None) of a file, or (None, what is wrong with it)."""
    if not path.is_file():
        return None, "missing"
    try:
        return file_sha256(path), None
    except OSError as err:
        return None, f"unreadable ({err.strerror})"


def _manifest(db: sqlite3.Connection, session_id: int, files: Path,
              pending: list[_Pending]) -> dict[str, Any]:
    session = db.execute("SELECT * FROM session WHERE id = ?", (session_id,)).fetchone()
    studios = db.execute(
        "SELECT DISTINCT studio.* FROM studio JOIN revision r ON r.studio_id = studio.id"
        " JOIN song ON song.id = r.song_id WHERE song.session_id = ? ORDER BY fingerprint",
        (session_id,)).fetchall()
    songs = db.execute("SELECT * FROM song WHERE session_id = ? ORDER BY position, title, id",
                       (session_id,)).fetchall()
    return {
        "format": FORMAT, "version": FORMAT_VERSION, "exported": _now(),
        "session": {"title": session["title"], "artist": session["artist"],
                    "notes": session["notes"], "created": session["created"]},
        "studios": [{"fingerprint": s["fingerprint"], "name": s["name"],
                     "document": json.loads(s["document"])} for s in studios],
        "songs": [_song(db, song, f"{session['title']}/{song['title']}", files, pending)
                  for song in songs],
    }


def _song(db: sqlite3.Connection, song: sqlite3.Row, name: str, files: Path,
          pending: list[_Pending]) -> dict[str, Any]:
    revisions = db.execute(
        "SELECT r.*, p.number AS parent, studio.fingerprint AS studio FROM revision r"
        " LEFT JOIN revision p ON p.id = r.parent_id LEFT JOIN studio ON studio.id = r.studio_id"
        " WHERE r.song_id = ? ORDER BY r.number", (song["id"],)).fetchall()
    notes = db.execute(
        "SELECT note.*, r.number AS revision, a.number AS addressed FROM note"
        " LEFT JOIN revision r ON r.id = note.revision_id"
        " LEFT JOIN revision a ON a.id = note.addressed_in WHERE note.song_id = ?"
        " ORDER BY note.id", (song["id"],)).fetchall()
    return {
        "title": song["title"], "position": song["position"],
        "source": {"path": song["source_path"], "sha256": song["source_sha256"],
                   "rate": song["source_rate"], "channels": song["source_channels"]},
        "targets": json.loads(song["targets"]), "created": song["created"],
        "revisions": [_revision(db, r, f"{name} rev {r['number']}", files, pending)
                      for r in revisions],
        "notes": [{"revision": n["revision"], "at_seconds": n["at_seconds"], "kind": n["kind"],
                   "author": n["author"], "body": n["body"], "status": n["status"],
                   "addressed_in": n["addressed"], "created": n["created"]} for n in notes],
    }


def _revision(db: sqlite3.Connection, revision: sqlite3.Row, label: str, files: Path,
              pending: list[_Pending]) -> dict[str, Any]:
    chain = []
    for unit in db.execute(CHAIN_UNITS, (revision["id"],)).fetchall():
        definitions = json.loads(unit["definitions"])
        stored = {s["parameter"]: s["value"] for s in db.execute(
            "SELECT parameter, value FROM setting WHERE chain_unit_id = ? ORDER BY parameter",
            (unit["id"],))}
        order = [p for p in definitions if p in stored] + [p for p in stored
                                                           if p not in definitions]
        chain.append({"unit": unit["unit"], "profile": unit["profile"],
                      "bypassed": bool(unit["bypassed"]), "definitions": definitions,
                      "settings": {p: stored[p] for p in order}})
    prints = []
    for row in db.execute("SELECT * FROM print WHERE revision_id = ? ORDER BY take",
                          (revision["id"],)).fetchall():
        entry = {"take": row["take"], "file": None, "sha256": row["sha256"],
                 "state": row["state"], "metadata": json.loads(row["metadata"]),
                 "created": row["created"], "finished": row["finished"],
                 "latency_samples": row["latency_samples"],
                 "offset_samples": row["offset_samples"], "xruns": row["xruns"]}
        prints.append(entry)
        pending.append(_Pending(entry, files / row["path"], "prints", suffix(row["path"]),
                                f"{label} print take {row['take']}"))
    attachments = []
    for row in db.execute("SELECT * FROM attachment WHERE revision_id = ? ORDER BY id",
                          (revision["id"],)).fetchall():
        entry = {"unit": row["unit"], "name": row["name"], "file": None,
                 "sha256": row["sha256"], "media_type": row["media_type"],
                 "caption": row["caption"], "created": row["created"]}
        attachments.append(entry)
        pending.append(_Pending(entry, files / row["path"], "files/attachments",
                                suffix(row["path"]), f"{label} attachment '{row['name']}'"))
    return {"number": revision["number"], "parent": revision["parent"],
            "status": revision["status"], "studio": revision["studio"],
            "routing": json.loads(revision["routing"]),
            "calibration": json.loads(revision["calibration"]),
            "created": revision["created"], "chain": chain, "prints": prints,
            "attachments": attachments}


def _write_folder(dest: Path, manifest: bytes, members: dict[str, Path]) -> None:
    partial = partial_path(dest)
    partial.mkdir()
    try:
        for name, source in members.items():
            target = partial.joinpath(*name.split("/"))
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
            _sync(target)
        (partial / MANIFEST).write_bytes(manifest)
        _sync(partial / MANIFEST)
        if dest.exists():
            dest.rmdir()
        os.replace(partial, dest)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise


def _write_zip(dest: Path, manifest: bytes, members: dict[str, Path]) -> None:
    partial = partial_path(dest)
    try:
        with zipfile.ZipFile(partial, "x", strict_timestamps=False) as archive:
            archive.writestr(MANIFEST, manifest, compress_type=zipfile.ZIP_DEFLATED)
            for member, source in members.items():
                # Audio and photos hardly compress: store them as they are.
                archive.write(source, member, compress_type=zipfile.ZIP_STORED)
        _sync(partial)
        os.replace(partial, dest)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def _sync(path: Path) -> None:
    with path.open("rb") as handle:
        os.fsync(handle.fileno())


# ---------------------------------------------------------------- import
def import_session(library: Library, path: Path | str, *,
                   title: str | None = None) -> ImportReport:
    """Add the session exported at ``path`` (folder or .zip) to ``library``, as ``title`` if
    given. Every file is checked against the manifest before one transaction adds it all."""
    with open_source(Path(path)) as source:
        manifest = parse_manifest(source.origin, source.read_manifest(), source.members)
        name = manifest["session"]["title"] if title is None else check_name("session", title)
        _refuse_clash(library.store.db, name)
        with Staging(library.files, source) as staging:
            staging.stage(manifest)
            try:
                with library.store.write() as db:
                    _refuse_clash(db, name)
                    report = _insert(db, manifest, name, staging.relative_paths, source.origin)
                    staging.place()
            except sqlite3.IntegrityError as err:
                raise ArchiveError(f"{source.origin}: the library refused the session "
                                   f"({err})") from err
    return report


def _refuse_clash(db: sqlite3.Connection, title: str) -> None:
    if db.execute("SELECT 1 FROM session WHERE title = ?", (title,)).fetchone():
        raise SessionExists(f"a session called '{title}' is already in the library; import "
                            "it under another title with --as NEW TITLE")


def _insert(db: sqlite3.Connection, manifest: dict[str, Any], title: str,
            files: dict[str, str], origin: str) -> ImportReport:
    session = manifest["session"]
    session_id = _rowid(db.execute(
        "INSERT INTO session (title, artist, notes, created) VALUES (?, ?, ?, ?)",
        (title, session["artist"], session["notes"], session["created"])))
    studios: dict[str, int] = {}
    for studio in manifest["studios"]:
        row = db.execute("SELECT id FROM studio WHERE fingerprint = ?",
                         (studio["fingerprint"],)).fetchone()
        studios[studio["fingerprint"]] = int(row["id"]) if row is not None else _rowid(db.execute(
            "INSERT INTO studio (name, fingerprint, document, created) VALUES (?, ?, ?, ?)",
            (studio["name"], studio["fingerprint"],
             json.dumps(studio["document"], sort_keys=True), _now())))
    counts = {"revisions": 0, "prints": 0, "attachments": 0, "notes": 0}
    for song in manifest["songs"]:
        source = song["source"]
        song_id = _rowid(db.execute(
            "INSERT INTO song (session_id, title, position, source_path, source_sha256,"
            " source_rate, source_channels, targets, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (session_id, song["title"], song["position"], source["path"], source["sha256"],
             source["rate"], source["channels"], json.dumps(song["targets"]),
             song["created"])))
        ids: dict[int, int] = {}
        revisions = sorted(song["revisions"], key=lambda r: r["number"])
        for revision in revisions:
            ids[revision["number"]] = _insert_revision(db, song_id, revision, ids, studios)
        # The chains are all in: prints may now freeze their revisions.
        for revision in revisions:
            _insert_files(db, ids[revision["number"]], revision, files)
        for note in song["notes"]:
            db.execute(
                "INSERT INTO note (song_id, revision_id, at_seconds, kind, author, body, status,"
                " addressed_in, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (song_id, ids.get(note["revision"]), note["at_seconds"], note["kind"],
                 note["author"], note["body"], note["status"], ids.get(note["addressed_in"]),
                 note["created"]))
        counts["revisions"] += len(revisions)
        counts["prints"] += sum(len(r["prints"]) for r in revisions)
        counts["attachments"] += sum(len(r["attachments"]) for r in revisions)
        counts["notes"] += len(song["notes"])
    return ImportReport(title, origin, len(manifest["songs"]), **counts)


def _insert_revision(db: sqlite3.Connection, song_id: int, revision: dict[str, Any],
                     ids: dict[int, int], studios: dict[str, int]) -> int:
    revision_id = _rowid(db.execute(
        "INSERT INTO revision (song_id, number, parent_id, status, studio_id, routing,"
        " calibration, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (song_id, revision["number"], ids.get(revision["parent"]), revision["status"],
         studios.get(revision["studio"]), json.dumps(revision["routing"]),
         json.dumps(revision["calibration"]), revision["created"])))
    for position, unit in enumerate(revision["chain"], start=1):
        unit_id = _rowid(db.execute(
            "INSERT INTO chain_unit (revision_id, position, unit, profile, bypassed,"
            " definition_set_id) VALUES (?, ?, ?, ?, ?, ?)",
            (revision_id, position, unit["unit"], unit["profile"], int(unit["bypassed"]),
             definition_set(db, unit["definitions"]))))
        definitions = unit["definitions"]
        db.executemany(
            "INSERT INTO setting (chain_unit_id, parameter, value) VALUES (?, ?, ?)",
            [(unit_id, p, check_value(unit["unit"], p, definitions[p], v))
             for p, v in unit["settings"].items()])
    return revision_id


def _insert_files(db: sqlite3.Connection, revision_id: int, revision: dict[str, Any],
                  files: dict[str, str]) -> None:
    for item in revision["attachments"]:
        path = (files[item["file"]] if item["file"] is not None else
                f"attachments/{item['sha256'][:2]}/{item['sha256']}{suffix(item['name'])}")
        db.execute(
            "INSERT INTO attachment (revision_id, unit, path, sha256, caption, created, name,"
            " media_type) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (revision_id, item["unit"], path, item["sha256"], item["caption"], item["created"],
             item["name"], item["media_type"]))
    for item in revision["prints"]:
        # A print exported without its file keeps its ledger row; its path names no file.
        sha = item["sha256"]
        path = (files[item["file"]] if item["file"] is not None
                else f"prints/{sha[:2]}/{sha}" if sha is not None else "")
        db.execute(
            "INSERT INTO print (revision_id, take, path, sha256, state, metadata, created,"
            " finished, latency_samples, offset_samples, xruns)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (revision_id, item["take"], path, sha, item["state"], json.dumps(item["metadata"]),
             item["created"], item.get("finished"), item.get("latency_samples"),
             item.get("offset_samples"), item.get("xruns") or 0))
