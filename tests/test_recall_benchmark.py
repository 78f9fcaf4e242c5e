"""The recall benchmark still runs on real ports (its own JACK server, a pseudo-terminal) and
reports a 100-parameter chain verified across three ports, timed against its floor."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.jack
def test_the_recall_benchmark_verifies_every_parameter_and_reports_the_floor(
        jack_server: str) -> None:
    # On the suite's JACK server (the script starts its own when run by hand).
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "recall.py"), "--runs", "1", "--json",
         "--jack-server", jack_server],
        capture_output=True, text=True, check=False, cwd=ROOT, timeout=300)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["parameters"] == 100 and report["units"] == 3
    assert report["states"] == {"verified": 100} and report["all_verified"]
    assert report["verdict"] == "complete" and report["faults"] == []
    assert report["floor_ms"] > 0 and report["ratio"] > 0 and report["held_ratio"] > 0
    ports = report["ports"]
    assert len(ports) == 3 and len({p["port"] for p in ports}) == 3
    assert sum(p["parameters"] for p in ports) == 100
    assert {p["port"].partition(":")[0] for p in ports} == {"midi", "serial"}
    for port in ports:
        assert port["floor_ms"] > 0 and port["messages_out"] > 0 and port["messages_in"] > 0
        assert port["bytes_out"] > 0 and port["bytes_in"] > 0
    # The chain's floor is its slowest port's.
    assert report["floor_ms"] == max(p["floor_ms"] for p in ports)
    # A resume after a complete recall has nothing to open.
    assert report["resume_ports_opened"] == 0 and report["plan_ms"] > 0
