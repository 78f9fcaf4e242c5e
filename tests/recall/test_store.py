"""The library file: WAL, foreign keys, migrations from every earlier version, two writers."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from recall.errors import FrozenRevision, LibraryError
from recall.library import Library
from recall.schema import SCHEMA_VERSION
from recall.store import Store


def test_a_new_library_is_wal_with_foreign_keys(tmp_path: Path) -> None:
    with Store(tmp_path / "lib.sqlite") as store:
        assert store.version == SCHEMA_VERSION
        assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert store.db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert store.integrity() == []
        with pytest.raises(sqlite3.IntegrityError):
            with store.write() as db:
                db.execute("INSERT INTO song (session_id, title, position, created)"
                           " VALUES (99, 'orphan', 1, 'now')")


@pytest.mark.parametrize("start", range(SCHEMA_VERSION))
def test_migrates_forward_from_every_earlier_version(tmp_path: Path, start: int) -> None:
    path = tmp_path / "old.sqlite"
    with Store(path, target_version=start) as store:
        assert store.version == start
        if start >= 1:
            with store.write() as db:
                db.execute("INSERT INTO session (title, created) VALUES ('Album', 'then')")
    with Library(path) as library:
        assert library.store.version == SCHEMA_VERSION
        if start >= 1:
            assert [s.title for s in library.sessions()] == ["Album"]
        library.new_session("Another")
        assert library.store.integrity() == []


def test_a_newer_library_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite"
    Store(path).close()
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(LibraryError, match="written by a newer Outboard"):
        Store(path)


def test_a_file_that_is_not_a_library(tmp_path: Path) -> None:
    path = tmp_path / "mix.wav"
    path.write_bytes(b"RIFF" + bytes(100))
    with pytest.raises(LibraryError, match="not an Outboard library"):
        Store(path)
    assert path.read_bytes() == b"RIFF" + bytes(100)  # untouched


def test_a_failed_change_leaves_nothing_behind(tmp_path: Path) -> None:
    with Library(tmp_path / "lib.sqlite") as library:
        library.new_session("Album")
        with pytest.raises(RuntimeError):
            with library.store.write() as db:
                db.execute("INSERT INTO session (title, created) VALUES ('Half', 'now')")
                raise RuntimeError("crash mid-change")
        assert [s.title for s in library.sessions()] == ["Album"]


WRITER = """
import sys
from recall.library import Library
with Library(sys.argv[1]) as library:
    for i in range(int(sys.argv[3])):
        library.add_song("Album", f"{sys.argv[2]} {i}")
"""


def test_two_processes_writing_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "shared.sqlite"
    with Library(path) as library:
        library.new_session("Album")
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), name, "60"],
                                stderr=subprocess.PIPE, text=True) for name in ("app", "cli")]
    for writer in writers:
        _, err = writer.communicate(timeout=120)
        assert writer.returncode == 0, err
        assert "locked" not in err
    with Library(path) as library:
        titles = {s.title for s in library.songs("Album")}
        assert len(titles) == 120
        positions = sorted(s.position for s in library.songs("Album"))
        assert positions == list(range(1, 121))  # no two writers took the same position


def test_a_version_2_chain_keeps_its_definitions_and_stays_frozen(tmp_path: Path) -> None:
    """Migration 3 moves each unit's frozen definitions into shared sets, printed or not."""
    path = tmp_path / "v2.sqlite"
    pultec = {"low_boost": {"kind": "continuous", "min": 0.0, "max": 10.0, "unit": "",
                            "default": 0.0, "name": "Low Boost", "section": "Low"}}
    with Store(path, target_version=2) as store, store.write() as db:
        db.execute("INSERT INTO session (id, title, created) VALUES (1, 'Album', 'then')")
        db.execute("INSERT INTO song (id, session_id, title, position, created)"
                   " VALUES (1, 1, 'Opener', 1, 'then')")
        for number in (1, 2):
            db.execute("INSERT INTO revision (id, song_id, number, created)"
                       " VALUES (?, 1, ?, 'then')", (number, number))
            db.execute("INSERT INTO chain_unit (id, revision_id, position, unit, profile,"
                       " definitions) VALUES (?, ?, 1, 'Pultec', 'pultec-eqp-1a', ?)",
                       (number, number, json.dumps(pultec)))
            db.execute("INSERT INTO setting VALUES (?, 'low_boost', ?)", (number, 2.0 * number))
        db.execute("INSERT INTO print (revision_id, take, path, created)"
                   " VALUES (1, 1, 'p.wav', 'then')")
    with Library(path) as library:
        first, second = library.revision("Album/Opener", 1), library.revision("Album/Opener", 2)
        assert first.unit("Pultec").definitions == pultec == second.unit("Pultec").definitions
        assert (first.unit("Pultec").settings, second.unit("Pultec").settings) == (
            {"low_boost": 2.0}, {"low_boost": 4.0})
        assert library.store.db.execute("SELECT COUNT(*) FROM definition_set").fetchone()[0] == 1
        assert first.frozen
        with pytest.raises(FrozenRevision):
            library.set_bypass("Album/Opener", 1, "Pultec", True)
        with pytest.raises(sqlite3.IntegrityError, match="frozen revision"):
            library.store.db.execute("UPDATE chain_unit SET bypassed = 1 WHERE id = 1")
        library.set_values("Album/Opener", 2, "Pultec", {"low_boost": 5.0})
        assert library.store.integrity() == []
