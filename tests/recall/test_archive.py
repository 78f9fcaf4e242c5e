"""Moving and keeping a library: export, import, hostile exports refused, backup and check."""

from __future__ import annotations

import json
import shutil
import sqlite3
import stat
import wave
import zipfile
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest

from recall import archive
from recall.archive import export_session, import_session
from recall.archive_source import MANIFEST, Staging
from recall.library import Library
from tui.cli import main

OPENER = "Night Drive/Opener"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def real_print(library: Library) -> Path:
    """Write the fixture's print file (a short WAV) and enter its true sha256 in the ledger."""
    path = library.files / "prints" / "opener-r1-t1.wav"
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(3)
        out.setframerate(48_000)
        out.writeframes(bytes(range(256)) * 90)
    with library.store.write() as db:
        db.execute("UPDATE print SET sha256 = ?", (archive.file_sha256(path),))
    return path


def dump(path: Path) -> dict[str, Any]:
    """Every row of every table, and the schema version, of the library file at ``path``."""
    db = sqlite3.connect(path)
    try:
        tables = [r[0] for r in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        rows = {t: sorted(map(tuple, db.execute(f"SELECT * FROM {t}")), key=repr)
                for t in tables}
        return {**rows, "user_version": db.execute("PRAGMA user_version").fetchone()[0]}
    finally:
        db.close()


def listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) if folder.exists() else []


def manifest(export: Path) -> dict[str, Any]:
    """An export's manifest without its export time."""
    if export.suffix == ".zip":
        with zipfile.ZipFile(export) as source:
            document = json.loads(source.read(MANIFEST))
    else:
        document = json.loads((export / MANIFEST).read_text())
    del document["exported"]
    return dict(document)


def revisions(library: Library, song: str) -> list[dict[str, Any]]:
    """A song's revisions as plain data, without the ids a library gives them."""
    return [{k: v for k, v in asdict(r).items() if k not in ("id", "song_id")}
            for r in library.revisions(song)]


def notes(library: Library, song: str) -> list[tuple[Any, ...]]:
    return [(n.revision_number, n.at_seconds, n.kind, n.author, n.body, n.status,
             n.addressed_in, n.created) for n in library.notes(song)]


# ---------------------------------------------------------------- round trips
def test_a_folder_export_imports_losslessly(album: Library, tmp_path: Path) -> None:
    print_file = real_print(album)
    report = export_session(album, "Night Drive", tmp_path / "export")
    assert report.warnings == () and (report.songs, report.revisions) == (2, 3)
    assert (report.prints, report.attachments) == (1, 1)
    with Library(tmp_path / "other" / "library.sqlite") as other:
        imported = import_session(other, tmp_path / "export")
        assert (imported.songs, imported.revisions, imported.notes) == (2, 3, 3)
        export_session(other, "Night Drive", tmp_path / "again")
        assert manifest(tmp_path / "again") == manifest(tmp_path / "export")
        for song in (OPENER, "Night Drive/Closer"):
            assert revisions(other, song) == revisions(album, song)
            assert notes(other, song) == notes(album, song)
        first = other.revision(OPENER, 1)
        assert first.frozen and first.status == "printed" and not other.revision(OPENER).frozen
        assert notes(other, OPENER)[0][5:7] == ("addressed", 2)
        assert other.session("Night Drive").artist == "The Band"
        [photo] = other.attachments(OPENER, 1)
        [original] = album.attachments(OPENER, 1)
        assert (photo.unit, photo.caption, photo.name) == ("Pultec", "Pultec front panel",
                                                           "pultec-front.png")
        assert other.attachment_file(photo).read_bytes() == \
            album.attachment_file(original).read_bytes()
        [row] = other.store.db.execute("SELECT path, sha256 FROM print").fetchall()
        assert (other.files / row["path"]).read_bytes() == print_file.read_bytes()


