"""A three-hour print at 96 kHz and its measurement, watched for memory.

The demo studio at 96 kHz (its simulated insert loop with all five units modelled), a
three-hour stereo mix, and `outboard print` run as an engineer runs it, in a process of its
own whose resident size is read from /proc every quarter second. The print's file grows as it
is written, so its size says how far the print is: memory is compared a quarter of the way in
and near the end, and after that the measurement `print` makes of the finished file.
`outboard measure` then measures the print again on its own, side by side with libebur128
(pyebur128, fed block by block so it too streams) as the reference; and a plain streaming
copy of the mix into a 24-bit WAV is the floor the print is compared against.
"""

from __future__ import annotations

import os
import sys

if sys.path and os.path.realpath(sys.path[0]) == os.path.dirname(os.path.realpath(__file__)):
    sys.path.pop(0)

import argparse
import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from controller.demo import build_demo
from controller.signals import music_like

RATE = 96_000
SONG = "Night Drive/Opener"
BLOCK_SECONDS = 10
POLL_SECONDS = 0.25
TAIL_SECONDS = 2  # the print's default tail after the mix ends
EARLY, LATE = 0.25, 0.95  # how far into the print (by file size) memory is compared
OUTBOARD = Path(sys.executable).with_name("outboard")

# libebur128 over the file in blocks (loudness, range and true peak, as Outboard measures),
# in a process of its own; its peak resident size.
REFERENCE = """
import json, sys, time
import pyebur128 as eb
import soundfile as sf
started = time.perf_counter()
with sf.SoundFile(sys.argv[1]) as f:
    meter = eb.R128State(f.channels, f.samplerate,
                         eb.MeasurementMode.MODE_I | eb.MeasurementMode.MODE_LRA
                         | eb.MeasurementMode.MODE_TRUE_PEAK)
    for block in f.blocks(blocksize=1 << 16, dtype="float64"):
        meter.add_frames(block.ravel(), block.shape[0])
    integrated = eb.get_loudness_global(meter)
    true_peak = max(eb.get_true_peak(meter, c) for c in range(f.channels))
status = open("/proc/self/status").read().split("\\n")
peak_kb = int(next(line for line in status if line.startswith("VmHWM:")).split()[1])
print(json.dumps({"seconds": time.perf_counter() - started, "peak_mb": peak_kb / 1024,
                  "integrated_lufs": integrated, "true_peak_linear": true_peak}))
"""


def write_mix(path: Path, seconds: float) -> None:
    """A music-like stereo mix of ``seconds``, 24-bit, its ten-second block repeated: RF64,
    as a mix over 4 GiB has to be (three hours at 96 kHz are 6.2 GB)."""
    block = music_like(duration_s=BLOCK_SECONDS, sample_rate=RATE, seed=7)
    whole, part = divmod(round(seconds * RATE), block.shape[0])
    with sf.SoundFile(str(path), "w", RATE, 2, subtype="PCM_24", format="RF64") as out:
        for _ in range(whole):
            out.write(block)
        out.write(block[:part])


def copy_floor(mix: Path, destination: Path) -> float:
    """Seconds to stream the mix into a 24-bit WAV: what any recorder must at least do."""
    started = time.perf_counter()
    with sf.SoundFile(str(mix)) as source, sf.SoundFile(
            str(destination), "w", source.samplerate, source.channels, subtype="PCM_24") as out:
        for block in source.blocks(blocksize=1 << 16, dtype="float32"):
            out.write(block)
    seconds = time.perf_counter() - started
    destination.unlink()
    return seconds


def resident_mb(pid: int) -> float | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text().split("\n")
    except OSError:
        return None
    line = next((line for line in status if line.startswith("VmRSS:")), None)
    return int(line.split()[1]) / 1024 if line else None


def watched(argv: list[str], env: dict[str, str], grows: Path | None
            ) -> tuple[subprocess.CompletedProcess[str], list[tuple[float, float, int]], float]:
    """Run ``argv``; return it, its (seconds, resident MB, size of ``grows``) samples, seconds."""
    started = time.perf_counter()
    process = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    samples: list[tuple[float, float, int]] = []
    out_err: tuple[str, str] | None = None
    while out_err is None:
        try:
            out_err = process.communicate(timeout=POLL_SECONDS)
        except subprocess.TimeoutExpired:
            rss = resident_mb(process.pid)
            size = grows.stat().st_size if grows is not None and grows.exists() else 0
            if rss is not None:
                samples.append((time.perf_counter() - started, rss, size))
    done = subprocess.CompletedProcess(argv, process.returncode, *out_err)
    return done, samples, time.perf_counter() - started


def print_memory(samples: list[tuple[float, float, int]], final_size: int) -> dict[str, float]:
    """Resident size a quarter of the way into the print, near its end, and after it."""
    writing = [(rss, size) for _, rss, size in samples if 0 < size < final_size]
    after = [rss for _, rss, size in samples if size >= final_size]
    early = next(rss for rss, size in writing if size >= EARLY * final_size)
    late = [rss for rss, size in writing if size >= LATE * final_size][-1]
    return {"early_mb": early, "late_mb": late, "growth_mb": late - early,
            "peak_printing_mb": max(rss for rss, _ in writing),
            "peak_after_mb": max(after, default=0.0)}


