"""The Rack screen: the chain of a revision, stepping and typing values, bypass, reordering,
adding and removing units, new revisions, and a printed revision's offer; every edit
checked in the library file itself."""

from __future__ import annotations

import contextlib

from textual.pilot import Pilot
from textual.widgets import Input, OptionList, Static
from textual.worker import WorkerFailed

from recall.library import Library
from tui.app.app import OutboardApp
from tui.app.errors import ErrorDialog
from tui.app.screens.rack import ConfirmDialog, PickDialog, RackScreen, RackTable, ValueDialog

from .conftest import SIZE, Demo, settle

SONG = "Night Drive/Opener"


def setting(demo: Demo, unit: str, parameter: str, number: int = 2) -> float:
    with Library(demo.library_path) as library:
        return library.revision(SONG, number).unit(unit).settings[parameter]


def chain(demo: Demo, number: int = 2) -> list[tuple[str, bool]]:
    with Library(demo.library_path) as library:
        return [(u.unit, u.bypassed) for u in library.revision(SONG, number).chain]


async def open_rack(app: OutboardApp, pilot: Pilot[None], number: int | None = None) -> RackTable:
    await settle(pilot)
    app.open_song(SONG, number)
    await settle(pilot)
    assert isinstance(app.screen, RackScreen)
    return app.screen.query_one(RackTable)


def cursor_to(table: RackTable, unit: str, parameter: str | None = None) -> None:
    key = f"control\x1f{unit}\x1f{parameter}" if parameter else f"unit\x1f{unit}"
    table.move_cursor(row=table.get_row_index(key))


async def settle_failure(pilot: Pilot[None]) -> None:
    """Settle after a worker that is meant to fail (waiting on it re-raises its error)."""
    with contextlib.suppress(WorkerFailed):
        await pilot.app.workers.wait_for_complete()
    await settle(pilot)


def cells(table: RackTable) -> list[str]:
    return [str(c) for c in table.get_row_at(table.cursor_row)]


async def test_the_chain_shows_sections_values_positions_and_changes(demo: Demo) -> None:
    app = demo.app()
    async with app.run_test(size=(80, 24)) as pilot:
        table = await open_rack(app, pilot)
        title = str(app.screen.query_one("#rack-title", Static).render())
        assert title.startswith("Night Drive/Opener · rev 2 (from rev 1) · draft · editable")
        assert "studio Demo Room" in title
        units = [str(table.get_row(k)[0]) for k in table.rows if k.value.startswith("unit")]
        assert units == ["1. Finalizer", "2. System 6000", "3. Serial EQ", "4. Pultec",
                         "5. Stepped EQ"]
        cursor_to(table, "Pultec", "low_freq")
        assert cells(table) == ["    Low Frequency", "100 Hz", "position 4 of 4",
                                "● was 60 Hz"]
        cursor_to(table, "Pultec", "low_atten")
        assert cells(table)[1:] == ["0", "", ""]
        # Up and down skip the section headings: from the unit row to its first control.
        cursor_to(table, "Pultec")
        await pilot.press("down")
        assert cells(table)[0] == "    Low Frequency"
        await pilot.press("up")
        assert cells(table)[0] == "4. Pultec"


async def test_arrows_step_a_control_and_each_step_is_saved(demo: Demo) -> None:
    app = demo.app()
    async with app.run_test(size=SIZE) as pilot:
        table = await open_rack(app, pilot)
        cursor_to(table, "Pultec", "low_boost")
        await pilot.press("right")
        await settle(pilot)
        assert setting(demo, "Pultec", "low_boost") == 4.6
        assert cells(table)[1:] == ["4.6", "", "● was 3"]
        await pilot.press("left", "left", "left")  # quick presses land in order
        await settle(pilot)
        assert setting(demo, "Pultec", "low_boost") == 4.3
        await pilot.press(*["right"] * 8, "shift+right")
        await settle(pilot)
        assert setting(demo, "Pultec", "low_boost") == 6.1
        for _ in range(12):  # a held key: steps queue faster than the library writes them
            table.action_step(-1)
        await settle(pilot)
        assert setting(demo, "Pultec", "low_boost") == 4.9
        assert cells(table)[1] == "4.9"
        cursor_to(table, "Pultec", "low_freq")
        await pilot.press("left")
        await settle(pilot)
        assert setting(demo, "Pultec", "low_freq") == 60.0
        assert cells(table)[1:] == ["60 Hz", "position 3 of 4", ""]  # as in rev 1 again


async def test_enter_types_an_exact_value_or_a_label(demo: Demo) -> None:
    app = demo.app()
    async with app.run_test(size=SIZE) as pilot:
        table = await open_rack(app, pilot)
        cursor_to(table, "Pultec", "low_boost")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ValueDialog)
        assert app.screen.query_one(Input).value == "4.5"
        await pilot.press(*"7.5", "enter")  # the old value is selected: typing replaces it
        await settle(pilot)
        assert setting(demo, "Pultec", "low_boost") == 7.5
        cursor_to(table, "Serial EQ", "frequency")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press(*"250 Hz", "enter")
        await settle(pilot)
        assert setting(demo, "Serial EQ", "frequency") == 250.0
        assert cells(table)[1:3] == ["250 Hz", "position 2 of 5"]
        await pilot.press("enter", "escape")  # Escape changes nothing
        await settle(pilot)
        assert isinstance(app.screen, RackScreen)
        assert setting(demo, "Serial EQ", "frequency") == 250.0


