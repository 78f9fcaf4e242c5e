"""What a revision keeps besides its settings: the studio it was made in with its routing and
calibration, photos of panels and patch bays; and a song's source mix and delivery targets."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from recall.errors import FrozenRevision, LibraryError, NotFound
from recall.library import Library
from recall.studio import fingerprint, load_studio
from tui.cli import main

from .conftest import STUDIO, png

SONG = "Night Drive/Opener"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_a_revision_records_its_studio_routing_and_calibration(album: Library) -> None:
    studio = load_studio(STUDIO)
    first = album.revision(SONG, 1)
    assert first.studio_fingerprint == fingerprint(studio)
    assert [lp["name"] for lp in first.routing["loops"]] == ["A", "B"]
    assert first.routing["interface"]["sample_rate"] == 48000
    assert {"direction": "input", "channel": 3, "dbfs_at_plus4_dbu": -16.0} in first.calibration
    # The next revision inherits it; the studio document is kept once.
    assert album.revision(SONG, 2).studio_fingerprint == first.studio_fingerprint
    assert album.store.db.execute("SELECT COUNT(*) FROM studio").fetchone()[0] == 1
    assert album.studio_document(first.studio_fingerprint)["name"] == studio.name


def test_a_printed_revision_keeps_the_studio_it_was_printed_in(album: Library) -> None:
    with pytest.raises(FrozenRevision):
        album.record_studio(SONG, 1, load_studio(STUDIO))


def test_photos_are_copied_checksummed_and_kept_with_a_unit(album: Library,
                                                            tmp_path: Path) -> None:
    photo = png(tmp_path / "patchbay.PNG", (10, 200, 10))
    # A printed revision still takes photos: they change no setting.
    attachment = album.attach(SONG, 1, photo, caption="Patch bay, rows 3-4")
    stored = album.attachment_file(attachment)
    assert stored.read_bytes() == photo.read_bytes()
    assert attachment.sha256 == hashlib.sha256(photo.read_bytes()).hexdigest()
    assert attachment.media_type == "image/png" and attachment.unit is None
    photo.unlink()  # the library keeps its own copy
    assert stored.is_file()
    names = [(a.unit, a.name) for a in album.attachments(SONG, 1)]
    assert names == [(None, "patchbay.PNG"), ("Pultec", "pultec-front.png")]
    # The same picture twice is stored once.
    again = album.attach(SONG, 2, png(tmp_path / "again.png", (10, 200, 10)))
    assert album.attachment_file(again) == stored


def test_bad_attachments_are_refused_and_nothing_is_kept(album: Library,
                                                         tmp_path: Path) -> None:
    before = album.store.db.execute("SELECT COUNT(*) FROM attachment").fetchone()[0]
    with pytest.raises(NotFound, match="has no unit 'Fairchild'"):
        album.attach(SONG, 1, png(tmp_path / "x.png"), unit="Fairchild")
    with pytest.raises(LibraryError, match="no such file to attach"):
        album.attach(SONG, 1, tmp_path / "missing.jpg")
    with pytest.raises(LibraryError, match="control character"):
        album.attach(SONG, 1, png(tmp_path / "y.png"), caption="bad\x07caption")
    with pytest.raises(NotFound, match="no revision 7"):
        album.attach(SONG, 7, png(tmp_path / "z.png"))
    assert album.store.db.execute("SELECT COUNT(*) FROM attachment").fetchone()[0] == before


def test_rev_studio_attach_and_show_from_the_command_line(capsys, album: Library,
                                                          tmp_path: Path,
                                                          monkeypatch) -> None:
    library = ["--library", str(album.path)]
    monkeypatch.setenv("OUTBOARD_STUDIO", str(STUDIO))
    code, out, err = run(capsys, "rev", "new", "Night Drive/Closer", "--json", *library)
    assert code == 0, err
    assert json.loads(out)["studio"] == fingerprint(load_studio(STUDIO))
    code, out, err = run(capsys, "rev", "attach", SONG, str(png(tmp_path / "rack.png")),
                         "--unit", "Pultec", "--caption", "Rack, left", *library)
    assert code == 0, err and "attachment" in out
    code, out, _ = run(capsys, "rev", "attachments", SONG, "--json", *library)
    listed = [json.loads(line) for line in out.splitlines()]
    assert {a["caption"] for a in listed} == {"Rack, left"}
    assert Path(listed[0]["file"]).read_bytes() == (tmp_path / "rack.png").read_bytes()
    code, out, _ = run(capsys, "rev", "show", SONG, *library)
    assert "made in 'Example Room'" in out and "photo #" in out
    code, out, err = run(capsys, "rev", "studio", SONG, "--rev", "1", *library)
    assert code == 2 and "frozen" in err and err.count("\n") == 1


def test_a_studio_that_does_not_load_is_one_line(capsys, album: Library, tmp_path) -> None:
    bad = tmp_path / "studio.toml"
    bad.write_text("spec = 1\n[studio]\nname = 'x'\ncolour = 'red'\n")
    code, _, err = run(capsys, "rev", "new", SONG, "--studio", str(bad),
                       "--library", str(album.path))
    assert code == 2 and str(bad) in err and err.count("\n") == 1
    assert [r.number for r in album.revisions(SONG)] == [1, 2]


def test_a_songs_source_mix_and_delivery_targets(capsys, album: Library,
                                                 tmp_path: Path) -> None:
    mix = tmp_path / "opener-mix.wav"
    sf.write(mix, np.zeros((4800, 2), dtype=np.float32), 48000, subtype="FLOAT")
    library = ["--library", str(album.path)]
    code, out, err = run(capsys, "song", "add", "Night Drive", "Interlude", "--source",
                         str(mix), "--target", "spotify", "--target", "cd", "--json",
                         *library)
    assert code == 0, err
    song = json.loads(out)
    assert (song["source_rate"], song["source_channels"]) == (48000, 2)
    assert song["source_sha256"] == hashlib.sha256(mix.read_bytes()).hexdigest()
    assert song["targets"] == ["spotify", "cd"]
    code, out, _ = run(capsys, "song", "set", "Night Drive/Interlude", "--no-targets", *library)
    assert code == 0 and album.song("Night Drive/Interlude").targets == ()
    code, _, err = run(capsys, "song", "set", "Night Drive/Interlude", "--target", "vinyl-ish",
                       *library)
    assert code == 2 and "no delivery target 'vinyl-ish'" in err
    code, _, err = run(capsys, "song", "set", "Night Drive/Interlude", "--source",
                       str(tmp_path / "nothing.wav"), *library)
    assert code == 2 and "no such file" in err
    assert album.song("Night Drive/Interlude").source_sha256 == song["source_sha256"]


def test_attachments_need_the_third_migration(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    from recall.store import Store

    with Store(path, target_version=2):
        pass
    db = sqlite3.connect(path)
    assert "name" not in [r[1] for r in db.execute("PRAGMA table_info(attachment)")]
    db.close()
    with Library(path) as library:
        columns = [r[1] for r in library.store.db.execute("PRAGMA table_info(attachment)")]
    assert {"name", "media_type"} <= set(columns)
