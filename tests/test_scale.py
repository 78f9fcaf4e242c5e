"""What keeps a large library fast, whatever the machine: the queries behind each screen and
command use indexes, the statements they run do not grow with the library (nor with a song's
revisions where only two are shown), and the Library tree holds only what it shows.

The libraries are the library benchmark's fill (benchmarks/library.py), made small."""

from __future__ import annotations

import importlib.util
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input, Tree
from textual.worker import WorkerCancelled

from controller.editing import load_chain_view
from recall.diff import diff_revisions
from recall.library import Library
from recall.sheet import song_sheet
from recall.sheet_render import render
from recall.store import Store
from tui.app.app import make_app
from tui.app.context import AppContext
from tui.app.screens import library as library_screen
from tui.app.screens.diff import load_diff
from tui.app.screens.library import load_revisions, load_sessions, load_songs
from tui.app.screens.notes import load_thread
from tui.app.screens.sheet import Request, load_preview
from tui.cli import main

ROOT = Path(__file__).resolve().parents[1]
SONGS = 10  # per session


def _benchmark(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(f"{name}_benchmark",
                                                  ROOT / "benchmarks" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def libraries(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The benchmark's fill at three sizes: "small" and "large" differ in sessions only,
    "deep" has the small one's sessions with twice the revisions per song."""
    fill = _benchmark("library").fill
    folder = tmp_path_factory.mktemp("scale")
    shapes = {"small": (5, 5), "large": (20, 5), "deep": (5, 10)}
    for name, (sessions, revisions) in shapes.items():
        fill(folder / f"{name}.sqlite", sessions=sessions, songs=SONGS, revisions=revisions)
    return {name: folder / f"{name}.sqlite" for name in shapes}


def _middle(path: Path) -> tuple[str, str, int]:
    """A session and a song in the middle of the library, and the song's latest revision."""
    with Library(path) as library:
        sessions = [s.title for s in library.sessions() if s.title != "Template"]
        session = sessions[len(sessions) // 2]
        song = f"{session}/Song {SONGS // 2:02d}"
        return session, song, library.revision(song).number


# What the app and the commands do when an engineer opens a song, each on (library, session,
# song, latest revision).
Operation = Callable[[Library, str, str, int], object]
OPERATIONS: dict[str, Operation] = {
    "open song": lambda lib, _, song, n: (lib.revision(song), lib.notes(song)),
    "list session": lambda lib, session, *_: lib.session_overview(session),
    "diff": lambda lib, _, song, n: diff_revisions(song, lib.revision(song, n - 1),
                                                   lib.revision(song, n), lib.notes(song)),
    "sheet": lambda lib, _, song, n: render(song_sheet(lib, song), "md"),
    "note list": lambda lib, _, song, n: lib.notes(song),
    "rev list": lambda lib, _, song, n: lib.revisions(song),
    "song show": lambda lib, _, song, n: lib.revision_summaries(song),
    "session list": lambda lib, *_: lib.session_summaries(),
    "app tree": lambda lib, *_: load_sessions(lib, ""),
    "app search": lambda lib, session, *_: load_sessions(lib, session.lower()),
    "app search songs": lambda lib, *_: load_sessions(lib, "song 03"),
    "app session": lambda lib, session, *_: load_songs(lib, next(
        r for r in load_sessions(lib, session)[0] if r.title == session)),
    "app revisions": lambda lib, _, song, n: load_revisions(lib, song),
    "app rack": lambda lib, _, song, n: load_chain_view(lib, song),
    "app diff": lambda lib, _, song, n: load_diff(lib, song, None, None, None),
    "app notes": lambda lib, _, song, n: load_thread(lib, song, only_open=False),
    "app sheet": lambda lib, _, song, n: load_preview(lib, Request(song, None, "song")),
}
# Listing sessions reads the session table in title order (at most a screenful for the app);
# nothing else reads a whole table.
MAY_SCAN_SESSIONS = {"session list", "app tree", "app search", "app search songs",
                     "app session"}
# A search that matches every session reads the songs of the first OPENED of them only.
BOUNDED = {"app search songs"}


@contextmanager
def traced(library: Library) -> Iterator[list[str]]:
    """Every statement ``library`` runs meanwhile, with its values."""
    seen: list[str] = []
    library.store.db.set_trace_callback(seen.append)
    try:
        yield seen
    finally:
        library.store.db.set_trace_callback(None)


def _statements(path: Path, name: str) -> list[str]:
    session, song, latest = _middle(path)
    with Library(path) as library, traced(library) as seen:
        OPERATIONS[name](library, session, song, latest)
    return seen


def _scans(db: sqlite3.Connection, statement: str) -> list[str]:
    """The steps of ``statement``'s query plan that read a whole table or index."""
    plan = db.execute(f"EXPLAIN QUERY PLAN {statement}").fetchall()
    return [row[3] for row in plan if row[3].startswith("SCAN ")
            and not row[3].startswith("SCAN CONSTANT ROW")]


@pytest.mark.parametrize("name", OPERATIONS)
def test_the_queries_behind_each_screen_and_command_use_indexes(
        libraries: dict[str, Path], name: str) -> None:
    statements = _statements(libraries["large"], name)
    reads = [s for s in statements if s.lstrip().upper().startswith(("SELECT", "WITH"))]
    assert reads
    with Library(libraries["large"]) as library:
        scans = {s: found for s in reads if (found := _scans(library.store.db, s))}
    allowed = ("SCAN session ",) if name in MAY_SCAN_SESSIONS else ()
    assert {s: found for s, found in scans.items()
            if not all(step.startswith(allowed) for step in found)} == {}


@pytest.mark.parametrize("name", [name for name in OPERATIONS if name not in BOUNDED])
def test_the_statements_run_do_not_grow_with_the_number_of_sessions(
        libraries: dict[str, Path], name: str) -> None:
    small = _statements(libraries["small"], name)
    large = _statements(libraries["large"], name)
    assert len(large) == len(small), (small, large)


def test_a_search_matching_every_session_reads_a_bounded_number_of_them(
        libraries: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(library_screen, "OPENED", 3)
    for path in libraries.values():
        assert len(_statements(path, "app search songs")) == 1 + 2 * 3


@pytest.mark.parametrize("name", ["open song", "diff", "sheet", "rev list", "song show",
                                  "app revisions", "app rack", "app diff", "app notes",
                                  "app sheet"])
def test_the_statements_run_do_not_grow_with_a_songs_revisions(
        libraries: dict[str, Path], name: str) -> None:
    assert len(_statements(libraries["deep"], name)) == len(_statements(libraries["small"],
                                                                        name))


def test_revisions_read_in_a_few_statements_match_those_read_one_by_one(
        libraries: dict[str, Path]) -> None:
    _, song, latest = _middle(libraries["small"])
    with Library(libraries["small"]) as library:
        every = library.revisions(song)
        summaries = library.revision_summaries(song)
        assert every == [library.revision(song, n) for n in range(1, latest + 1)]
        assert [(s.number, s.parent_number, s.status, s.frozen, s.units) for s in summaries] \
            == [(r.number, r.parent_number, r.status, r.frozen, len(r.chain)) for r in every]


def test_sessions_are_counted_and_searched_as_they_are_listed(
        libraries: dict[str, Path]) -> None:
    with Library(libraries["small"]) as library:
        library.new_session("Émile's ÉP")
        library.add_song("Émile's ÉP", "Ça Va")
        every, matched = library.session_summaries()
        assert matched == len(every) == 7
        assert [s.title for s in every] == [s.title for s in library.sessions()]
        assert {s.title: s.songs for s in every}["Album 0002"] == SONGS
        # A search finds titles whatever their case (beyond ASCII too), and counts the songs
        # that match in a session whose own title does not.
        found, matched = library.session_summaries("ça va")
        assert [(s.title, s.songs) for s in found] == [("Émile's ÉP", 1)] and matched == 1
        found, matched = library.session_summaries("SONG 03", limit=2)
        assert matched == 5 and [(s.title, s.songs) for s in found] == [
            ("Album 0001", 1), ("Album 0002", 1)]
        assert [song.title for song, *_ in library.session_overview(
            "Album 0002", matching="song 03")] == ["Song 03"]


def test_each_command_runs_the_same_statements_in_a_larger_library(
        libraries: dict[str, Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    seen: list[str] = []
    opened = Store.__init__

    def tracing(store: Store, *args: Any, **kwargs: Any) -> None:
        opened(store, *args, **kwargs)
        store.db.set_trace_callback(seen.append)

    monkeypatch.setattr(Store, "__init__", tracing)
    studio = _benchmark("commands").write_studio(tmp_path)
    counts: dict[str, list[int]] = {}
    for size in ("small", "large"):
        path = libraries[size]
        session, song, latest = _middle(path)
        at = ["--library", str(path)]
        for name, argv in {
                "session list": ["session", "list", *at],
                "session show": ["session", "show", session, *at],
                "song list": ["song", "list", session, *at],
                "song show": ["song", "show", song, *at],
                "rev list": ["rev", "list", song, *at],
                "rev show": ["rev", "show", song, *at],
                "diff": ["diff", song, str(latest - 1), str(latest), *at],
                "sheet": ["sheet", song, *at],
                "note list": ["note", "list", song, *at],
                "recall --dry-run": ["recall", song, "--dry-run", "--studio", str(studio),
                                     *at]}.items():
            seen.clear()
            assert main(argv) == 0, name
            assert capsys.readouterr().out
            counts.setdefault(name, []).append(len(seen))
    assert {name: small for name, (small, large) in counts.items() if large != small} == {}


# ---------------------------------------------------------------------------- the app tree


async def _settle(pilot: Any) -> None:
    for _ in range(2):
        while True:
            try:
                await pilot.app.workers.wait_for_complete()
            except WorkerCancelled:
                continue
            break
        await pilot.pause()


def _nodes(node: Any) -> int:
    """The nodes under ``node``, itself not counted."""
    return sum(1 + _nodes(child) for child in node.children)


def _sessions(tree: Any) -> list[Any]:
    return [n for n in tree.root.children if isinstance(n.data, library_screen.SessionRow)]


async def test_the_library_tree_holds_only_the_sessions_shown_and_the_songs_opened(
        libraries: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(library_screen, "SHOWN", 8)
    monkeypatch.setattr(library_screen, "OPENED", 3)
    app = make_app(AppContext(libraries["large"]))
    async with app.run_test(size=(100, 32)) as pilot:
        await _settle(pilot)
        tree = app.screen.query_one(Tree)
        count = app.screen.query_one("#library-count")
        # 8 of the 21 sessions (the template's too), none of their songs, and a last line
        # that adds the next 8.
        assert len(_sessions(tree)) == 8 and _nodes(tree.root) == 8 + 1
        assert str(count.content).startswith("8 of 21 sessions, 80 songs")
        more = tree.root.children[-1]
        assert str(more.label) == "… 13 more: Enter shows 8 more, / searches"
        tree.move_cursor(more)
        await pilot.press("enter")
        await _settle(pilot)
        assert len(_sessions(tree)) == 16 and _nodes(tree.root) == 16 + 1
        assert str(count.content).startswith("16 of 21 sessions, 160 songs")
        # A session opened reads its songs, each with a stand-in for its revisions.
        session = tree.root.children[4]
        session.expand()
        await _settle(pilot)
        assert [str(n.label).split("   ")[0] for n in session.children] == [
            f"{i:>2}. Song {i:02d}" for i in range(1, SONGS + 1)]
        assert _nodes(tree.root) == 16 + 1 + 2 * SONGS
        song = session.children[0]
        song.expand()
        await _settle(pilot)
        assert [str(n.label) for n in song.children] == [
            f"rev {n} · {'printed' if n < 5 else 'draft'} · 4 units" for n in range(1, 6)]
        # A search matching every session opens the first OPENED with the songs that match;
        # the others read theirs when opened, narrowed the same way.
        app.screen.query_one(Input).value = "song 03"
        await _settle(pilot)
        sessions = _sessions(tree)
        assert len(sessions) == 8 and str(count.content).startswith("8 of 20 sessions, 8 songs")
        assert [len(s.children) for s in sessions] == [1, 1, 1, 0, 0, 0, 0, 0]
        assert [s.is_expanded for s in sessions] == [True] * 3 + [False] * 5
        sessions[6].expand()
        await _settle(pilot)
        assert [str(n.label).split("   ")[0] for n in sessions[6].children] == [" 3. Song 03"]
        assert _nodes(tree.root) == 8 + 1 + 2 * 4


def test_the_command_line_starts_without_the_audio_machinery() -> None:
    # Every command pays for what `import tui.cli` loads: numpy and soundfile take about a
    # tenth of a second, and only the commands that handle audio need them.
    import subprocess
    import sys

    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, tui.cli; print(sorted({m.split('.')[0] for m in "
         "sys.modules} & {'numpy', 'soundfile', 'scipy', 'sounddevice', 'matplotlib', "
         "'textual'}))"],
        capture_output=True, text=True, check=True, cwd=Path(__file__).resolve().parents[1])
    assert loaded.stdout.strip() == "[]"