async def test_a_bad_typed_value_shows_the_error_and_changes_nothing(demo: Demo) -> None:
    app = demo.app()
    async with app.run_test(size=SIZE) as pilot:
        table = await open_rack(app, pilot)
        cursor_to(table, "Pultec", "low_boost")
        for typed in ("loud", "11"):
            await pilot.press("enter")
            await settle(pilot)
            await pilot.press(*typed, "enter")
            await settle_failure(pilot)
            assert isinstance(app.screen, ErrorDialog)
            message = str(app.screen.query_one("#error-message", Static).render())
            assert ("neither a number" if typed == "loud" else "outside 0 to 10") in message
            await pilot.press("escape")
            await settle(pilot)
            assert setting(demo, "Pultec", "low_boost") == 4.5
            assert cells(table)[1] == "4.5"


async def test_bypass_and_reorder_from_the_keyboard(demo: Demo) -> None:
    app = demo.app()
    async with app.run_test(size=SIZE) as pilot:
        table = await open_rack(app, pilot)
        cursor_to(table, "Pultec", "high_boost")
        await pilot.press("b")
        await settle(pilot)
        assert ("Pultec", True) in chain(demo)
        cursor_to(table, "Pultec")
        assert cells(table)[1] == "bypassed"
        assert cells(table)[3] == "bypassed since rev 1"
        await pilot.press("ctrl+up", "ctrl+up")
        await settle(pilot)
        assert [u for u, _ in chain(demo)] == ["Finalizer", "Pultec", "System 6000",
                                               "Serial EQ", "Stepped EQ"]
        assert cells(table)[0] == "2. Pultec"  # the cursor stays with the unit
        await pilot.press("ctrl+down", "b")
        await settle(pilot)
        assert chain(demo)[2] == ("Pultec", False)
        assert cells(table)[0] == "3. Pultec"


async def test_remove_a_unit_after_confirming_and_add_it_back(demo: Demo) -> None:
    app = demo.app()
    async with app.run_test(size=SIZE) as pilot:
        table = await open_rack(app, pilot)
        cursor_to(table, "Serial EQ", "gain")
        await pilot.press("x")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("n")
        await settle(pilot)
        assert len(chain(demo)) == 5
        await pilot.press("x", "y")
        await settle(pilot)
        assert [u for u, _ in chain(demo)] == ["Finalizer", "System 6000", "Pultec",
                                               "Stepped EQ"]
        cursor_to(table, "Finalizer")
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, PickDialog)
        options = app.screen.query_one(OptionList)
        assert [str(options.get_option_at_index(i).prompt)
                for i in range(options.option_count)] == ["Serial EQ · generic-serial-ascii"]
        await pilot.press("enter")
        await settle(pilot)
        assert [u for u, _ in chain(demo)][:2] == ["Finalizer", "Serial EQ"]  # after the cursor
        assert setting(demo, "Serial EQ", "gain") == 0.0  # a new unit starts at its defaults
        cursor_to(table, "Serial EQ")
        assert cells(table)[0] == "2. Serial EQ"


async def test_a_printed_revision_offers_a_new_revision_for_the_edit(demo: Demo) -> None:
    with Library(demo.library_path) as library:
        library.record_print(SONG, 2, path="x.wav", sha256="0" * 64)
    app = demo.app()
    async with app.run_test(size=SIZE) as pilot:
        table = await open_rack(app, pilot)
        assert "· printed · frozen ·" in str(app.screen.query_one("#rack-title", Static).render())
        cursor_to(table, "Pultec", "low_boost")
        await pilot.press("right")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("n")  # declined: nothing happens
        await settle(pilot)
        with Library(demo.library_path) as library:
            assert [r.number for r in library.revisions(SONG)] == [1, 2]
        await pilot.press("right")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert setting(demo, "Pultec", "low_boost", 3) == 4.6
        assert setting(demo, "Pultec", "low_boost", 2) == 4.5
        assert app.revision == 3
        title = str(app.screen.query_one("#rack-title", Static).render())
        assert "rev 3 (from rev 2) · draft · editable" in title
        assert cells(table)[1:] == ["4.6", "", "● was 4.5"]
        await pilot.press("right")  # the new revision takes edits directly
        await settle(pilot)
        assert setting(demo, "Pultec", "low_boost", 3) == 4.7


async def test_v_starts_a_new_revision_from_the_one_shown(demo: Demo) -> None:
    app = demo.app()
    async with app.run_test(size=SIZE) as pilot:
        await open_rack(app, pilot, 1)
        await pilot.press("v")
        await settle(pilot)
        assert app.revision == 3
        assert setting(demo, "Pultec", "low_boost", 3) == 3.0  # as in revision 1
        title = str(app.screen.query_one("#rack-title", Static).render())
        assert "rev 3 (from rev 1)" in title and "no changes since rev 1" in title
