"""The app on the demo library and its emulated rack, for functional tests with Pilot."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from textual.worker import WorkerCancelled, WorkerFailed

from controller.demo import DemoRack, build_demo
from recall.studio import Studio
from tui.app.app import OutboardApp, make_app
from tui.app.context import AppContext

SIZE = (100, 32)  # the tests' terminal; the app also works at 80x24


class Demo:
    """A demo library (no mixes unless asked), its studio, its emulated rack and an app."""

    def __init__(self, folder: Path, *, mixes: bool = False) -> None:
        self.folder = folder
        self.library_path, self.studio = build_demo(folder, mixes=mixes)
        self.rack = DemoRack(self.studio)

    @property
    def studio_file(self) -> Studio:
        return self.studio

    def app(self) -> OutboardApp:
        return make_app(AppContext(self.library_path, self.studio, opener=self.rack.opener,
                                   unit_values=self.rack.unit_values, demo_folder=self.folder))


@pytest.fixture
def demo(tmp_path: Path) -> Demo:
    return Demo(tmp_path / "demo")


@pytest.fixture
def demo_with_mixes(tmp_path: Path) -> Demo:
    return Demo(tmp_path / "demo", mixes=True)


async def settle(pilot) -> None:  # type: ignore[no-untyped-def]
    """Let the workers finish and the screen catch up (no sleeps on wall-clock guesses). A
    worker cancelled because a newer one replaced it (an exclusive reload) is not a failure."""
    for _ in range(2):
        while True:
            try:
                await pilot.app.workers.wait_for_complete()
            except WorkerCancelled:
                continue
            break
        await pilot.pause()


async def settle_until(pilot, done: Callable[[], bool]) -> None:  # type: ignore[no-untyped-def]
    """settle() until ``done()``: a key or button starts a worker whose end may start another
    (counted in rounds of work, never in wall-clock time)."""
    for _ in range(10):
        await settle(pilot)
        if done():
            return
    assert done()


async def settle_through_failure(pilot) -> None:  # type: ignore[no-untyped-def]
    """settle(), for when a worker is meant to fail: its failure becomes a dialog."""
    for _ in range(2):
        await pilot.pause()
        try:
            await pilot.app.workers.wait_for_complete()
        except (WorkerFailed, WorkerCancelled):
            pass
    await pilot.pause()
