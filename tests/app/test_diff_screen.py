"""The Diff screen: the chosen revision against its parent by default, changes only; keys
move revision A and B; the demo's known differences."""

from __future__ import annotations

import contextlib

from textual.pilot import Pilot
from textual.widgets import DataTable, Static
from textual.worker import WorkerFailed

from recall.library import Library
from tui.app.app import OutboardApp
from tui.app.errors import ErrorDialog
from tui.app.screens.diff import DiffScreen

from .conftest import SIZE, Demo, settle

SONG = "Night Drive/Opener"


async def open_diff(app: OutboardApp, pilot: Pilot[None], song: str = SONG,
                    number: int | None = None) -> DataTable[object]:
    await settle(pilot)
    app.switch_mode("library")  # songs are opened from the Library
    app.open_song(song, number, screen="diff")
    await settle(pilot)
    assert isinstance(app.screen, DiffScreen)
    return app.screen.query_one(DataTable)


def rows(table: DataTable[object]) -> list[list[str]]:
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


def title(app: OutboardApp) -> str:
    return str(app.screen.query_one("#diff-title", Static).render())


async def test_the_chosen_revision_against_its_parent_shows_the_known_changes(
        demo: Demo) -> None:
    app = demo.app()
    async with app.run_test(size=SIZE) as pilot:
        table = await open_diff(app, pilot)
        assert title(app).startswith(f"{SONG} · A: rev 1 (draft) → B: rev 2 (draft)")
        assert [str(c.label) for c in table.ordered_columns] == ["Change", "A: rev 1",
                                                                 "B: rev 2", "Δ"]
        shown = rows(table)
        assert shown[:6] == [
            ["Serial EQ", "", "", ""],
            ["  Gain", "-1.5 dB", "-2.5 dB", "-1 dB"],
            ["Pultec", "", "", ""],
            ["  Low Frequency", "60 Hz", "100 Hz", "+40 Hz"],
            ["  Low Boost", "3", "4.5", "+1.5"],
            ["Notes opened", "", "", ""]]
        assert shown[6][0].startswith("  #3 @1:03.0 Love the new low end")
        assert shown[7][0] == "Notes addressed"
        assert [r[2] for r in shown[8:]] == ["addressed in 2", "addressed in 2"]


async def test_keys_move_a_and_b_and_swap_them(demo: Demo) -> None:
    with Library(demo.library_path) as library:  # a third revision: the Pultec bypassed
        library.new_revision(SONG)
        library.set_bypass(SONG, 3, "Pultec", True)
    app = demo.app()
    async with app.run_test(size=SIZE) as pilot:
        table = await open_diff(app, pilot)  # the latest against its parent
        assert "A: rev 2 (draft) → B: rev 3 (draft) · 3 revisions" in title(app)
        assert rows(table) == [["Chain", "", "", ""], ["  Pultec", "in", "bypassed",
                                                       "bypassed"]]
        await pilot.press("left_square_bracket")
        await settle(pilot)
        assert "A: rev 1" in title(app)
        assert {r[0] for r in rows(table)} >= {"  Pultec", "  Low Boost", "  Gain"}
        await pilot.press("left_square_bracket")  # no revision before 1: A stays
        await settle(pilot)
        assert "A: rev 1" in title(app)
        await pilot.press("left_curly_bracket")
        await settle(pilot)
        assert "A: rev 1 (draft) → B: rev 2 (draft)" in title(app)
        assert ["  Low Boost", "3", "4.5", "+1.5"] in rows(table)
        await pilot.press("w")
        await settle(pilot)
        assert "A: rev 2 (draft) → B: rev 1 (draft)" in title(app)
        assert ["  Low Boost", "4.5", "3", "-1.5"] in rows(table)
        await pilot.press("right_square_bracket", "right_curly_bracket")
        await settle(pilot)
        assert "A: rev 3 (draft) → B: rev 2 (draft)" in title(app)
        assert rows(table)[1] == ["  Pultec", "bypassed", "in", "unbypassed"]


async def test_a_revision_chosen_on_the_library_is_compared_with_its_parent(
        demo: Demo) -> None:
    app = demo.app()
    async with app.run_test(size=SIZE) as pilot:
        table = await open_diff(app, pilot, "Night Drive/Closer", 2)
        shown = rows(table)
        assert ["  Bypass", "in", "bypassed", ""] in shown
        assert ["  High Boost", "3", "2", "-1"] in shown
        table = await open_diff(app, pilot, "Night Drive/Closer", 1)
        assert "A: rev 1 (draft) → B: rev 1 (draft)" in title(app)  # nothing before it
        assert rows(table) == [["No changes", "", "", ""]]


async def test_a_song_that_is_gone_shows_the_error_dialog(demo: Demo) -> None:
    app = demo.app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.open_song("Night Drive/Missing", screen="diff")
        with contextlib.suppress(WorkerFailed):  # waiting on the failed load re-raises
            await app.workers.wait_for_complete()
        await settle(pilot)
        assert isinstance(app.screen, ErrorDialog)
        assert "no song" in str(app.screen.query_one("#error-message", Static).render())
