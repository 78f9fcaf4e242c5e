"""The Library screen: sessions, songs and revisions; search; opening a song."""

from __future__ import annotations

from textual.widgets import Tree

from recall.library import Library

from .conftest import SIZE, Demo, settle


async def test_the_library_lists_the_album_and_opens_a_song(demo: Demo) -> None:
    app = demo.app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        tree = app.screen.query_one(Tree)
        session = tree.root.children[0]
        assert str(session.label) == "Night Drive — The Demo Band"
        titles = [str(n.label) for n in session.children]
        assert titles[0].startswith(" 1. Opener") and "rev 2 · draft" in titles[0]
        assert len(titles) == 3
        await pilot.press("enter")  # the cursor starts on the first song
        await settle(pilot)
        assert (app.song, app.revision, app.current_mode) == ("Night Drive/Opener", None,
                                                              "rack")


async def test_search_narrows_the_tree_and_revisions_open(demo: Demo) -> None:
    app = demo.app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"burn")
        await settle(pilot)
        tree = app.screen.query_one(Tree)
        [session] = tree.root.children
        assert [str(n.label).split("   ")[0] for n in session.children] == [" 2. Slow Burn"]
        await pilot.press("enter")  # back to the tree
        song = session.children[0]
        song.expand()
        await settle(pilot)
        assert [str(n.label) for n in song.children] == [
            "rev 1 · draft · 5 units", "rev 2 · draft · 5 units"]
        tree.move_cursor(song.children[0])
        await pilot.press("enter")
        await settle(pilot)
        assert (app.song, app.revision) == ("Night Drive/Slow Burn", 1)


async def test_keys_switch_screens_and_help_opens(demo: Demo) -> None:
    app = demo.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for key, mode in (("n", "notes"), ("d", "diff"), ("m", "measure"), ("s", "sheet"),
                          ("c", "recall"), ("r", "rack"), ("l", "library")):
            await pilot.press(key)
            await settle(pilot)
            assert app.current_mode == mode
        await pilot.press("question_mark")
        await settle(pilot)
        assert type(app.screen).__name__ == "HelpScreen"
        await pilot.press("escape")
        await pilot.press("t")
        assert app.theme == "textual-light"


async def test_a_session_and_a_song_are_created_from_the_keyboard(demo: Demo) -> None:
    app = demo.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("N", *"Live EP", "enter", *"The Band", "enter")
        await settle(pilot)
        tree = app.screen.query_one(Tree)
        live = next(n for n in tree.root.children if str(n.label).startswith("Live EP"))
        tree.move_cursor(live)
        await pilot.press("A", *"Encore", "enter")
        await settle(pilot)
        # A bad name: one line in the error dialog, nothing written.
        tree.move_cursor(next(n for n in app.screen.query_one(Tree).root.children
                              if str(n.label).startswith("Live EP")))
        await pilot.press("A", *"Side A/B", "enter")
        try:
            await settle(pilot)
        except Exception:  # noqa: BLE001 - the failed write is what this step expects
            await pilot.pause()
        assert type(app.screen).__name__ == "ErrorDialog"
        assert "path separator" in str(app.screen.query_one("#error-message").render())
        # Enter on the new song starts its first revision (in the demo studio) on the Rack.
        await pilot.press("escape")
        await settle(pilot)
        tree = app.screen.query_one(Tree)
        live = next(n for n in tree.root.children if str(n.label).startswith("Live EP"))
        live.expand()
        await settle(pilot)
        tree.move_cursor(live.children[0])
        await pilot.press("enter")
        await settle(pilot)
        assert (app.current_mode, app.song) == ("rack", "Live EP/Encore")
    with Library(demo.library_path) as library:
        assert library.session("Live EP").artist == "The Band"
        assert [s.title for s in library.songs("Live EP")] == ["Encore"]
        first = library.revision("Live EP/Encore")
        assert first.number == 1 and first.studio_fingerprint is not None


async def test_the_palette_offers_the_screens_keys_as_commands(demo: Demo) -> None:
    app = demo.app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert {"Go to Rack", "New session", "Add song", "Search", "Help"} <= set(titles)
        await pilot.press("ctrl+p", *"new session")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "FormDialog"
