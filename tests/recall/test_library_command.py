"""The library from the command line: sessions, songs, revisions, values and notes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tui.cli import main


@pytest.fixture
def lib(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "library.sqlite"
    monkeypatch.setenv("OUTBOARD_LIBRARY", str(path))
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_a_song_from_session_to_settings_and_notes(capsys, lib: Path) -> None:
    assert run(capsys, "session", "new", "Night Drive", "--artist", "The Band")[0] == 0
    assert run(capsys, "song", "add", "Night Drive", "Opener")[0] == 0
    assert run(capsys, "rev", "new", "Night Drive/Opener")[0] == 0
    code, _, err = run(capsys, "rev", "add-unit", "Night Drive/Opener", "Pultec",
                       "--profile", "pultec-eqp-1a")
    assert code == 0, err
    code, out, err = run(capsys, "rev", "set", "Night Drive/Opener", "Pultec.low_freq=60",
                         "Pultec.low_boost=3.5", "--json")
    assert code == 0, err
    [unit] = json.loads(out)["chain"]
    assert unit["settings"]["low_freq"] == 60.0 and unit["settings"]["low_boost"] == 3.5
    code, out, _ = run(capsys, "rev", "new", "Night Drive/Opener", "--json")
    assert json.loads(out)["chain"][0]["settings"]["low_boost"] == 3.5
    code, out, _ = run(capsys, "note", "add", "Night Drive/Opener", "More air on the vocal",
                       "--kind", "request", "--author", "artist", "--at", "1:02.5", "--json")
    note = json.loads(out)
    assert note["at_seconds"] == 62.5 and note["status"] == "open"
    assert run(capsys, "note", "resolve", str(note["id"]), "--in", "2")[0] == 0
    code, out, _ = run(capsys, "note", "list", "Night Drive/Opener")
    assert "@1:02.5" in out and "addressed in rev 2" in out
    code, out, _ = run(capsys, "session", "show", "Night Drive")
    assert "1. Opener  rev 2 (draft)" in out
    # Everything landed in the library file named by OUTBOARD_LIBRARY.
    assert lib.exists()


@pytest.mark.parametrize(("argv", "message"), [
    (["rev", "set", "Night Drive/Opener", "Pultec.low_freq=61"], "is not one of its detents"),
    (["rev", "set", "Night Drive/Opener", "Pultec.colour=1"], "Pultec has no parameter 'colour'"),
    (["rev", "set", "Night Drive/Opener", "Fairchild.gain=1"], "has no unit 'Fairchild'"),
    (["rev", "set", "Night Drive/Opener", "nonsense"], "write UNIT.PARAM=VALUE"),
    (["song", "show", "Nowhere/Opener"], "no song 'Nowhere/Opener'"),
    (["session", "new", "bad/name"], "path separator"),
    (["note", "add", "Night Drive/Opener", "x", "--at", "soon"], "time 'soon' is not mm:ss.s"),
])
def test_bad_input_is_one_line_and_changes_nothing(capsys, lib: Path, argv, message) -> None:
    run(capsys, "session", "new", "Night Drive")
    run(capsys, "song", "add", "Night Drive", "Opener")
    run(capsys, "rev", "new", "Night Drive/Opener")
    run(capsys, "rev", "add-unit", "Night Drive/Opener", "Pultec", "--profile", "pultec-eqp-1a")
    before = run(capsys, "rev", "show", "Night Drive/Opener", "--json")[1]
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == "" and message in err and err.count("\n") == 1
    assert run(capsys, "rev", "show", "Night Drive/Opener", "--json")[1] == before


def test_library_option_wins_over_the_environment(capsys, lib: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.sqlite"
    assert run(capsys, "session", "new", "Elsewhere", "--library", str(other))[0] == 0
    assert other.exists() and not lib.exists()


def test_a_mistyped_library_path_is_refused_not_created(capsys, tmp_path: Path) -> None:
    typo = tmp_path / "libary.sqlite"
    for argv in (["session", "list"], ["song", "show", "A/B"], ["diff", "A/B", "1", "2"],
                 ["sheet", "A/B"], ["library", "check"]):
        code, out, err = run(capsys, *argv, "--library", str(typo))
        assert code == 2 and "no library there" in err and err.count("\n") == 1, argv
    assert not typo.exists()
    assert run(capsys, "session", "new", "First", "--library", str(typo))[0] == 0
    assert typo.exists()


def test_a_damaged_library_is_one_line_and_the_check_lists_it(capsys, lib: Path) -> None:
    run(capsys, "session", "new", "Night Drive")
    for n in range(30):
        run(capsys, "song", "add", "Night Drive", f"Song {n}")
    # Overwrite the pages after the first with garbage, as a failing disk might.
    with lib.open("r+b") as handle:
        handle.seek(4096)
        handle.write(b"\xde\xad" * 16384)
    code, out, err = run(capsys, "song", "list", "Night Drive")
    assert code == 2 and "the library file is damaged" in err and err.count("\n") == 1
    assert "Traceback" not in err
    code, out, err = run(capsys, "library", "check")
    assert code == 1 and "damaged" in err and "Traceback" not in err


def test_library_before_the_command_is_the_commands_library(capsys, lib: Path,
                                                            tmp_path: Path) -> None:
    other = tmp_path / "other.sqlite"
    assert run(capsys, "--library", str(other), "session", "new", "Elsewhere")[0] == 0
    assert not lib.exists()  # $OUTBOARD_LIBRARY was not touched
    code, out, _ = run(capsys, "--library", str(other), "session", "list")
    assert code == 0 and "Elsewhere" in out
    # The command's own --library wins over the one before it.
    code, _, err = run(capsys, "--library", str(other), "session", "list", "--library",
                       str(tmp_path / "none.sqlite"))
    assert code == 2 and "none.sqlite: no library there" in err
