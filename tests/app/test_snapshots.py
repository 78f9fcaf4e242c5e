"""Snapshots of stable screens on the demo at 100x32: the Library, the Rack, the help.
(Behaviour is tested through state elsewhere; these catch a screen that stops looking right.)
Update them with `pytest tests/app/test_snapshots.py --snapshot-update` after a deliberate
change, and look at the report before committing."""

from __future__ import annotations

from textual.widgets import Tree

from .conftest import SIZE, Demo, settle, settle_until


def stable(app) -> None:  # type: ignore[no-untyped-def]
    app.sub_title = "demo library"  # not the temporary folder's path


async def _library(pilot) -> None:  # type: ignore[no-untyped-def]
    stable(pilot.app)
    await settle(pilot)
    # The tree's cursor goes to the first song after a refresh: wait for it to get there.
    tree = pilot.app.screen.query_one(Tree)
    await settle_until(pilot, lambda: tree.cursor_line == 1)


async def _rack(pilot) -> None:  # type: ignore[no-untyped-def]
    stable(pilot.app)
    await settle(pilot)
    pilot.app.open_song("Night Drive/Opener")
    await settle(pilot)


async def _help(pilot) -> None:  # type: ignore[no-untyped-def]
    stable(pilot.app)
    await settle(pilot)
    await pilot.press("question_mark")
    await settle(pilot)


def test_library_screen(snap_compare, demo: Demo) -> None:
    assert snap_compare(demo.app(), terminal_size=SIZE, run_before=_library)


def test_rack_screen(snap_compare, demo: Demo) -> None:
    assert snap_compare(demo.app(), terminal_size=SIZE, run_before=_rack)


def test_help_screen(snap_compare, demo: Demo) -> None:
    assert snap_compare(demo.app(), terminal_size=SIZE, run_before=_help)
