"""The Notes screen: the song's thread across revisions, adding a note, resolving one, and
showing only the open ones; every write lands in the library."""

from __future__ import annotations

from textual.widgets import DataTable, Select, Static

from recall.library import Library
from tui.app.screens.notes import NoteDialog, ResolveDialog

from .conftest import SIZE, Demo, settle, settle_until

SONG = "Night Drive/Opener"




def rows(app) -> list[list[str]]:  # type: ignore[no-untyped-def]
    table = app.screen.query_one(DataTable)
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


def choose(app, body: str) -> None:  # type: ignore[no-untyped-def]
    """Put the table's cursor on the note whose text is ``body``."""
    [index] = [i for i, row in enumerate(rows(app)) if row[-1] == body]
    app.screen.query_one(DataTable).move_cursor(row=index)


async def test_the_thread_shows_every_note_with_its_moment_and_status(demo: Demo) -> None:
    app = demo.app()
    async with app.run_test(size=SIZE) as pilot:
        app.open_song(SONG, screen="notes")
        await settle(pilot)
        assert rows(app) == [
            ["1:02.5", "reaction", "artist", "1", "addressed in rev 2",
             "Kick feels soft in the chorus"],
            ["1:03.0", "reaction", "artist", "2", "open", "Love the new low end"],
            ["1:35.0", "technical", "engineer", "1", "addressed in rev 2",
             "Sibilance on the second verse"]]
        title = str(app.screen.query_one("#notes-title", Static).content)
        assert title == "Notes — Night Drive/Opener · rev 2"


async def test_a_reaction_at_a_moment_is_added_to_the_library(demo: Demo) -> None:
    app = demo.app()
    async with app.run_test(size=SIZE) as pilot:
        app.open_song(SONG, screen="notes")
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, NoteDialog)
        await pilot.press(*"Vocal ducks under the snare")
        dialog.query_one("#note-author", Select).value = "artist"
        await pilot.click("#note-time")
        await pilot.press(*"1:02.5", "enter")
        await settle_until(pilot, lambda: len(rows(app)) == 4)
        assert not isinstance(app.screen, NoteDialog)
        with Library(demo.library_path) as library:
            [note] = [n for n in library.notes(SONG) if n.body == "Vocal ducks under the snare"]
        assert (note.kind, note.author, note.at_seconds, note.revision_number, note.status) == (
            "reaction", "artist", 62.5, 2, "open")
        assert ["1:02.5", "reaction", "artist", "2", "open",
                "Vocal ducks under the snare"] in rows(app)


async def test_a_bad_moment_keeps_the_dialog_open_and_writes_nothing(demo: Demo) -> None:
    app = demo.app()
    async with app.run_test(size=SIZE) as pilot:
        app.open_song(SONG, screen="notes")
        await settle(pilot)
        await pilot.press("a", *"Too bright")
        await pilot.click("#note-time")
        await pilot.press(*"one minute", "enter")
        await settle(pilot)
        assert isinstance(app.screen, NoteDialog)
        assert "not mm:ss.s" in str(app.screen.query_one("#note-problem", Static).content)
        await pilot.press("escape")
        await settle(pilot)
        with Library(demo.library_path) as library:
            assert len(library.notes(SONG)) == 3


async def test_notes_are_resolved_addressed_or_declined(demo: Demo) -> None:
    app = demo.app()
    async with app.run_test(size=SIZE) as pilot:
        app.open_song("Night Drive/Slow Burn", screen="notes")
        await settle(pilot)
        choose(app, "Tape hiss audible in the intro fade")
        await pilot.press("x")
        await settle(pilot)
        assert isinstance(app.screen, ResolveDialog)
        assert app.screen.query_one("#resolve-revision", Select).value == 2  # the latest
        await pilot.click("#resolve-addressed")
        await settle_until(pilot, lambda: rows(app)[0][4] != "open")
        with Library(demo.library_path) as library:
            [hiss] = [n for n in library.notes("Night Drive/Slow Burn") if "hiss" in n.body]
        assert (hiss.status, hiss.addressed_in) == ("addressed", 2)
        assert rows(app)[0][4] == "addressed in rev 2"

        app.open_song(SONG, screen="notes")
        await settle(pilot)
        choose(app, "Love the new low end")
        await pilot.press("x")
        await settle(pilot)
        await pilot.click("#resolve-declined")
        await settle_until(pilot, lambda: ["declined"] == [
            r[4] for r in rows(app) if r[-1] == "Love the new low end"])
        with Library(demo.library_path) as library:
            [love] = [n for n in library.notes(SONG) if n.body == "Love the new low end"]
        assert (love.status, love.addressed_in) == ("declined", None)
        assert [r[4] for r in rows(app) if r[-1] == "Love the new low end"] == ["declined"]


async def test_o_shows_only_the_open_notes_and_back(demo: Demo) -> None:
    app = demo.app()
    async with app.run_test(size=SIZE) as pilot:
        app.open_song("Night Drive/Closer", screen="notes")
        await settle(pilot)
        assert len(rows(app)) == 2
        await pilot.press("o")
        await settle(pilot)
        with Library(demo.library_path) as library:
            open_notes = library.notes("Night Drive/Closer", status="open")
        assert [r[-1] for r in rows(app)] == [n.body for n in open_notes]
        assert {r[4] for r in rows(app)} == {"open"}
        assert "1 open" in str(app.screen.query_one("#notes-count", Static).content)
        await pilot.press("o")
        await settle(pilot)
        assert len(rows(app)) == 2


async def test_without_a_song_the_screen_says_how_to_choose_one(demo: Demo) -> None:
    app = demo.app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert "Library" in str(app.screen.query_one("#notes-count", Static).content)
        await pilot.press("a")
        await settle(pilot)
        assert not isinstance(app.screen, NoteDialog)
