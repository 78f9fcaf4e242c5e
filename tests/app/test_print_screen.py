"""The Print screen on the demo's simulated loop: a print with live meters that reach the
screen at a display's rate, the take in the ledger and on disk; a print stopped by hand."""

from __future__ import annotations

import math

import pytest
import soundfile as sf
from textual.widgets import DataTable, Static

from controller.audio.printing import PrintProgress
from controller.meter.results import LiveReading
from recall.files import files_folder
from recall.library import Library
from tui.app.context import AppContext
from tui.app.errors import ErrorDialog
from tui.app.screens import print as print_screen
from tui.app.screens.print import UI_HZ, PrintScreen, Throttle
from tui.app.widgets.meters import PrintMeters

from .conftest import SIZE, Demo, settle, settle_through_failure

SONG = "Night Drive/Opener"


def shown(screen: PrintScreen, widget_id: str) -> str:
    return str(screen.query_one(f"#{widget_id}", Static).content)


async def open_print_screen(pilot) -> PrintScreen:  # type: ignore[no-untyped-def]
    pilot.app.open_song(SONG, screen="print")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, PrintScreen)
    assert screen.view is not None and screen.view.loop == "A"
    return screen


async def wait_until_printed(pilot, screen: PrintScreen) -> None:  # type: ignore[no-untyped-def]
    """Until the print's worker has ended and its result has reached the screen."""
    while screen.printing:
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
    await settle(pilot)


async def test_a_print_meters_live_and_lands_in_the_ledger(demo_with_mixes: Demo) -> None:
    app = demo_with_mixes.app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_print_screen(pilot)
        assert "never pinged" in shown(screen, "print-loop")
        assert screen.query_one("#print-takes", DataTable).row_count == 0
        meters = screen.query_one(PrintMeters)
        await pilot.press("P")
        await wait_until_printed(pilot, screen)
        assert screen.outcome is not None
        # The meters saw the print as it went, at no more than a display's rate (the
        # simulated loop prints about ten times faster than real time).
        assert 0 < meters.updates <= UI_HZ * screen.outcome.result.seconds + 3
        assert meters.reading is not None and meters.frames > 0
        assert meters.channels[0].calibration is not None  # the demo's inputs are calibrated
        assert "dBu" in str(meters.render())
        # The verdict, the take in the ledger, and its file.
        assert screen.outcome is not None and screen.has_class("-verdict")
        verdict = shown(screen, "print-verdict")
        assert "Take 1 of rev 2: COMPLETE" in verdict and "Pinged loop A first" in verdict
        with Library(demo_with_mixes.library_path) as library:
            takes = library.takes(SONG)
        assert [(t.take, t.revision_number, t.state) for t in takes] == [(1, 2, "complete")]
        take = takes[0]
        assert take.sha256 and take.metadata["measurement"]["integrated_lufs"] is not None
        path = files_folder(demo_with_mixes.library_path) / take.path
        info = sf.info(str(path))
        seconds = 20.0 + 2.0  # the demo mix and the default tail
        assert info.frames == screen.outcome.result.frames == round(seconds * info.samplerate)
        assert meters.frames == info.frames
        # The takes list and the ping, refreshed.
        table = screen.query_one("#print-takes", DataTable)
        assert table.row_count == 1
        assert [str(c) for c in table.get_row_at(0)[:3]] == ["1", "2", "complete"]
        assert "holds" in shown(screen, "print-loop")


async def test_a_print_stopped_by_hand_keeps_its_partial_file(
        demo_with_mixes: Demo, monkeypatch: pytest.MonkeyPatch) -> None:
    real = print_screen.print_revision

    def held_at_first_meters(*args, abort, on_progress, **kwargs):  # type: ignore[no-untyped-def]
        # The print waits after its first meters until x has been pressed, so the stop lands
        # well before the song's end however fast the simulated loop runs.
        def progress(report) -> None:  # type: ignore[no-untyped-def]
            on_progress(report)
            abort.wait(timeout=30)

        return real(*args, abort=abort, on_progress=progress, **kwargs)

    monkeypatch.setattr(print_screen, "print_revision", held_at_first_meters)
    app = demo_with_mixes.app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_print_screen(pilot)
        meters = screen.query_one(PrintMeters)
        await pilot.press("enter")
        while screen.printing and meters.updates == 0:
            await pilot.pause()
        assert meters.updates == 1
        await pilot.press("x")
        await wait_until_printed(pilot, screen)
        assert screen.outcome is not None
        verdict = shown(screen, "print-verdict")
        assert "INCOMPLETE" in verdict and "stopped before the song's end" in verdict
        with Library(demo_with_mixes.library_path) as library:
            (take,) = library.takes(SONG)
        assert take.state == "incomplete" and take.sha256
        path = files_folder(demo_with_mixes.library_path) / take.path
        frames = sf.read(str(path), always_2d=True)[0].shape[0]
        assert 0 < frames == screen.outcome.result.frames < 20 * 48_000
        table = screen.query_one("#print-takes", DataTable)
        assert str(table.get_row_at(0)[2]) == "incomplete"


async def test_without_a_song_the_screen_says_how_to_choose_one(demo: Demo) -> None:
    app = demo.app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("p")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, PrintScreen)
        assert "No song chosen" in shown(screen, "print-status")
        await pilot.press("P")  # nothing to print: the key does nothing
        await settle(pilot)
        assert not screen.printing


async def test_a_song_without_a_mix_is_an_error_dialog_and_the_screen_stays_ready(
        demo: Demo) -> None:
    app = demo.app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_print_screen(pilot)
        await pilot.press("P")
        await settle_through_failure(pilot)
        assert isinstance(app.screen, ErrorDialog)
        assert "has no source mix" in app.screen.message
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen and not screen.printing
        assert "P or Enter prints" in shown(screen, "print-status")


async def test_the_screen_fits_a_small_terminal(demo_with_mixes: Demo) -> None:
    app = demo_with_mixes.app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_print_screen(pilot)
        meters = screen.query_one(PrintMeters)
        table = screen.query_one("#print-takes", DataTable)
        assert meters.region.height >= 8 and table.region.height >= 3


def test_queued_meter_updates_collapse_into_the_newest() -> None:
    reading = LiveReading(0, None, None, -math.inf, None, None, None, -math.inf, -math.inf,
                          (), (), None, None, 0)
    older, newer = (PrintScreen.Progress(PrintProgress(n, 100, 48_000, reading, 0))
                    for n in (1, 2))
    assert older.can_replace(newer)
    assert not PrintScreen.Pinging(("never pinged",)).can_replace(newer)
    throttle = Throttle(UI_HZ)
    assert throttle.ready() and not throttle.ready()  # the second within 1/UI_HZ s


def test_the_demo_rack_tells_the_print_what_its_units_are_set_to(demo: Demo) -> None:
    with Library(demo.library_path) as library:
        revision = library.revision(library.song(SONG).id)
    values = demo.app().context.live_values(revision)
    assert values is not None
    finalizer = next(u for u in demo.studio.units if u.name == "Finalizer")
    assert values(finalizer) == {p.id: demo.rack.units["Finalizer"].value(p.id)
                                 for p in demo.rack.units["Finalizer"].profile.parameters}
    assert AppContext(demo.library_path, demo.studio).live_values(revision) is None