def test_a_zip_export_imports_losslessly_through_the_command_line(
        capsys, album: Library, tmp_path: Path) -> None:
    real_print(album)
    other = tmp_path / "other.sqlite"
    code, out, err = run(capsys, "library", "export", "Night Drive", str(tmp_path / "nd.zip"),
                         "--library", str(album.path))
    assert code == 0 and err == "" and "2 songs, 3 revisions, 1 print, 1 attachment" in out
    code, out, err = run(capsys, "library", "import", str(tmp_path / "nd.zip"),
                         "--library", str(other), "--json")
    assert code == 0, err
    assert json.loads(out)["notes"] == 3
    code, _, err = run(capsys, "library", "export", "Night Drive", str(tmp_path / "again.zip"),
                       "--library", str(other))
    assert code == 0, err
    assert manifest(tmp_path / "again.zip") == manifest(tmp_path / "nd.zip")
    assert run(capsys, "library", "check", "--library", str(other))[0] == 0


def test_a_missing_print_travels_without_its_file(capsys, album: Library,
                                                  tmp_path: Path) -> None:
    code, _, err = run(capsys, "library", "export", "Night Drive", str(tmp_path / "export"),
                       "--library", str(album.path))
    assert code == 0
    assert err.startswith("outboard: warning: Night Drive/Opener rev 1 print take 1: file "
                          "missing") and err.count("\n") == 1
    [take] = manifest(tmp_path / "export")["songs"][0]["revisions"][0]["prints"]
    assert take["file"] is None and take["sha256"] == "0" * 64
    with Library(tmp_path / "other.sqlite") as other:
        import_session(other, tmp_path / "export")
        assert other.revision(OPENER, 1).frozen
    code, _, err = run(capsys, "library", "check", "--library", str(tmp_path / "other.sqlite"))
    assert code == 1 and "rev 1 print take 1: file missing" in err


