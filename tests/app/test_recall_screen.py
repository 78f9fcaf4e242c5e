"""The Recall screen: the plan, sending with live progress, the checklist, resume, faults."""

from __future__ import annotations

from contextlib import suppress

import pytest
from textual.widgets import Input, Static
from textual.worker import WorkerFailed

from devices.emulator import Misbehaviour
from recall.attempts import Attempt
from recall.library import Library
from tui.app.app import make_app
from tui.app.context import AppContext
from tui.app.screens.recall import RecallScreen
from tui.app.widgets.recall_checklist import ChecklistPanel
from tui.app.widgets.recall_tables import OutcomeTable, UnitTable

from .conftest import SIZE, Demo, settle

SONG = "Night Drive/Opener"
REMOTE_UNITS = ("Finalizer", "System 6000", "Serial EQ")


def last_attempt(demo: Demo) -> Attempt:
    with Library(demo.library_path) as library:
        return library.attempts(SONG)[-1]


def states(attempt: Attempt, unit: str) -> dict[str, str]:
    return {o.parameter: o.state for o in attempt.outcomes if o.unit == unit}


def text_of(screen: RecallScreen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


def cell(screen: RecallScreen, unit: str, parameter: str, column: str) -> str:
    table = screen.query_one(OutcomeTable)
    return str(table.get_cell(table.row_key(unit, parameter), column))


async def open_recall(app, pilot, song: str = SONG) -> RecallScreen:  # type: ignore[no-untyped-def]
    await settle(pilot)
    app.open_song(song, screen="recall")
    await settle(pilot)
    assert isinstance(app.screen, RecallScreen)
    return app.screen


async def test_the_plan_shows_each_unit_and_sends_nothing(demo: Demo) -> None:
    app = demo.app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_recall(app, pilot)
        units = screen.query_one(UnitTable)
        rows = [[str(c) for c in units.get_row_at(i)] for i in range(units.row_count)]
        assert [r[1:4] for r in rows] == [
            ["Finalizer", "remote", "emulated:?channel=1"],
            ["System 6000", "remote", "emulated:?channel=2"],
            ["Serial EQ", "remote", "emulated:"],
            ["Pultec", "manual", "by hand"],
            ["Stepped EQ", "manual", "by hand"]]
        assert [r[4] for r in rows] == ["23 (0 read back)", "6 (0 read back)",
                                        "3 (3 read back)", "9", "24"]
        assert cell(screen, "Serial EQ", "gain", "target") == "-2.5 dB"
        assert cell(screen, "Serial EQ", "gain", "detail") == "was -1.5 dB"
        assert "rev 2 in 'Demo Room'" in text_of(screen, "#recall-status")
        assert demo.rack.units["Serial EQ"].value("gain") == 0.0
        with Library(demo.library_path) as library:
            assert library.attempts(SONG) == []


async def test_a_recall_sends_verifies_and_walks_the_checklist(demo: Demo) -> None:
    app = demo.app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_recall(app, pilot)
        await pilot.press("g")
        await settle(pilot)
        # The remote units: in the emulated rack, and in the library.
        assert demo.rack.units["Serial EQ"].value("gain") == pytest.approx(-2.5)
        attempt = last_attempt(demo)
        assert attempt.outcome == "running"
        assert set(states(attempt, "Serial EQ").values()) == {"verified"}
        assert set(states(attempt, "System 6000").values()) == {"sent"}
        assert set(states(attempt, "Finalizer").values()) == {"sent"}
        # The screen's tables followed.
        assert cell(screen, "Serial EQ", "gain", "state") == "verified"
        assert cell(screen, "Serial EQ", "gain", "actual") == "-2.5 dB"
        assert cell(screen, "Serial EQ", "gain", "tries") == "1"
        units = screen.query_one(UnitTable)
        assert str(units.get_cell("Serial EQ", "progress")) == "3 verified"
        assert str(units.get_cell("Pultec", "progress")) == "9 manual pending"
        # The checklist, one control at a time.
        panel = screen.query_one(ChecklistPanel)
        assert panel.display and app.focused is panel.value_field
        item = text_of(screen, "#checklist-item")
        assert "Pultec" in item and "control 1 of 33" in item
        assert "Low Frequency  →  100 Hz  position 4 of 4" in item
        assert "changed since the previous revision (was 60 Hz)" in item
        await pilot.press("enter")  # Low Frequency set as asked
        await settle(pilot)
        assert "Low Boost  →  4.5" in text_of(screen, "#checklist-item")
        await pilot.press(*"11", "enter")  # out of range: said, nothing recorded
        await settle(pilot)
        assert screen.query_one("#checklist-problem").display
        assert "outside 0 to 10" in text_of(screen, "#checklist-problem")
        assert states(last_attempt(demo), "Pultec")["low_boost"] == "manual_pending"
        panel.value_field.value = ""
        await pilot.press("4", "enter")  # turned to 4, not 4.5
        await settle(pilot)
        assert not screen.query_one("#checklist-problem").display
        await pilot.press("s")  # Low Atten skipped
        await settle(pilot)
        assert "High Frequency" in text_of(screen, "#checklist-item")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("q")  # leave the checklist
        await settle(pilot)
        assert not panel.display
        attempt = last_attempt(demo)
        assert attempt.outcome == "incomplete"
        pultec = {o.parameter: o for o in attempt.outcomes if o.unit == "Pultec"}
        assert (pultec["low_freq"].state, pultec["low_freq"].actual) == ("manual_confirmed",
                                                                         100.0)
        assert (pultec["low_boost"].state, pultec["low_boost"].actual) == ("manual_confirmed",
                                                                           4.0)
        assert pultec["low_boost"].detail == "set by hand to another value"
        assert pultec["low_atten"].state == "manual_pending"
        assert pultec["high_freq"].state == "manual_confirmed"
        assert pultec["high_boost"].state == "manual_pending"
        verdict = text_of(screen, "#recall-verdict")
        assert verdict.startswith(f"Recall incomplete (attempt #{attempt.id})")
        assert "3 verified" in verdict and "3 manual confirmed" in verdict
        assert "30 manual pending" in verdict
        assert cell(screen, "Pultec", "low_boost", "actual") == "4"

        # Resume: nothing remote is left to do; the checklist takes up what is pending.
        await pilot.press("R")
        await settle(pilot)
        resumed = last_attempt(demo)
        assert resumed.resumed_from == attempt.id and resumed.id != attempt.id
        item = text_of(screen, "#checklist-item")
        assert "Low Atten" in item and "control 1 of 30" in item
        for _ in range(30):
            await pilot.press("enter")
            await settle(pilot)
        resumed = last_attempt(demo)
        assert resumed.outcome == "complete"
        assert all(o.done for o in resumed.outcomes)
        pultec = {o.parameter: o for o in resumed.outcomes if o.unit == "Pultec"}
        assert pultec["low_boost"].actual == 4.0  # carried over from the first attempt
        assert text_of(screen, "#recall-verdict").startswith("Recall complete")


async def test_a_silent_unit_fails_alone_and_resume_verifies_it(demo: Demo) -> None:
    serial = demo.rack.units["Serial EQ"]
    serial.misbehaviour = Misbehaviour(silent=True)
    app = demo.app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_recall(app, pilot)
        await pilot.press("g")
        await settle(pilot)
        attempt = last_attempt(demo)
        assert set(states(attempt, "Serial EQ").values()) == {"failed"}
        assert set(states(attempt, "System 6000").values()) == {"sent"}
        assert set(states(attempt, "Finalizer").values()) == {"sent"}
        assert cell(screen, "Serial EQ", "gain", "state") == "failed"
        assert "stopped answering" in cell(screen, "Serial EQ", "gain", "detail")
        assert "1 unit(s) failed as devices" in text_of(screen, "#recall-status")
        await pilot.press("escape")  # leave the checklist: the verdict
        await settle(pilot)
        assert last_attempt(demo).outcome == "fault"
        verdict = text_of(screen, "#recall-verdict")
        assert verdict.startswith("Recall fault")
        assert "fault: Serial EQ: stopped answering after 2 timeouts" in verdict
        assert "3 failed" in verdict

        serial.misbehaviour = Misbehaviour()
        await pilot.press("R")
        await settle(pilot)
        resumed = last_attempt(demo)
        assert resumed.resumed_from == attempt.id
        assert set(states(resumed, "Serial EQ").values()) == {"verified"}
        assert serial.value("gain") == pytest.approx(-2.5)
        assert cell(screen, "Serial EQ", "gain", "state") == "verified"
        assert screen.query_one(ChecklistPanel).display  # the checklist continues


async def test_resume_without_an_earlier_attempt_is_an_error_dialog(demo: Demo) -> None:
    app = demo.app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_recall(app, pilot)
        await pilot.press("R")
        with suppress(WorkerFailed):  # settle() would raise it, as it should
            await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert type(app.screen).__name__ == "ErrorDialog"
        assert "no recall to resume" in str(app.screen.query_one("#error-message",
                                                                   Static).render())
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen and screen.phase == "plan"
        await pilot.press("g")  # the screen can go on
        await settle(pilot)
        assert screen.query_one(ChecklistPanel).display


async def test_without_a_studio_the_screen_says_how_to_configure_one(demo: Demo) -> None:
    app = make_app(AppContext(demo.library_path, None))
    async with app.run_test(size=SIZE) as pilot:
        await open_recall(app, pilot)
        status = text_of(app.screen, "#recall-status")  # type: ignore[arg-type]
        assert "No studio is configured" in status
        assert "$OUTBOARD_STUDIO" in status and "outboard --studio FILE" in status
        assert not app.screen.query_one(UnitTable).display
        await pilot.press("g")  # nothing to recall: nothing happens
        await settle(pilot)
        with Library(demo.library_path) as library:
            assert library.attempts(SONG) == []


async def test_typed_labels_are_recorded_as_their_values(demo: Demo) -> None:
    app = demo.app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_recall(app, pilot)
        await pilot.press("g")
        await settle(pilot)
        assert isinstance(app.focused, Input)
        await pilot.press(*"60 Hz", "enter")  # Low Frequency left at 60 Hz
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        low = {o.parameter: o for o in last_attempt(demo).outcomes}["low_freq"]
        assert (low.state, low.actual) == ("manual_confirmed", 60.0)
        assert cell(screen, "Pultec", "low_freq", "actual") == "60 Hz"
