"""The long-print benchmark, shortened: `outboard print` at 96 kHz in a process of its own keeps
its memory flat, and `outboard measure` of the take agrees with libebur128 in bounded memory."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MINUTES = 3
TAIL_SECONDS = 2  # the print's default tail after the mix ends


@pytest.mark.slow
def test_a_print_at_96k_and_its_measurement_keep_memory_flat() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "long_print.py"),
                           "--minutes", str(MINUTES), "--json"],
                          capture_output=True, text=True, check=False, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    printed = report["print"]
    assert printed["state"] == "complete" and printed["aligned"]
    assert printed["frames"] == (MINUTES * 60 + TAIL_SECONDS) * 96_000
    # Two and a half minutes of 96 kHz stereo (130 MB as float) went through between the
    # two readings and none of it stayed.
    assert printed["growth_mb"] < 8, printed
    assert report["measure"]["peak_mb"] < 500, report["measure"]
    assert report["measure"]["integrated_lufs"] == pytest.approx(
        report["libebur128"]["integrated_lufs"], abs=0.1)
    assert report["measure"]["integrated_lufs"] == pytest.approx(printed["integrated_lufs"],
                                                                 abs=0.01)