def test_an_interrupted_export_leaves_nothing_under_its_name(
        album: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_print(album)

    def broken(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(archive.shutil, "copyfile", broken)
    with pytest.raises(OSError, match="disk full"):
        export_session(album, "Night Drive", tmp_path / "out" / "export")
    assert listing(tmp_path / "out") == []


@pytest.mark.parametrize("dest", ["taken.zip", "full"])
def test_an_export_does_not_overwrite(capsys, album: Library, tmp_path: Path, dest: str) -> None:
    (tmp_path / "taken.zip").write_bytes(b"mine")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("mine")
    code, out, err = run(capsys, "library", "export", "Night Drive", str(tmp_path / dest),
                         "--library", str(album.path))
    assert code == 2 and out == "" and str(tmp_path / dest) in err and err.count("\n") == 1
    assert (tmp_path / "taken.zip").read_bytes() == b"mine"
    assert listing(tmp_path / "full") == ["keep.txt"]


def test_a_title_clash_is_refused_and_as_imports_beside_it(capsys, album: Library,
                                                           tmp_path: Path) -> None:
    export_session(album, "Night Drive", tmp_path / "nd.zip")
    before = dump(album.path)
    code, out, err = run(capsys, "library", "import", str(tmp_path / "nd.zip"),
                         "--library", str(album.path))
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "'Night Drive' is already in the library" in err and "--as NEW TITLE" in err
    assert dump(album.path) == before
    code, out, err = run(capsys, "library", "import", str(tmp_path / "nd.zip"), "--as",
                         "Night Drive (Studio B)", "--library", str(album.path))
    assert code == 0 and "imported 'Night Drive (Studio B)'" in out, err
    assert revisions(album, "Night Drive (Studio B)/Opener") == revisions(album, OPENER)
    # The same studio is reused, not entered twice.
    assert album.store.db.execute("SELECT COUNT(*) FROM studio").fetchone()[0] == 1


def test_a_failed_import_rolls_back_and_removes_its_files(
        album: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_print(album)
    export_session(album, "Night Drive", tmp_path / "export")
    target = Library(tmp_path / "other.sqlite")
    before = dump(target.path)
    place = Staging.place

    def place_then_fail(self: Staging) -> None:
        place(self)
        assert self.placed, "the files were moved into place"
        raise OSError("power cut")

    monkeypatch.setattr(Staging, "place", place_then_fail)
    with pytest.raises(OSError, match="power cut"):
        import_session(target, tmp_path / "export")
    assert dump(target.path) == before
    assert listing(target.files) == []
    target.close()


# ---------------------------------------------------------------- hostile exports
Member = tuple[str | zipfile.ZipInfo, bytes]


def members_of(folder: Path) -> list[Member]:
    return [(str(p.relative_to(folder)), p.read_bytes())
            for p in sorted(folder.rglob("*")) if p.is_file()]


def write_zip(path: Path, members: list[Member]) -> Path:
    with zipfile.ZipFile(path, "w") as out:
        for name, data in members:
            out.writestr(name, data)
    return path


def edited(export: Path, path: Path, *changes: Callable[[dict[str, Any]], None]) -> Path:
    """The export as a zip, its manifest changed by ``changes``."""
    document = json.loads((export / MANIFEST).read_text())
    for change in changes:
        change(document)
    members = [(n, d) for n, d in members_of(export) if n != MANIFEST]
    return write_zip(path, [(MANIFEST, json.dumps(document).encode()), *members])


def _at(document: dict[str, Any], where: str) -> dict[str, Any]:
    """The object at a dotted path such as "songs.0.revisions.0"."""
    part: Any = document
    for key in filter(None, where.split(".")):
        part = part[int(key) if key.isdigit() else key]
    return part


def setting(where: str, **values: Any) -> Callable[[dict[str, Any]], None]:
    return lambda document: _at(document, where).update(values)


def dropping(where: str, key: str) -> Callable[[dict[str, Any]], None]:
    return lambda document: _at(document, where).pop(key)


def with_member(export: Path, path: Path, extra: Member) -> Path:
    return write_zip(path, [*members_of(export), extra])


def symlink_member(export: Path, path: Path) -> Path:
    info = zipfile.ZipInfo("files/link")
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return with_member(export, path, (info, b"/etc/passwd"))


def enormous_member(export: Path, path: Path) -> Path:
    write_zip(path, [*members_of(export), ("prints/huge.wav", b"RIFF")])
    with zipfile.ZipFile(path, "a") as out:
        # The central directory declares 5 GiB for a member that holds 4 bytes.
        out.getinfo("prints/huge.wav").file_size = 5 * 2**30
        out.comment = b"declared sizes rewritten"
    return path


def duplicate_member(export: Path, path: Path) -> Path:
    with pytest.warns(UserWarning, match="Duplicate name"):
        return write_zip(path, [*members_of(export), (MANIFEST, b"{}")])


def tampered_photo(export: Path, path: Path) -> Path:
    return write_zip(path, [(n, b"not the photo" if n.endswith(".png") else d)
                            for n, d in members_of(export)])


def linked_folder(export: Path, path: Path) -> Path:
    shutil.copytree(export, path)
    [photo] = path.glob("files/attachments/*/*.png")
    photo.unlink()
    photo.symlink_to(path.parent / "elsewhere.png")
    (path.parent / "elsewhere.png").write_bytes(b"elsewhere")
    return path


def encrypted_member(export: Path, path: Path) -> Path:
    data = bytearray(with_member(export, path, ("files/secret", b"x")).read_bytes())
    # zipfile writes no encrypted members: set the flag in the last central directory entry.
    entry = data.rfind(b"PK\x01\x02")
    assert data[entry + 46:entry + 58] == b"files/secret"
    data[entry + 8] |= 0x1
    path.write_bytes(bytes(data))
    return path


def not_a_zip(export: Path, path: Path) -> Path:
    path.write_bytes(b"PK but not really")
    return path


REV1 = "songs.0.revisions.0"


HOSTILE: dict[str, tuple[Callable[[Path, Path], Path], str]] = {
    "absolute path": (lambda e, p: with_member(e, p, ("/etc/cron.d/evil", b"x")),
                      "member '/etc/cron.d/evil' is an absolute path"),
    "parent folder": (lambda e, p: with_member(e, p, ("files/../../evil", b"x")),
                      "member 'files/../../evil' points outside the export"),
    "drive letter": (lambda e, p: with_member(e, p, ("C:/Windows/evil", b"x")),
                     "member 'C:/Windows/evil' is an absolute path"),
    "backslash": (lambda e, p: with_member(e, p, ("files\\..\\evil", b"x")),
                  "has a backslash or a control character"),
    "symlink member": (symlink_member, "member 'files/link' is a symbolic link"),
    "symlink in a folder": (linked_folder, "is a symbolic link"),
    "enormous member": (enormous_member, "member 'prints/huge.wav' declares 5.0 GiB"),
    "duplicate member": (duplicate_member, f"member '{MANIFEST}' appears more than once"),
    "encrypted member": (encrypted_member, "member 'files/secret' is encrypted"),
    "newer version": (lambda e, p: edited(e, p, setting("", version=2)),
                      "version is 2, newer than this Outboard reads (1); update Outboard"),
    "not JSON": (lambda e, p: write_zip(p, [(MANIFEST, b"{'songs': [")]),
                 f"{MANIFEST} is not valid JSON"),
    "not UTF-8": (lambda e, p: write_zip(p, [(MANIFEST, b"\xff\xfe{}")]), "is not UTF-8"),
    "no manifest": (lambda e, p: write_zip(p, [("files/x", b"x")]), f"no {MANIFEST}"),
    "not a zip": (not_a_zip, "not a readable zip file"),
    "missing key": (lambda e, p: edited(e, p, dropping(REV1, "status")),
                    "songs[0].revisions[0] misses key 'status'"),
    "wrong type": (lambda e, p: edited(e, p, setting("songs.0", position="1")),
                   "songs[0].position is text, expected whole number"),
    "separator in a name": (lambda e, p: edited(e, p, setting("songs.1", title="../Closer")),
                            "contains a path separator"),
    "value off its detents": (lambda e, p: edited(e, p, setting(f"{REV1}.chain.1.settings",
                                                                low_freq=61)),
                              "Pultec.low_freq: 61 is not one of its detents"),
    "unknown parameter": (lambda e, p: edited(e, p, setting(f"{REV1}.chain.1.settings",
                                                            colour=1)),
                          "settings.colour has no definition"),
    "NaN value": (lambda e, p: edited(e, p, setting(f"{REV1}.chain.0.settings",
                                                    gain=float("nan"))),
                  "NaN is not a JSON number"),
    "forged studio": (lambda e, p: edited(e, p, setting("studios.0.document", name="Other Room"),
                                          setting("studios.0", name="Other Room")),
                      "studios[0].fingerprint does not match the studio's document"),
    "unknown parent": (lambda e, p: edited(e, p, setting(REV1, parent=7)),
                       "parent is 7, not an earlier revision of the song"),
    "file not in the export": (lambda e, p: edited(e, p, setting(f"{REV1}.attachments.0",
                                                                 file="files/gone")),
                               "'files/gone' is not in the export"),
    "file outside its folder": (lambda e, p: edited(e, p, setting(f"{REV1}.prints.0",
                                                                  file=MANIFEST)),
                                f"'{MANIFEST}' is not a file under prints/"),
    "checksum mismatch": (tampered_photo, "does not match its checksum in the manifest"),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_a_hostile_export_is_refused_and_changes_nothing(capsys, album: Library,
                                                         tmp_path: Path, case: str) -> None:
    real_print(album)
    export_session(album, "Night Drive", tmp_path / "export")
    make, message = HOSTILE[case]
    source = make(tmp_path / "export", tmp_path / ("hostile" if case == "symlink in a folder"
                                                   else "hostile.zip"))
    target = tmp_path / "target" / "library.sqlite"
    assert run(capsys, "session", "new", "Elsewhere", "--library", str(target))[0] == 0
    before, files = dump(target), listing(target.parent)
    code, out, err = run(capsys, "library", "import", str(source), "--library", str(target))
    assert code == 2 and out == ""
    assert message in err and err.startswith("outboard: ") and err.count("\n") == 1
    assert dump(target) == before
    assert listing(target.parent) == files


# ---------------------------------------------------------------- backup and check
def test_a_backup_is_the_library_while_another_connection_reads(capsys, album: Library,
                                                                tmp_path: Path) -> None:
    real_print(album)
    reader = sqlite3.connect(album.path)
    reader.execute("BEGIN")
    assert reader.execute("SELECT COUNT(*) FROM session").fetchone()[0] == 1
    try:
        code, out, err = run(capsys, "library", "backup", str(tmp_path / "keep" / "b.sqlite"),
                             "--library", str(album.path), "--json")
    finally:
        reader.rollback()
        reader.close()
    assert code == 0, err
    report = json.loads(out)
    assert report["files"] == str(tmp_path / "keep" / "b-files") and report["file_count"] == 2
    assert listing(tmp_path / "keep") == ["b-files", *(f"b-files/{p}"
                                                       for p in listing(album.files)),
                                          "b.sqlite"]
    assert dump(tmp_path / "keep" / "b.sqlite") == dump(album.path)
    with Library(tmp_path / "keep" / "b.sqlite") as copy:
        assert revisions(copy, OPENER) == revisions(album, OPENER)
    assert run(capsys, "library", "check", "--library", str(tmp_path / "keep" / "b.sqlite"))[0] == 0
    # A second backup under the same name replaces the first whole.
    assert run(capsys, "library", "backup", str(tmp_path / "keep" / "b.sqlite"),
               "--library", str(album.path))[0] == 0
    assert dump(tmp_path / "keep" / "b.sqlite") == dump(album.path)


def test_a_backup_never_overwrites_its_library(capsys, album: Library) -> None:
    before = dump(album.path)
    for name in ("library.sqlite", "library.db"):
        code, _, err = run(capsys, "library", "backup", str(album.path.with_name(name)),
                           "--library", str(album.path))
        assert code == 2 and "would overwrite the library itself" in err
    assert dump(album.path) == before


def test_check_passes_on_a_sound_library(capsys, album: Library) -> None:
    real_print(album)
    code, out, err = run(capsys, "library", "check", "--library", str(album.path))
    assert code == 0 and err == ""
    assert out.count("\n") == 1 and "sound" in out and "1 attachment and 1 print" in out
    code, out, _ = run(capsys, "library", "check", "--library", str(album.path), "--json")
    report = json.loads(out)
    assert report["ok"] and (report["attachments"], report["prints"]) == (1, 1)


def test_check_names_every_broken_file(capsys, album: Library) -> None:
    [photo] = album.attachments(OPENER, 1)
    album.attachment_file(photo).write_bytes(b"a different picture")
    # The fixture's print file was never written: it is missing.
    code, out, err = run(capsys, "library", "check", "--library", str(album.path))
    assert code == 1 and "2 problems" in out
    lines = err.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("outboard: Night Drive/Opener rev 1 attachment "
                               "'pultec-front.png' (Pultec): checksum mismatch")
    assert lines[1].startswith("outboard: Night Drive/Opener rev 1 print take 1: file missing")


def test_check_finds_a_tampered_checksum_and_a_broken_reference(capsys, album: Library) -> None:
    real_print(album)
    with album.store.write() as db:
        db.execute("UPDATE print SET sha256 = ?", ("f" * 64,))
    other = sqlite3.connect(album.path)
    other.execute("INSERT INTO note (song_id, kind, author, body, created)"
                  " VALUES (99, 'reaction', 'other', 'orphan', '2025-01-01')")
    other.commit()
    other.close()
    code, out, _ = run(capsys, "library", "check", "--library", str(album.path), "--json")
    report = json.loads(out)
    assert code == 1 and not report["ok"]
    kinds = {p["kind"]: p["message"] for p in report["problems"]}
    assert set(kinds) == {"integrity", "mismatch"}
    assert "note row" in kinds["integrity"] and "points at a missing song" in kinds["integrity"]
    assert kinds["mismatch"].startswith("Night Drive/Opener rev 1 print take 1: checksum "
                                        "mismatch")
