"""The library, commands and app benchmarks still run (on small libraries) and report every
operation."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_library_benchmark_fills_and_times_each_operation() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "library.py"), "--sessions", "4",
         "--songs", "3", "--revisions", "3", "--runs", "2", "--json"],
        capture_output=True, text=True, check=False, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert (report["sessions"], report["songs"], report["revisions"]) == (4, 12, 36)
    # Every revision holds the full chain: 60 settings each, plus the template's.
    assert report["fill"]["settings"] == 60 * 37
    assert set(report["operations"]) == {"open song", "list session", "diff", "sheet (md)",
                                         "sheet (html)"}
    for timing in report["operations"].values():
        assert timing["median_ms"] > 0 and timing["goal_ratio"] > 0


def test_the_commands_benchmark_runs_each_command_and_reports_it_against_the_floor(
        tmp_path: Path) -> None:
    library = tmp_path / "library.sqlite"
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "commands.py"), "--sessions", "2",
         "--songs", "2", "--revisions", "3", "--runs", "1", "--check-runs", "1",
         "--warm-ups", "0", "--library", str(library), "--json"],
        capture_output=True, text=True, check=False, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert (report["sessions"], report["songs"], report["revisions"]) == (2, 4, 12)
    assert set(report["commands"]) == {
        "session list", "session show", "song list", "song show", "rev list", "rev show",
        "diff", "diff --json", "sheet (md)", "sheet (html)", "sheet --session", "note list",
        "recall --dry-run", "report (html)", "library export"}
    for timing in [report["floor"], report["library_check"], *report["commands"].values()]:
        assert timing["median_ms"] > 0 and timing["goal_ratio"] > 0
    # Every command said something (the report and the export name what they wrote).
    assert all(timing["printed_bytes"] > 0 for timing in report["commands"].values())
    # The library is kept, with its figures, for the next run to reuse.
    assert library.is_file() and (tmp_path / "library.sqlite.fill.json").is_file()


def test_the_app_benchmark_times_every_action_on_a_small_library() -> None:
    # No first paints (they need tmux): the actions in the app, on a few songs.
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "app.py"), "--sessions", "3", "--songs",
         "2", "--revisions", "2", "--opens", "1", "--starts", "1", "--runs", "0", "--json"],
        capture_output=True, text=True, check=False, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["library"]["revisions"] == 12 and report["first_paint_s"] == {}
    # All but "more sessions": 4 sessions fit in the tree at once.
    assert set(report["actions_ms"]) == {
        "app start to tree", "library tree", "search", "clear search", "expand session",
        "expand song", "open song", "switch revision", "diff screen", "sheet screen",
        "sheet preview", "notes screen", "back to library"}
    for timing in report["actions_ms"].values():
        assert timing["median"] > 0 and timing["goal_ratio"] > 0
