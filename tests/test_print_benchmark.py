"""The print benchmark still runs: a short print at real time on the suite's JACK server,
sample-exact and aligned, and the simulated loop faster than real time."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.jack
def test_the_print_benchmark_prints_and_reports(jack_server: str) -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "print.py"), "--seconds", "6", "--period",
         "256", "--json", "--jack-server", jack_server],
        capture_output=True, text=True, check=False, cwd=ROOT, timeout=300)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    realtime, simulated = report["realtime"], report["simulated"]
    assert realtime["state"] in ("complete", "flawed") and realtime["aligned"]
    assert realtime["sample_exact"] and realtime["latency_samples"] == 512.0
    assert 0 < realtime["cpu_share"] < 1 and realtime["jack_rec_cpu_share"] > 0
    assert realtime["meter_updates_per_s"] > 10
    assert simulated["state"] == "complete" and simulated["units"] == 5
    assert simulated["times_real_time"] > 1
