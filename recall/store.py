"""The library file: one SQLite database in WAL mode, migrated forward, written in transactions."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import LibraryError
from .schema import MIGRATIONS, SCHEMA_VERSION

# How long a writer waits for another process's transaction before giving up (ms). Reads
# never wait in WAL mode; a write waits here instead of failing with "database is locked".
BUSY_TIMEOUT_MS = 30_000


class LibraryBusy(LibraryError):
    title = "Library busy"
    exit_code = 3


class LibraryDamaged(LibraryError):
    title = "Library damaged"
    exit_code = 2


def damaged(path: Path | str, err: sqlite3.DatabaseError) -> LibraryDamaged:
    """The one-line report of a library file SQLite cannot read, with what to do."""
    return LibraryDamaged(f"{path}: the library file is damaged ({err}); 'outboard library "
                          "check' lists the damage, and a backup restores it")


class Store:
    """An open library file. Use :meth:`write` for every change: one transaction each."""

    def __init__(self, path: Path | str, *, migrate: bool = True,
                 target_version: int = SCHEMA_VERSION) -> None:
        self.path = Path(path)
        if self.path.is_dir():
            raise LibraryError(f"{self.path}: is a folder; a library is one file")
        if self.path.exists() and self.path.stat().st_size and not _looks_like_sqlite(self.path):
            raise LibraryError(f"{self.path}: not an Outboard library (not an SQLite file)")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.db = sqlite3.connect(str(self.path), timeout=BUSY_TIMEOUT_MS / 1000,
                                      isolation_level=None, check_same_thread=False)
            self.db.row_factory = sqlite3.Row
            self.db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            self.db.execute("PRAGMA foreign_keys = ON")
            mode = self.db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            self.db.execute("PRAGMA synchronous = FULL")
        except sqlite3.DatabaseError as err:
            raise LibraryError(f"{self.path}: cannot open the library ({err})") from err
        if mode.lower() != "wal":
            raise LibraryError(f"{self.path}: the file system refused WAL mode ({mode})")
        version = self.version
        if version > SCHEMA_VERSION:
            self.db.close()
            raise LibraryError(f"{self.path}: written by a newer Outboard (schema {version}, "
                               f"this one reads up to {SCHEMA_VERSION}); update Outboard")
        if migrate:
            self.migrate(target_version)

    @property
    def version(self) -> int:
        return int(self.db.execute("PRAGMA user_version").fetchone()[0])

    def migrate(self, target: int = SCHEMA_VERSION) -> None:
        """Apply the forward migrations up to ``target``, each in its own transaction."""
        while self.version < target:
            step = self.version
            with self.write() as db:
                # Re-read inside the lock: another process may have migrated meanwhile.
                if int(db.execute("PRAGMA user_version").fetchone()[0]) != step:
                    continue
                for statement in _statements(MIGRATIONS[step]):
                    db.execute(statement)
                db.execute(f"PRAGMA user_version = {step + 1}")

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: all of it lands, or none of it."""
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as err:
            raise LibraryBusy(f"{self.path}: another program holds the library for writing "
                              f"longer than {BUSY_TIMEOUT_MS / 1000:.0f} s ({err})") from err
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        else:
            self.db.execute("COMMIT")

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A consistent snapshot for several reads (never blocks in WAL mode)."""
        self.db.execute("BEGIN")
        try:
            yield self.db
        finally:
            self.db.execute("COMMIT")

    def integrity(self) -> list[str]:
        """Problems SQLite finds in the file and its foreign keys; empty when sound."""
        try:
            problems = [row[0] for row in self.db.execute("PRAGMA integrity_check")]
            problems = [p for p in problems if p != "ok"]
            problems += [f"{row[0]} row {row[1]} points at a missing {row[2]}"
                         for row in self.db.execute("PRAGMA foreign_key_check")]
        except sqlite3.DatabaseError as err:
            # Damage bad enough that SQLite cannot even walk the file.
            return [f"the file is damaged beyond SQLite's own check ({err})"]
        return problems

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _statements(script: str) -> list[str]:
    """Split a migration into statements, keeping trigger bodies whole."""
    statements, current = [], ""
    for line in script.strip().splitlines():
        current += line + "\n"
        if sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    if current.strip():
        raise LibraryError(f"incomplete statement in a migration: {current.strip()[:60]}")
    return statements


def _looks_like_sqlite(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(16) == b"SQLite format 3\x00"
