"""Time the app: from `outboard demo` to its first painted screen in a real terminal, and
opening a song on the Rack in a library of 10,000 songs.

Goals: under 1 s to the first screen, under 100 ms to open a song. No other tool keeps this
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
from pathlib import Path
from typing import Any

from textual.css.query import NoMatches

from tui.app.app import make_app
from tui.app.context import AppContext

ROOT = Path(__file__).resolve().parents[1]
OUTBOARD = str(Path(sys.executable).parent / "outboard")
FIRST_PAINT_GOAL_S = 1.0
OPEN_SONG_GOAL_MS = 100.0
SHOWN_TEXT = "Night Drive — The Demo Band"  # on the demo's first screen


def first_paint(runs: int) -> list[float]:
    """Seconds from starting `outboard demo` in a 100x30 tmux terminal until the demo album
    is on the screen (polled every 5 ms)."""
    tmux = shutil.which("tmux")
    if tmux is None:
        raise SystemExit("tmux is needed for the first-paint figure (apt-get install tmux)")
    times = []
    for _ in range(runs):
        server = [tmux, "-L", f"outboard-bench-{uuid.uuid4().hex[:8]}"]
        with tempfile.TemporaryDirectory() as folder:
            command = f"'{OUTBOARD}' demo --folder '{folder}/demo'"
            started = time.perf_counter()
            subprocess.run([*server, "new-session", "-d", "-s", "b", "-x", "100", "-y", "30",
                            command], check=True,
                           env=dict(os.environ, TERM="xterm-256color"))
            try:
                while True:
                    shown = subprocess.run([*server, "capture-pane", "-p", "-t", "b"],
                                           capture_output=True, text=True, check=False).stdout
                    if SHOWN_TEXT in shown:
                        times.append(time.perf_counter() - started)
                        break
                    if time.perf_counter() - started > 60:
                        raise SystemExit(f"the demo did not paint within 60 s:\n{shown}")
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


async def _open_songs(path: Path, songs: list[str]) -> list[float]:
    app = make_app(AppContext(path))
    times = []
    async with app.run_test(size=(100, 32)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        for song in songs:
            started = time.perf_counter()
            app.open_song(song)
            # Until the Rack shows this song's chain, a frame at a time.
            while not _showing(app, song):
                await pilot.pause()
            times.append((time.perf_counter() - started) * 1000.0)
            app.switch_mode("library")
            await pilot.pause()
    return times


def _showing(app: Any, song: str) -> bool:
    """Whether the Rack's title names ``song`` and its table holds the chain's rows."""
    if app.current_mode != "rack":
        return False
    try:
        title = str(app.screen.query_one("#rack-title").content)
        rows = app.screen.query_one("#rack-table").row_count
    except NoMatches:  # not composed yet
        return False
    return title.startswith(song) and rows > 0


def open_song(sessions: int, songs: int, runs: int) -> tuple[list[float], dict[str, Any]]:
    """Milliseconds from asking for a song to the Rack showing its chain (checked once a
    frame, so within a frame of when it is painted), in a library of
    ``sessions`` × ``songs`` songs of two revisions with 60 settings each."""
    bench = _library_benchmark()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "library.sqlite"
        made = bench.fill(path, sessions=sessions, songs=songs, revisions=2)
        picks = [f"Album {1 + (i * 37) % sessions:04d}/Song {1 + i % songs:02d}"
                 for i in range(runs + 1)]
        times = asyncio.run(_open_songs(path, picks))[1:]  # the first warms the caches
    return times, made


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="first paints to time")
    parser.add_argument("--opens", type=int, default=20, help="songs to open")
    parser.add_argument("--sessions", type=int, default=1_000)
    parser.add_argument("--songs", type=int, default=10, help="songs per session")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    paints = first_paint(args.runs)
    opens, made = open_song(args.sessions, args.songs, args.opens)
    report = {
        "first_paint_s": {"best": min(paints), "median": statistics.median(paints),
                          "goal": FIRST_PAINT_GOAL_S,
                          "goal_ratio": FIRST_PAINT_GOAL_S / statistics.median(paints)},
        "open_song_ms": {"median": statistics.median(opens), "worst": max(opens),
                         "goal": OPEN_SONG_GOAL_MS,
                         "goal_ratio": OPEN_SONG_GOAL_MS / statistics.median(opens)},
        "library": {"songs": args.sessions * args.songs, "settings": made["settings"]},
    }
    if args.json:
        print(json.dumps(report))
        return 0
    paint, song = report["first_paint_s"], report["open_song_ms"]
    print(f"first paint of `outboard demo`: median {paint['median']:.2f} s, best "
          f"{paint['best']:.2f} s (goal {FIRST_PAINT_GOAL_S:.0f} s: "
          f"{paint['goal_ratio']:.2f}x inside)")
    print(f"open a song in {report['library']['songs']:,} songs: median {song['median']:.1f} "
          f"ms, worst {song['worst']:.1f} ms (goal {OPEN_SONG_GOAL_MS:.0f} ms: "
          f"{song['goal_ratio']:.1f}x inside)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
