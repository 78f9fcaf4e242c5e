"""Memory stays flat: a 60-minute 96 kHz stereo file measures in well under 500 MB."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from controller.meter import analyse

RATE = 96_000
MINUTES = 60

# The peak resident size of this process's own memory (VmHWM). ru_maxrss would not do:
# on Linux a child inherits the parent's high-water mark at fork, and pytest's is large.
MEASURE = """
import json, sys
from controller.measure import measure_file
m = measure_file(sys.argv[1])
status = open("/proc/self/status").read().split("\\n")
peak_kb = int(next(line for line in status if line.startswith("VmHWM:")).split()[1])
print(json.dumps({"peak_mb": peak_kb / 1024, "frames": m.frames,
                  "integrated": m.integrated_lufs}))
"""


@pytest.mark.slow
def test_an_hour_at_96k_measures_in_flat_memory(tmp_path: Path) -> None:
    path = tmp_path / "hour.wav"
    rng = np.random.default_rng(0)
    block = (rng.standard_normal((RATE * 10, 2)) * 0.05 * 32767).astype(np.int16)
    with sf.SoundFile(str(path), "w", RATE, 2, subtype="PCM_16") as handle:
        for _ in range(MINUTES * 6):
            handle.write(block)
    done = subprocess.run([sys.executable, "-c", MEASURE, str(path)],
                          capture_output=True, text=True, check=True)
    report = json.loads(done.stdout)
    assert report["frames"] == RATE * 60 * MINUTES
    assert report["peak_mb"] < 500, report
    # The same noise block over and over: the hour reads like ten seconds of it.
    assert report["integrated"] == pytest.approx(analyse(block, sample_rate=RATE).integrated_lufs,
                                                 abs=0.01)
