"""The library benchmark still runs (on a small library) and reports every operation."""

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
