"""Sessions, songs, revisions, chains and notes in a real library file."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from recall.errors import FrozenRevision, LibraryError, NotFound
from recall.library import Library
from recall.records import format_time, parse_time

EQ = {
    "gain": {"kind": "continuous", "min": -12.0, "max": 12.0, "unit": "dB", "default": 0.0,
             "name": "Gain", "section": "EQ"},
    "freq": {"kind": "stepped", "unit": "Hz", "default": 100.0, "name": "Frequency",
             "section": "EQ", "detents": [{"label": "100", "value": 100.0},
                                          {"label": "1k", "value": 1000.0}]},
    "bypass": {"kind": "switch", "labels": ["in", "out"], "default": 0.0, "name": "Bypass",
               "section": "Main"},
}


@pytest.fixture
def library(tmp_path: Path) -> Iterator[Library]:
    lib = Library(tmp_path / "lib.sqlite")
    lib.new_session("Album", artist="The Band")
    lib.add_song("Album", "Opener")
    yield lib
    lib.close()


def test_a_revision_starts_from_its_parent(library: Library) -> None:
    first = library.new_revision("Album/Opener")
    library.add_unit("Album/Opener", first.number, "EQ", profile="test-eq", definitions=EQ,
                     settings={"gain": 2.5})
    library.add_unit("Album/Opener", first.number, "Comp", profile="test-eq", definitions=EQ,
                     position=1)
    second = library.new_revision("Album/Opener")
    assert second.number == 2 and second.parent_number == 1
    assert [u.unit for u in second.chain] == ["Comp", "EQ"]
    assert second.unit("EQ").settings == {"gain": 2.5, "freq": 100.0, "bypass": 0.0}
    assert list(second.unit("EQ").settings) == ["gain", "freq", "bypass"]  # panel order
    library.set_values("Album/Opener", 2, "EQ", {"gain": -3.0, "freq": 1000.0})
    assert library.revision("Album/Opener", 1).unit("EQ").settings["gain"] == 2.5
    assert library.revision("Album/Opener", 2).unit("EQ").settings["gain"] == -3.0
    moved = library.move_unit("Album/Opener", 2, "EQ", 1)
    assert [u.unit for u in moved.chain] == ["EQ", "Comp"]
    assert library.set_bypass("Album/Opener", 2, "Comp", True).unit("Comp").bypassed
    assert [u.unit for u in library.remove_unit("Album/Opener", 2, "Comp").chain] == ["EQ"]


@pytest.mark.parametrize(("values", "message"), [
    ({"gain": 13.0}, "EQ.gain: 13 dB is outside -12 to 12"),
    ({"freq": 500.0}, "EQ.freq: 500 is not one of its detents (100, 1k)"),
    ({"bypass": 2.0}, "EQ.bypass: 2 is not one of 0=in, 1=out"),
    ({"colour": 1.0}, "EQ has no parameter 'colour'"),
    ({"gain": float("nan")}, "EQ.gain: nan is not a number"),
])
def test_bad_values_are_refused_and_nothing_changes(library: Library, values, message) -> None:
    library.new_revision("Album/Opener")
    library.add_unit("Album/Opener", 1, "EQ", profile="test-eq", definitions=EQ)
    with pytest.raises(LibraryError) as err:
        library.set_values("Album/Opener", 1, "EQ", {"gain": 1.0, **values})
    assert message in str(err.value)
    assert library.revision("Album/Opener", 1).unit("EQ").settings["gain"] == 0.0


def test_a_printed_revision_is_frozen(library: Library) -> None:
    library.new_revision("Album/Opener")
    library.add_unit("Album/Opener", 1, "EQ", profile="test-eq", definitions=EQ)
    assert library.record_print("Album/Opener", 1, path="print-1.wav", sha256="ab" * 32) == 1
    revision = library.revision("Album/Opener", 1)
    assert revision.frozen and revision.status == "printed"
    with pytest.raises(FrozenRevision, match="start a new revision from it"):
        library.set_values("Album/Opener", 1, "EQ", {"gain": 1.0})
    # The database refuses it too, whatever code tries.
    with pytest.raises(sqlite3.IntegrityError, match="frozen revision"):
        with library.store.write() as db:
            db.execute("UPDATE setting SET value = 5")
    assert library.new_revision("Album/Opener").unit("EQ").settings["gain"] == 0.0


def test_one_unit_once_per_chain(library: Library) -> None:
    library.new_revision("Album/Opener")
    library.add_unit("Album/Opener", 1, "EQ", profile="test-eq", definitions=EQ)
    with pytest.raises(LibraryError, match="only once"):
        library.add_unit("Album/Opener", 1, "EQ", profile="test-eq", definitions=EQ)


def test_names(library: Library) -> None:
    library.new_session("EP")
    library.add_song("EP", "Opener")
    with pytest.raises(NotFound, match="ambiguous: Album/Opener, EP/Opener"):
        library.song("Opener")
    assert library.song("EP/Opener").position == 1
    with pytest.raises(NotFound, match=r"no session 'LP' \(sessions: Album, EP\)"):
        library.session("LP")
    for bad in ("a/b", "tab\there", "", "x" * 201):
        with pytest.raises(LibraryError):
            library.new_session(bad)
    with pytest.raises(LibraryError, match="already exists"):
        library.new_session("Album")
    assert library.new_session("Ça ira — 第一").title == "Ça ira — 第一"


def test_the_critique_thread(library: Library) -> None:
    library.new_revision("Album/Opener")
    goose = library.add_note("Album/Opener", "The chorus lifts beautifully", kind="reaction",
                             author="engineer", revision=1, at_seconds=parse_time("1:02.5"))
    ask = library.add_note("Album/Opener", "Vocal a touch louder in verse 2", kind="request",
                           author="artist", at_seconds=45.0)
    assert [n.id for n in library.notes("Album/Opener")] == [ask.id, goose.id]
    library.new_revision("Album/Opener")
    done = library.resolve_note(ask.id, addressed_in=2)
    assert (done.status, done.addressed_in) == ("addressed", 2)
    assert [n.id for n in library.notes("Album/Opener", status="open")] == [goose.id]
    assert format_time(goose.at_seconds) == "1:02.5"
    with pytest.raises(LibraryError, match="not one of reaction"):
        library.add_note("Album/Opener", "x", kind="rant", author="artist")


def test_free_text_refuses_control_characters_and_keeps_the_rest(library: Library) -> None:
    note = library.add_note("Album/Opener", "Верх: чуть ярче\n\tthe 2nd chorus — 10 kHz «air»",
                            kind="request", author="artist")
    assert library.note(note.id).body == "Верх: чуть ярче\n\tthe 2nd chorus — 10 kHz «air»"
    before = len(library.notes("Album/Opener"))
    with pytest.raises(LibraryError, match="control character"):
        library.add_note("Album/Opener", "bell\x07", kind="request", author="artist")
    with pytest.raises(LibraryError, match="control character"):
        library.new_session("Other", artist="The\x1b[31mBand")
    with pytest.raises(LibraryError, match="characters long"):
        library.add_note("Album/Opener", "x" * 20_001, kind="request", author="artist")
    assert len(library.notes("Album/Opener")) == before
    assert [s.title for s in library.sessions()] == ["Album"]