def run(folder: Path, seconds: float) -> dict[str, Any]:
    library, _ = build_demo(folder)
    studio = folder / "demo-studio.toml"
    studio.write_text(studio.read_text().replace("sample_rate = 48000",
                                                 f"sample_rate = {RATE}"))
    mix = folder / "long mix.wav"
    write_mix(mix, seconds)
    env = dict(os.environ, OUTBOARD_LIBRARY=str(library), OUTBOARD_STUDIO=str(studio))
    subprocess.run([str(OUTBOARD), "song", "set", SONG, "--source", str(mix)], env=env,
                   check=True, capture_output=True)
    floor = copy_floor(mix, folder / "copy.wav")
    # The ping first, so the print's own run is the print.
    subprocess.run([str(OUTBOARD), "ping", "A"], env=env, check=True, capture_output=True)
    destination = folder / "library-files" / "prints" / "Night Drive" / "01 Opener r2 t1.wav"
    done, samples, print_seconds = watched(
        [str(OUTBOARD), "print", SONG, "--json", "--no-fingerprint"], env, destination)
    if done.returncode != 0:
        raise SystemExit(f"outboard print failed ({done.returncode}): {done.stderr.strip()}")
    printed = json.loads(done.stdout)
    expected = round(seconds * RATE) + TAIL_SECONDS * RATE
    if printed["outcome"]["frames"] != expected:
        raise SystemExit(f"the print has {printed['outcome']['frames']} frames, not {expected}")
    os.remove(mix)  # the disk holds the print and one mix at a time
    measured, measure_samples, measure_seconds = watched(
        [str(OUTBOARD), "measure", printed["path"], "--json"], env, None)
    if measured.returncode != 0:
        raise SystemExit(f"outboard measure failed: {measured.stderr.strip()}")
    measurement = json.loads(measured.stdout)
    reference = json.loads(subprocess.run([sys.executable, "-c", REFERENCE, printed["path"]],
                                          capture_output=True, text=True,
                                          check=True).stdout)
    memory = print_memory(samples, destination.stat().st_size)
    measure_peak = max(rss for _, rss, _ in measure_samples)
    return {
        "seconds_of_audio": seconds, "sample_rate": RATE,
        "print": {"state": printed["state"], "frames": printed["outcome"]["frames"],
                  "xruns": len(printed["outcome"]["xruns"]),
                  "aligned": printed["outcome"]["aligned"],
                  "bytes": destination.stat().st_size, "seconds": print_seconds,
                  "times_real_time": seconds / print_seconds, **memory,
                  "integrated_lufs": printed["measurement"]["integrated_lufs"]},
        "copy_floor": {"seconds": floor, "ratio": print_seconds / floor},
        "measure": {"seconds": measure_seconds, "peak_mb": measure_peak,
                    "integrated_lufs": measurement["integrated_lufs"],
                    "true_peak_dbtp": measurement["true_peak_dbtp"]},
        "libebur128": {key: value for key, value in reference.items()
                       if key != "true_peak_linear"}
        | {"true_peak_dbtp": float(20 * np.log10(reference["true_peak_linear"]))},
        "ratios": {"measure_time_vs_libebur128": measure_seconds / reference["seconds"],
                   "measure_memory_vs_libebur128": measure_peak / reference["peak_mb"]},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hours", type=float, default=3.0, help="length of the mix")
    parser.add_argument("--minutes", type=float, help="length of the mix, instead of hours")
    parser.add_argument("--folder", type=Path, help="work here (default: a temporary folder; "
                        "needs about 4.5 GB an hour of audio)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    seconds = args.minutes * 60 if args.minutes is not None else args.hours * 3600
    folder = args.folder or Path(tempfile.mkdtemp(prefix="outboard-long-print-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        report = run(folder, seconds)
    finally:
        if args.folder is None:
            shutil.rmtree(folder, ignore_errors=True)
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    p, m, r = report["print"], report["measure"], report["libebur128"]
    print(f"{seconds / 3600:.2f} h at {RATE} Hz: {p['state']}, {p['frames']} frames, "
          f"{p['bytes'] / 2**30:.2f} GiB, {p['xruns']} xruns, aligned {p['aligned']}")
    print(f"print: {p['seconds']:.0f} s ({p['times_real_time']:.1f}x real time; a plain "
          f"copy took {report['copy_floor']['seconds']:.0f} s, "
          f"{report['copy_floor']['ratio']:.1f}x less)")
    print(f"  resident {p['early_mb']:.0f} MB a quarter in, {p['late_mb']:.0f} MB near the end "
          f"({p['growth_mb']:+.1f} MB); peak {p['peak_printing_mb']:.0f} MB printing, "
          f"{p['peak_after_mb']:.0f} MB measuring the take")
    print(f"measure: {m['seconds']:.0f} s, peak {m['peak_mb']:.0f} MB, "
          f"{m['integrated_lufs']:.2f} LUFS, {m['true_peak_dbtp']:.2f} dBTP")
    print(f"libebur128: {r['seconds']:.0f} s, peak {r['peak_mb']:.0f} MB, "
          f"{r['integrated_lufs']:.2f} LUFS, {r['true_peak_dbtp']:.2f} dBTP "
          f"(Outboard {report['ratios']['measure_time_vs_libebur128']:.2f}x its time, "
          f"{report['ratios']['measure_memory_vs_libebur128']:.2f}x its memory)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
