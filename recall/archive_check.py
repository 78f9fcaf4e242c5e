"""Keeping a library: a consistent backup while it is in use, and a check of the file and of
every attachment and print against its checksum."""

from __future__ import annotations

import os
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from .archive import file_sha256, partial_path
from .errors import LibraryError
from .files import files_folder
from .library import Library


class BackupError(LibraryError):
    """A backup that cannot be written where it was asked for."""

    title = "Backup refused"
    exit_code = 2


@dataclass(frozen=True, slots=True)
class BackupReport:
    """Where the backup went: the library file and its files folder, with their sizes."""

    path: str
    files: str
    size: int
    file_count: int


def backup_library(library: Library, dest: Path | str) -> BackupReport:
    """Copy ``library`` to ``dest`` through SQLite's online backup (other programs may go on
    using the library meanwhile), and its files folder beside it (``<stem>-files``).

    Both are written under temporary names and renamed into place. The library file is
    copied first: files are only ever added, so the folder then holds all it names."""
    dest = Path(dest)
    files = files_folder(dest)
    try:
        _check_backup(library, dest, files)
    except OSError as err:  # a name too long, a folder that may not be read
        raise BackupError(f"{dest}: cannot write there ({err.strerror or err})") from err
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = partial_path(dest)
    try:
        target = sqlite3.connect(partial)
        try:
            library.store.db.backup(target)
            # One self-contained file: no write-ahead log beside it.
            target.execute("PRAGMA journal_mode = DELETE")
            verdict = target.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            target.close()
        if verdict != "ok":
            raise BackupError(f"{dest}: the copy does not check out ({verdict}); run "
                              "'outboard library check'")
        with partial.open("rb") as copy:
            os.fsync(copy.fileno())
        os.replace(partial, dest)
    except BaseException:
        for leftover in ("", "-wal", "-shm", "-journal"):
            partial.with_name(partial.name + leftover).unlink(missing_ok=True)
        raise
    count = _copy_files(library.files, files)
    return BackupReport(str(dest), str(files), dest.stat().st_size, count)


def _check_backup(library: Library, dest: Path, files: Path) -> None:
    if dest.is_dir():
        raise BackupError(f"{dest}: is a folder; name the backup file, e.g. "
                          f"{dest / 'library-backup.sqlite'}")
    if dest.resolve() == library.path.resolve() or files.resolve() == library.files.resolve():
        raise BackupError(f"{dest}: would overwrite the library itself; choose another name")
    for side in ("-wal", "-shm"):
        if dest.with_name(dest.name + side).exists():
            raise BackupError(f"{dest}: a program has the old backup open ({dest.name}{side} "
                              "exists); close it, or choose another name")


def _copy_files(source: Path, dest: Path) -> int:
    """Copy the files folder (without half-written leftovers); replaces an older copy."""
    partial = partial_path(dest)
    try:
        if source.is_dir():
            shutil.copytree(source, partial, symlinks=True,
                            ignore=shutil.ignore_patterns("*.partial"))
        else:
            partial.mkdir()
        if dest.exists():
            old = partial.with_name(partial.name + ".old")
            os.replace(dest, old)
            os.replace(partial, dest)
            shutil.rmtree(old)
        else:
            os.replace(partial, dest)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return sum(len(names) for _, _, names in os.walk(dest))


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong: ``kind`` is integrity, missing, mismatch, unreadable or
    unverifiable."""

    kind: str
    subject: str
    detail: str

    @property
    def line(self) -> str:
        return f"{self.subject}: {self.detail}"


@dataclass(frozen=True, slots=True)
class CheckReport:
    """What :func:`check_library` looked at, and every problem it found."""

    library: str
    attachments: int
    prints: int
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def summary(self) -> str:
        checked = (f"{self.attachments} attachment{'s' * (self.attachments != 1)} and "
                   f"{self.prints} print{'s' * (self.prints != 1)}")
        if self.ok:
            return f"{self.library}: sound; the file checks out, {checked} match their checksums"
        return (f"{self.library}: {len(self.problems)} problem"
                f"{'s' * (len(self.problems) != 1)} ({checked} checked)")


_WHERE = ("LEFT JOIN revision r ON r.id = {t}.revision_id LEFT JOIN song ON song.id = r.song_id"
          " LEFT JOIN session ON session.id = song.session_id")


def check_library(library: Library) -> CheckReport:
    """Run SQLite's integrity and foreign-key checks, and hash every attachment and print."""
    problems = [Problem("integrity", "library file", text) for text in library.store.integrity()]
    with library.store.read() as db:
        attachments = db.execute(
            "SELECT a.*, r.number, song.title AS song, session.title AS session FROM attachment a "
            + _WHERE.format(t="a") + " ORDER BY a.id").fetchall()
        prints = db.execute(
            "SELECT p.*, r.number, song.title AS song, session.title AS session FROM print p "
            + _WHERE.format(t="p") + " ORDER BY p.id").fetchall()
    for row in attachments:
        unit = f" ({row['unit']})" if row["unit"] else ""
        subject = f"{_revision(row)} attachment '{row['name'] or row['id']}'{unit}"
        problems += _verify(subject, library.files / row["path"], row["sha256"])
    for row in prints:
        subject = f"{_revision(row)} print take {row['take']}"
        if not row["path"]:
            problems.append(Problem("missing", subject, "no file (it came without one in an "
                                    "import)"))
        elif row["sha256"] is None:
            problems.append(Problem("unverifiable", subject, "no checksum in the take ledger"))
        else:
            # A relative print path is inside the files folder; an absolute one is used as is.
            problems += _verify(subject, library.files / row["path"], row["sha256"])
    return CheckReport(str(library.path), len(attachments), len(prints), tuple(problems))


def _revision(row: sqlite3.Row) -> str:
    if row["number"] is None:
        return "(no revision)"
    return f"{row['session']}/{row['song']} rev {row['number']}"


def _verify(subject: str, path: Path, expected: str) -> list[Problem]:
    if not path.is_file():
        return [Problem("missing", subject, f"file missing ({path})")]
    try:
        found = file_sha256(path)
    except OSError as err:
        return [Problem("unreadable", subject, f"cannot read {path} ({err.strerror})")]
    if found != expected:
        return [Problem("mismatch", subject, f"checksum mismatch in {path} (the library has "
                        f"{expected[:12]}…, the file {found[:12]}…)")]
    return []
