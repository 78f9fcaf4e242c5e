"""The Sheet screen: a Markdown preview, exports in HTML and CSV written whole to an editable
path, a session's sheet, and a bad path refused with a dialog and nothing written."""

from __future__ import annotations

import csv
from html.parser import HTMLParser
from pathlib import Path

from rich.markdown import Markdown
from textual.widgets import Input, Select, Static

from recall.library import Library
from tui.app.errors import ErrorDialog
from tui.app.screens.sheet import SheetScreen

from .conftest import SIZE, Demo, settle, settle_through_failure, settle_until

SONG = "Night Drive/Opener"


class TextOf(HTMLParser):
    """The text of an HTML page, and whether its tags balance."""

    VOID = {"meta", "img", "br", "hr", "link", "input", "col", "wbr"}

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.open and self.open[-1] == tag, f"</{tag}> closes <{self.open[-1:]}>"
        self.open.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def units_of(demo: Demo, song: str, revision: int | None = None) -> list[str]:
    with Library(demo.library_path) as library:
        return [u.unit for u in library.revision(song, revision).chain]


async def set_path(pilot, path: Path) -> None:  # type: ignore[no-untyped-def]
    field = pilot.app.screen.query_one("#sheet-path", Input)
    field.value = str(path)
    await pilot.pause()






async def test_the_preview_and_the_default_path_follow_the_chosen_song(demo: Demo) -> None:
    app = demo.app()
    async with app.run_test(size=SIZE) as pilot:
        app.open_song(SONG, 1, screen="sheet")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SheetScreen)
        assert screen.query_one("#sheet-path", Input).value == str(
            demo.folder / "Night Drive - Opener - rev 1.html")
        assert screen.preview is not None
        assert screen.preview.markdown.startswith("# Recall sheet: Opener, revision 1")
        preview = screen.query_one("#sheet-markdown", Static).content
        assert isinstance(preview, Markdown) and preview.markup == screen.preview.markdown
        screen.query_one("#sheet-format", Select).value = "csv"
        await settle(pilot)
        assert screen.query_one("#sheet-path", Input).value.endswith("Opener - rev 1.csv")


async def test_html_and_csv_sheets_are_written_with_the_song_units(demo: Demo) -> None:
    app = demo.app()
    units = units_of(demo, SONG)
    async with app.run_test(size=SIZE) as pilot:
        app.open_song(SONG, screen="sheet")
        await settle(pilot)
        page = demo.folder / "Night Drive - Opener - rev 2.html"
        await pilot.press("ctrl+s")  # html, to the suggested path
        await settle_until(pilot, page.is_file)
        parser = TextOf()
        parser.feed(page.read_text(encoding="utf-8"))
        parser.close()
        text = " ".join(parser.text)
        assert parser.open == [] and "Opener" in text
        assert all(unit in text for unit in units)
        assert str(page) in str(app.screen.query_one("#sheet-status", Static).content)

        app.screen.query_one("#sheet-format", Select).value = "csv"
        await settle(pilot)
        table = demo.folder / "controls.csv"
        await set_path(pilot, table)
        await pilot.click("#sheet-export")
        await settle_until(pilot, table.is_file)
        with table.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        assert {r["song"] for r in rows} == {"Opener"}
        assert {r["revision"] for r in rows} == {"2"}
        with Library(demo.library_path) as library:
            with_controls = [u.unit for u in library.revision(SONG).chain if u.settings]
        assert list(dict.fromkeys(r["unit"] for r in rows)) == with_controls
        assert {"Pultec", "Serial EQ"} <= set(with_controls)
        assert [p.name for p in demo.folder.iterdir() if p.name.endswith(".partial")] == []


async def test_the_whole_session_is_one_sheet(demo: Demo) -> None:
    app = demo.app()
    async with app.run_test(size=SIZE) as pilot:
        app.open_song(SONG, screen="sheet")
        await settle(pilot)
        app.screen.query_one("#sheet-scope", Select).value = "session"
        app.screen.query_one("#sheet-format", Select).value = "csv"
        await settle(pilot)
        path = app.screen.query_one("#sheet-path", Input).value
        assert path == str(demo.folder / "Night Drive - session.csv")
        await pilot.press("ctrl+s")
        await settle_until(pilot, Path(path).is_file)
        with open(path, encoding="utf-8", newline="") as handle:
            songs = list(dict.fromkeys(r["song"] for r in csv.DictReader(handle)))
        assert songs == ["Opener", "Slow Burn", "Closer"]


async def test_a_bad_path_is_an_error_dialog_and_nothing_is_written(
        demo: Demo, tmp_path: Path) -> None:
    app = demo.app()
    async with app.run_test(size=SIZE) as pilot:
        app.open_song(SONG, screen="sheet")
        await settle(pilot)
        await set_path(pilot, tmp_path / "no such folder" / "sheet.html")
        await pilot.press("ctrl+s")
        await settle_through_failure(pilot)
        assert isinstance(app.screen, ErrorDialog)
        assert "does not exist" in app.screen.message
        await pilot.press("escape")
        await pilot.pause()
        assert "Nothing written" in str(app.screen.query_one("#sheet-status", Static).content)
        await set_path(pilot, demo.folder)  # a folder, not a file
        await pilot.press("ctrl+s")
        await settle_through_failure(pilot)
        assert isinstance(app.screen, ErrorDialog)
        assert "is a folder" in app.screen.message
    assert not (tmp_path / "no such folder").exists()
    assert [p.name for p in tmp_path.rglob("*") if p.suffix in (".html", ".partial")] == []
