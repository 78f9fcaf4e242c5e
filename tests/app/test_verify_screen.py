"""The Verify screen on the demo's loop, and the artist's report exported from Print (e)."""

from __future__ import annotations

from textual.widgets import Static

from controller.print_session import print_revision
from recall.attempts import Outcome
from recall.library import Library
from tui.app.errors import ErrorDialog
from tui.app.screens.print import PrintScreen
from tui.app.screens.verify import VerifyScreen
from tui.app.widgets.bands import BandBars

from .conftest import SIZE, Demo, settle, settle_until

SONG = "Night Drive/Opener"


def print_latest(demo: Demo) -> None:
    """Revision 2 printed on the simulated loop as the demo's rack has its units, and the
    chain's fingerprint kept, as the Print screen prints it."""
    with Library(demo.library_path) as library:
        revision = library.revision(library.song(SONG).id)
        print_revision(library, demo.library_path, demo.studio, SONG,
                       unit_values=demo.rack.unit_values(revision))


def recall_with_low_boost(demo: Demo, value: float) -> None:
    """A recall of revision 2 in which the Pultec's Low Boost (4.5 in the revision) was set by
    hand to ``value`` and confirmed in the checklist."""
    with Library(demo.library_path) as library:
        attempt = library.start_attempt(
            SONG, 2, [Outcome(4, "Pultec", "low_boost", 4.5, "manual_confirmed", value)],
            studio_name=demo.studio.name)
        library.finish_attempt(attempt.id, "complete")


def shown(screen: VerifyScreen, widget_id: str) -> str:
    return str(screen.query_one(f"#{widget_id}", Static).content)


async def open_verify(pilot) -> VerifyScreen:  # type: ignore[no-untyped-def]
    pilot.app.open_song(SONG, screen="verify")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, VerifyScreen) and screen.view is not None
    return screen


async def run(pilot, screen: VerifyScreen, key: str) -> None:  # type: ignore[no-untyped-def]
    """Press ``key`` and wait until its check has reached the screen."""
    before = screen.check
    await pilot.press(key)
    await settle_until(pilot, lambda: not screen.running and screen.check is not None
                       and screen.check is not before)


async def test_a_knob_set_wrong_by_hand_is_caught_and_named(demo_with_mixes: Demo) -> None:
    print_latest(demo_with_mixes)
    app = demo_with_mixes.app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_verify(pilot)
        assert "the fingerprint kept" in shown(screen, "verify-against")
        assert "take 1, rev 2's latest complete print" in shown(screen, "verify-against")
        # As printed: verified both ways.
        await run(pilot, screen, "f")
        assert screen.check is not None and screen.check.verified
        assert shown(screen, "verify-verdict").startswith("VERIFIED")
        assert not screen.query_one("#verify-shifts", BandBars).display
        await run(pilot, screen, "n")
        assert screen.check.verified and shown(screen, "verify-verdict").startswith("VERIFIED")
        assert screen.check.comparison.null_depth_db < -60
        # The engineer set the Low Boost to 3 (the revision has 4.5).
        recall_with_low_boost(demo_with_mixes, 3.0)
        await run(pilot, screen, "f")
        verdict = shown(screen, "verify-verdict")
        assert not screen.check.verified and verdict.startswith("DIFFERS")
        first = verdict.split("\n")[2].strip()
        assert first.startswith("Pultec: Low Boost explains ") and (
            "the revision has 4.5" in first)
        assert "sounds like 3" in first  # its estimate, to three figures
        shifts = screen.query_one("#verify-shifts", BandBars)
        assert shifts.display and shifts.rows[0].heading
        assert shifts.rows[0].label.startswith("sweep at ")
        assert "Fingerprint check: DIFFERS" in shown(screen, "verify-status")
        # The null says so too, in the low octaves.
        await run(pilot, screen, "enter")
        assert not screen.check.verified
        assert shown(screen, "verify-verdict").startswith("DIFFERS: null ")
        octaves = screen.query_one("#verify-octaves", BandBars)
        assert octaves.display and not shifts.display
        assert {r.label for r in octaves.rows if r.flagged} & {"63 Hz", "125 Hz"}


async def test_nothing_printed_says_print_it_first(demo: Demo) -> None:
    app = demo.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("v")
        await settle(pilot)
        assert "No song chosen" in shown(app.screen, "verify-status")
        screen = await open_verify(pilot)
        assert "print it first" in shown(screen, "verify-status")
        assert "no fingerprint yet" in shown(screen, "verify-against")
        await pilot.press("f")
        await settle(pilot)
        assert not screen.running and screen.check is None
        assert not isinstance(app.screen, ErrorDialog)
        assert "no fingerprint to verify against: print it first" in shown(
            screen, "verify-status")
        await pilot.press("n")
        await settle(pilot)
        assert "no complete print to verify against: print it first" in shown(
            screen, "verify-status")


async def test_e_on_the_print_screen_exports_the_artists_report(demo_with_mixes: Demo) -> None:
    print_latest(demo_with_mixes)
    app = demo_with_mixes.app()
    async with app.run_test(size=SIZE) as pilot:
        app.open_song(SONG, screen="print")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, PrintScreen)
        target = demo_with_mixes.folder / "Opener.html"
        assert not target.exists()
        await pilot.press("e")
        await settle_until(pilot, target.exists)
        await settle(pilot)
        page = target.read_text(encoding="utf-8")
        assert page.startswith("<!DOCTYPE html") or page.lstrip().startswith("<")
        assert "Opener" in page and "Night Drive" in page
        status = str(screen.query_one("#print-status", Static).content)
        assert f"Wrote the artist's report to {target}" in status
        assert not list(demo_with_mixes.folder.glob(".*.partial"))
