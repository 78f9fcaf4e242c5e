"""The Compare screen on the demo: two printed revisions nulled as compare_files nulls them."""

from __future__ import annotations

import re

from textual.widgets import DataTable, Static

from controller.compare import compare_files
from controller.print_session import print_revision
from recall.files import files_folder
from recall.library import Library
from recall.takes import Take
from tui.app.errors import ErrorDialog
from tui.app.screens.compare import HINT, CompareScreen
from tui.app.widgets.bands import BandBars

from .conftest import SIZE, Demo, settle, settle_through_failure, settle_until

SONG = "Night Drive/Opener"


def print_both(demo: Demo) -> list[Take]:
    """Revisions 1 and 2 of SONG printed on the demo's simulated loop; their takes."""
    with Library(demo.library_path) as library:
        for number in (1, 2):
            revision = library.revision(library.song(SONG).id, number)
            print_revision(library, demo.library_path, demo.studio, SONG, number,
                           unit_values=demo.rack.unit_values(revision),
                           fingerprint_after=False)
        return library.takes(SONG)


def shown(screen: CompareScreen, widget_id: str) -> str:
    return str(screen.query_one(f"#{widget_id}", Static).content)


def marks(screen: CompareScreen) -> dict[str, str]:
    """Which take row carries A and which B: {"A": "rev 1 take 1", ...}."""
    table = screen.query_one("#compare-takes", DataTable)
    found = {}
    for index in range(table.row_count):
        row = [str(cell) for cell in table.get_row_at(index)]
        if row[0]:
            found[row[0]] = f"rev {row[2]} take {row[1]}"
    return found


async def open_compare(pilot) -> CompareScreen:  # type: ignore[no-untyped-def]
    pilot.app.open_song(SONG, screen="compare")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, CompareScreen) and screen.view is not None
    return screen


async def test_two_revisions_null_as_compare_files_says(demo_with_mixes: Demo) -> None:
    takes = print_both(demo_with_mixes)
    folder = files_folder(demo_with_mixes.library_path)
    expected = compare_files(folder / takes[0].path, folder / takes[1].path)
    app = demo_with_mixes.app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("o")
        await settle(pilot)
        assert "No song chosen" in shown(app.screen, "compare-status")
        screen = await open_compare(pilot)
        # By default A is the earlier revision's print, B the open revision's.
        assert marks(screen) == {"A": "rev 1 take 1", "B": "rev 2 take 1"}
        assert "A (reference): rev 1 take 1" in shown(screen, "compare-pair")
        await pilot.press("enter")
        await settle_until(pilot, lambda: screen.comparison is not None)
        figures = shown(screen, "compare-figures")
        depth = re.search(r"Null depth\s+(-?\d+\.\d) dB", figures)
        assert depth is not None and float(depth.group(1)) == round(expected.null_depth_db, 1)
        assert f"{expected.gain_db:+.2f} dB applied to B" in figures
        for label in ("Offset", "Polarity", "Drift", "Residual", "Worst 400 ms", "B minus A"):
            assert label in figures
        octaves = screen.query_one("#compare-octaves", BandBars)
        thirds = screen.query_one("#compare-thirds", BandBars)
        assert len(octaves.rows) == len(expected.residual_octaves) == 10
        assert len(thirds.rows) == len(expected.spectrum_difference)
        assert [r.value_db for r in octaves.rows] == [
            b.level_db for b in expected.residual_octaves]
        # Revision 2 raised the Pultec's low boost: the low octaves differ, shown in red.
        assert any(r.flagged for r in octaves.rows if r.label in ("63 Hz", "125 Hz"))
        assert "differs" in str(octaves.render())
        assert f"null {float(depth.group(1)):.1f} dB" in shown(screen, "compare-status")


async def test_a_and_b_choose_the_takes_and_w_swaps_them(demo_with_mixes: Demo) -> None:
    print_both(demo_with_mixes)
    app = demo_with_mixes.app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_compare(pilot)
        await pilot.press("w")
        assert marks(screen) == {"A": "rev 2 take 1", "B": "rev 1 take 1"}
        # The cursor is on the newest take (rev 2): making it B as well leaves A unset.
        await pilot.press("b")
        assert marks(screen) == {"B": "rev 2 take 1"} and screen.a is None
        await pilot.press("enter")  # nothing to compare with
        await settle(pilot)
        assert screen.comparison is None and not screen.running
        await pilot.press("down", "a")
        assert marks(screen) == {"A": "rev 1 take 1", "B": "rev 2 take 1"}
        # Coming back to the screen keeps the choice.
        await pilot.press("l")
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)
        assert marks(screen) == {"A": "rev 1 take 1", "B": "rev 2 take 1"}


async def test_a_missing_print_is_an_error_dialog_and_the_screen_stays_ready(
        demo_with_mixes: Demo) -> None:
    takes = print_both(demo_with_mixes)
    (files_folder(demo_with_mixes.library_path) / takes[0].path).unlink()
    app = demo_with_mixes.app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_compare(pilot)
        await pilot.press("enter")
        await settle_through_failure(pilot)
        assert isinstance(app.screen, ErrorDialog)
        assert "r1 t1.wav" in app.screen.message
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen and not screen.running and screen.comparison is None
        assert HINT in shown(screen, "compare-status")


async def test_without_prints_the_screen_says_to_print_first(demo_with_mixes: Demo) -> None:
    app = demo_with_mixes.app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_compare(pilot)
        assert "No prints of this song yet" in shown(screen, "compare-status")
        assert screen.a is None and screen.b is None
        await pilot.press("enter", "a")
        await settle(pilot)
        assert screen.comparison is None and not screen.running
        # Printed meanwhile: coming back chooses the two prints.
        print_both(demo_with_mixes)
        await pilot.press("l")
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)
        assert marks(screen) == {"A": "rev 1 take 1", "B": "rev 2 take 1"}
        assert HINT in shown(screen, "compare-status")
