"""Time the app: from start to its first painted screen in a real terminal, on the demo and
on a library of 1,000 sessions, 10,000 songs and 100,000 revisions; and, on that library, what
an engineer does in it: search and browse the Library, open a song on the Rack, switch its
revision, and show its Diff, Sheet and Notes.

Goals: under 1 s to the first screen, under 100 ms for each action. No other tool keeps this
record, so each figure is reported against its goal, as a ratio.
"""

from __future__ import annotations

import os
import sys

if sys.path and os.path.realpath(sys.path[0]) == os.path.dirname(os.path.realpath(__file__)):
    sys.path.pop(0)

import argparse
import asyncio
import importlib.util
import json
import shutil
import statistics
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.css.query import NoMatches
from textual.widgets import Input, Tree

from tui.app.app import make_app
from tui.app.context import AppContext

ROOT = Path(__file__).resolve().parents[1]
OUTBOARD = str(Path(sys.executable).parent / "outboard")
FIRST_PAINT_GOAL_S = 1.0
ACTION_GOAL_MS = 100.0
SHOWN_TEXT = "Night Drive — The Demo Band"  # on the demo's first screen
LIBRARY_TEXT = "Album 0001 — Artist 1"  # the first session of the benchmark's library
SIZE = (100, 32)


def first_paint(runs: int, *, library: Path | None = None) -> list[float]:
    """Seconds from starting `outboard demo` (or `outboard --library PATH`) in a 100x30 tmux
    terminal until the demo album (or the library's first session) is on the screen, polled
    every 5 ms."""
    tmux = shutil.which("tmux")
    if tmux is None:
        raise SystemExit("tmux is needed for the first-paint figure (apt-get install tmux)")
    times = []
    for _ in range(runs):
        server = [tmux, "-L", f"outboard-bench-{uuid.uuid4().hex[:8]}"]
        with tempfile.TemporaryDirectory() as folder:
            command = (f"'{OUTBOARD}' demo --folder '{folder}/demo'" if library is None
                       else f"'{OUTBOARD}' --library '{library}'")
            wanted = SHOWN_TEXT if library is None else LIBRARY_TEXT
            started = time.perf_counter()
            subprocess.run([*server, "new-session", "-d", "-s", "b", "-x", "100", "-y", "30",
                            command], check=True,
                           env=dict(os.environ, TERM="xterm-256color"))
            try:
                while True:
                    shown = subprocess.run([*server, "capture-pane", "-p", "-t", "b"],
                                           capture_output=True, text=True, check=False).stdout
                    if wanted in shown:
                        times.append(time.perf_counter() - started)
                        break
                    if time.perf_counter() - started > 60:
                        raise SystemExit(f"the app did not paint within 60 s:\n{shown}")
                    time.sleep(0.005)
            finally:
                subprocess.run([*server, "kill-server"], capture_output=True, check=False)
    return times


def _library_benchmark() -> Any:
    spec = importlib.util.spec_from_file_location("library_benchmark",
                                                  ROOT / "benchmarks" / "library.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ---------------------------------------------------------------------------- in the app

# The actions, in the order an engineer does them for each song; each is timed from the key
# (or the call a key makes) until the screen shows its outcome, checked once a frame.
START = "app start to tree"  # in-process, from making the app to its filled tree
ACTIONS = ("library tree", "search", "clear search", "more sessions", "expand session",
           "expand song", "open song", "switch revision", "diff screen", "sheet screen",
           "sheet preview", "notes screen", "back to library")


async def _until(done: Callable[[], bool], app: Any = None) -> None:
    """Let the app run until ``done()``, checked every millisecond (a pilot's pause waits
    for the process to idle in steps of 20 ms: too coarse a clock for a 100 ms goal); with
    ``app``, then until the app has laid out and painted what ``done`` looked for."""
    started = time.perf_counter()
    while not done():
        if time.perf_counter() - started > 120:
            raise SystemExit(f"the app did not get there within 120 s ({done.__qualname__}, "
                             f"line {done.__code__.co_firstlineno})")
        await asyncio.sleep(0.001)
    if app is not None:
        painted = asyncio.Event()
        app.call_after_refresh(painted.set)
        await painted.wait()


async def _timed(app: Any, times: dict[str, list[float]], name: str,
                 act: Callable[[], object], done: Callable[[], bool]) -> None:
    """Milliseconds from ``act()`` (a key, or the call a key makes) until the screen holds
    what ``done`` looks for, painted."""
    started = time.perf_counter()
    act()
    await _until(done, app)
    times.setdefault(name, []).append((time.perf_counter() - started) * 1000.0)


def _text(app: Any, selector: str) -> str:
    try:
        return str(app.screen.query_one(selector).content)
    except NoMatches:  # not composed yet
        return ""


def _tree(app: Any) -> Tree[Any] | None:
    if app.current_mode != "library":
        return None
    try:
        return app.screen.query_one("#library-tree", Tree)  # type: ignore[no-any-return]
    except NoMatches:
        return None


def _sessions_shown(app: Any) -> int:
    tree = _tree(app)
    return 0 if tree is None else sum(type(n.data).__name__ == "SessionRow"
                                      for n in tree.root.children)


def _loaded(node: Any, kind: str) -> bool:
    """Whether ``node``'s children are loaded rows of ``kind`` (not a placeholder)."""
    return bool(node.children) and all(type(c.data).__name__ == kind for c in node.children)


def _preview_shown(app: Any, song: str) -> bool:
    """Whether the Sheet screen's preview shows ``song``'s sheet (not a placeholder)."""
    screen = app.screen
    preview = getattr(screen, "preview", None)
    try:
        shown = screen.query_one("#sheet-markdown").content
    except NoMatches:
        return False
    return (preview is not None and preview.request.song == song
            and getattr(shown, "markup", None) == preview.markdown)


def _rack_showing(app: Any, song: str, number: int | None = None) -> bool:
    """Whether the Rack's title names ``song`` (at revision ``number``) and its table holds
    the chain's rows."""
    if app.current_mode != "rack":
        return False
    try:
        rows = app.screen.query_one("#rack-table").row_count
    except NoMatches:
        return False
    title = _text(app, "#rack-title")
    wanted = song if number is None else f"{song} · rev {number} "
    return title.startswith(wanted) and rows > 0


async def _start(path: Path) -> float:
    """Milliseconds from starting the app in-process until its Library tree is filled."""
    app = make_app(AppContext(path))
    started = time.perf_counter()
    async with app.run_test(size=SIZE):
        await _until(lambda: _sessions_shown(app) > 0, app)
        elapsed = (time.perf_counter() - started) * 1000.0
        await app.workers.wait_for_complete()
    return elapsed


async def _browse(path: Path, runs: int, revisions: int) -> dict[str, list[float]]:
    """Each action, once per song for ``runs`` + 1 songs (the first warms the screens and is
    left out)."""
    times: dict[str, list[float]] = {}
    app = make_app(AppContext(path))
    async with app.run_test(size=SIZE) as pilot:
        await _until(lambda: _sessions_shown(app) > 0)
        await app.workers.wait_for_complete()
        await pilot.pause()
        everything = _sessions_shown(app)
        for i in range(runs + 1):
            await _browse_once(app, times, i, everything=everything, revisions=revisions)
            await app.workers.wait_for_complete()
            await pilot.pause()
    return {name: times[name][1:] for name in ACTIONS if len(times.get(name, ())) > 1}


async def _browse_once(app: Any, times: dict[str, list[float]], i: int, *, everything: int,
                       revisions: int) -> None:
    """Every action once, on the ``i``-th song picked; the Library shows ``everything``
    sessions when no search narrows it."""
    screen = app.screen
    tree = screen.query_one("#library-tree", Tree)
    search = screen.query_one("#library-search", Input)
    # A session in the middle part of the tree, and one of its songs.
    title = tree.root.children[1 + (i * 37) % max(everything - 1, 1)].data.title
    first = tree.root.children[0]  # replaced when the tree is filled again
    await _timed(app, times, "library tree", lambda: screen.reload(""),
                 lambda: _sessions_shown(app) == everything and tree.root.children[0] is not first)
    await _timed(app, times, "search", lambda: setattr(search, "value", title),
                 lambda: _sessions_shown(app) == 1 and tree.root.children[0].data.title == title
                 and _loaded(tree.root.children[0], "SongRow"))
    await _timed(app, times, "clear search", screen.action_clear,
                 lambda: _sessions_shown(app) == everything)
    more = tree.root.children[-1]
    if type(more.data).__name__ == "MoreRow":  # the next sessions, when there are more
        selected = Tree.NodeSelected(more)  # as Enter on it
        await _timed(app, times, "more sessions", lambda: tree.post_message(selected),
                     lambda: _sessions_shown(app) > everything)
    node = next(n for n in tree.root.children if getattr(n.data, "title", None) == title)
    node.collapse()
    await _timed(app, times, "expand session", node.expand, lambda: _loaded(node, "SongRow"))
    song_node = node.children[(i * 7) % len(node.children)]
    song = song_node.data.song
    await _timed(app, times, "expand song", song_node.expand,
                 lambda: _loaded(song_node, "RevisionRow"))
    await _timed(app, times, "open song", lambda: app.open_song(song),
                 lambda: _rack_showing(app, song, revisions))
    earlier = max(revisions - 1, 1)
    await _timed(app, times, "switch revision", lambda: app.open_song(song, earlier),
                 lambda: _rack_showing(app, song, earlier))
    await _timed(app, times, "diff screen", lambda: app.switch_mode("diff"),
                 lambda: app.current_mode == "diff"
                 and _text(app, "#diff-title").startswith(f"{song} · A: rev"))
    started = time.perf_counter()
    await _timed(app, times, "sheet screen", lambda: app.switch_mode("sheet"),
                 lambda: app.current_mode == "sheet"
                 and _text(app, "#sheet-title") == f"Sheet — {song} · rev {earlier}")
    # The preview follows, laid out off the event loop: from the same key.
    await _until(lambda: _preview_shown(app, song), app)
    times.setdefault("sheet preview", []).append((time.perf_counter() - started) * 1000.0)
    await _timed(app, times, "notes screen", lambda: app.switch_mode("notes"),
                 lambda: app.current_mode == "notes"
                 and _text(app, "#notes-title").startswith(f"Notes — {song} · "))
    await _timed(app, times, "back to library", lambda: app.switch_mode("library"),
                 lambda: _sessions_shown(app) > 0)


def in_app(path: Path, *, runs: int, starts: int, revisions: int) -> dict[str, list[float]]:
    """Milliseconds of each action in the app on the library at ``path``."""
    times = {START: [asyncio.run(_start(path)) for _ in range(starts + 1)][1:]}
    times.update(asyncio.run(_browse(path, runs, revisions)))
    return times


def _figures(samples: list[float], goal: float) -> dict[str, float]:
    median = statistics.median(samples)
    return {"median": median, "best": min(samples), "worst": max(samples), "goal": goal,
            "goal_ratio": goal / median}


def _verdict(ratio: float) -> str:
    return f"{ratio:.2f}x inside" if ratio >= 1 else f"{1 / ratio:.2f}x OVER"


def main() -> int:
    bench = _library_benchmark()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5,
                        help="first paints to time (0: none, and no tmux needed)")
    parser.add_argument("--opens", type=int, default=20,
                        help="songs to browse to (each action is timed once per song)")
    parser.add_argument("--starts", type=int, default=3, help="app starts to time in-process")
    bench.shape_options(parser)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = args.library or Path(folder) / "library.sqlite"
        made = bench.prepared(path, sessions=args.sessions, songs=args.songs,
                              revisions=args.revisions)
        paints = {"demo": first_paint(args.runs),
                  "library": first_paint(args.runs, library=path)} if args.runs else {}
        actions = in_app(path, runs=args.opens, starts=args.starts, revisions=args.revisions)
    report = {
        "library": {"sessions": args.sessions, "songs": args.sessions * args.songs,
                    "revisions": args.sessions * args.songs * args.revisions,
                    "settings": made["settings"], "bytes": made["bytes"]},
        "cpus": os.cpu_count(),
        "first_paint_s": {name: _figures(times, FIRST_PAINT_GOAL_S)
                          for name, times in paints.items()},
        # Starting the app in-process is a first paint too: its goal is the first paint's.
        "actions_ms": {name: _figures(times, FIRST_PAINT_GOAL_S * 1000.0 if name == START
                                      else ACTION_GOAL_MS) for name, times in actions.items()},
    }
    if args.json:
        print(json.dumps(report))
        return 0
    size = report["library"]
    print(f"library: {size['sessions']:,} sessions, {size['songs']:,} songs, "
          f"{size['revisions']:,} revisions ({size['settings']:,} settings, "
          f"{size['bytes'] / 2**20:.0f} MiB); {report['cpus']} CPUs")
    for name, paint in report["first_paint_s"].items():
        what = "`outboard demo`" if name == "demo" else "`outboard --library` on it"
        print(f"first paint of {what}: median {paint['median']:.2f} s, best "
              f"{paint['best']:.2f} s, worst {paint['worst']:.2f} s (goal "
              f"{FIRST_PAINT_GOAL_S:.0f} s: {_verdict(paint['goal_ratio'])})")
    for name, action in report["actions_ms"].items():
        print(f"  {name:<18} median {action['median']:6.1f} ms  worst {action['worst']:6.1f} ms"
              f"  (goal {action['goal']:.0f} ms: {_verdict(action['goal_ratio'])})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
