"""Pinging and printing through the simulated insert loop: latency, polarity, alignment,
xruns, aborts, resampling, RF64 and the metadata, checked in the files written."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from functools import partial
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from controller.audio.duplex import Transfer
from controller.audio.loops import loop_setup
from controller.audio.models import LoopCharacter
from controller.audio.pinger import ping_loop
from controller.audio.printing import PrintOptions, run_print
from controller.audio.ring import Ring
from controller.audio.wavfile import Bext, PrintWriter, read_info
from controller.errors import InputError
from controller.signals import music_like
from recall.studio import studio_from_document

RATE = 48_000


def studio(*, buffer: int = 256, rate: int = RATE, channels: int = 2, units=()):
    return studio_from_document({
        "spec": 1, "studio": {"name": "Sim Room"},
        "interface": {"host_api": "simulated", "sample_rate": rate, "buffer_frames": buffer},
        "loop": [{"name": "A", "outputs": list(range(3, 3 + channels)),
                  "inputs": list(range(5, 5 + channels))}],
        "unit": [dict(u, loop="A") for u in units]}, "sim.toml")


def bare(latency: float = 61.37, **character) -> LoopCharacter:
    return LoopCharacter(latency_samples=latency, noise_floor_dbfs=None, **character)


def source_file(path: Path, *, seconds: float = 6.0, rate: int = RATE, channels: int = 2,
                seed: int = 3) -> tuple[Path, np.ndarray]:
    mix = music_like(duration_s=seconds, sample_rate=rate, seed=seed)[:, :channels]
    sf.write(path, mix, rate, subtype="FLOAT")
    return path, mix.astype(np.float32)


def printed(setup, src: Path, out: Path, **kw):
    latency = kw.pop("latency")
    return run_print(setup, source=src, destination=out, latency_samples=latency,
                     bext=Bext(description="test print"),
                     ixml=lambda d: f"<BWFXML><STATE>{d['state']}</STATE></BWFXML>", **kw)


# ---------------------------------------------------------------------------- the rings


def test_a_ring_wraps_and_never_overwrites_unread_frames() -> None:
    ring = Ring(frames=5, channels=2)
    block = np.arange(16, dtype=np.float32).reshape(8, 2)
    assert ring.write(block) == 5 and ring.space == 0
    out = np.zeros((3, 2), dtype=np.float32)
    assert ring.read_into(out) == 3 and np.array_equal(out, block[:3])
    assert ring.write(block[5:]) == 3  # wraps around the end
    rest = np.zeros((8, 2), dtype=np.float32)
    assert ring.read_into(rest) == 5 and np.array_equal(rest[:5], block[3:])
    ring.close()
    assert ring.drained


def test_the_callback_copies_the_loop_channels_and_counts_what_went_wrong() -> None:
    play, record = Ring(frames=8, channels=2), Ring(frames=4, channels=2)
    transfer = Transfer(outputs=(2, 3), inputs=(0, 1), play=play, record=record)
    play.write(np.array([[1, 2], [3, 4], [5, 6]], dtype=np.float32))
    outdata = np.full((4, 4), 9.0, dtype=np.float32)
    indata = np.arange(12, dtype=np.float32).reshape(4, 3)
    transfer.callback(indata, outdata, 4, None, None)  # not armed: silence, nothing kept
    assert not outdata.any() and record.available == 0
    transfer.armed = True
    transfer.callback(indata, outdata, 4, None, None)
    assert outdata[:, 2:].tolist() == [[1, 2], [3, 4], [5, 6], [0, 0]]
    assert not outdata[:, :2].any()
    kept = np.zeros((4, 2), dtype=np.float32)
    record.read_into(kept)
    assert np.array_equal(kept, indata[:, :2])
    transfer.callback(indata, outdata, 4, None, None)  # the source ran dry, not closed
    transfer.callback(indata, outdata, 4, None, None)  # and the record ring is full
    assert [(x.frame, x.kind) for x in transfer.xruns()] == [
        (0, "the source fell behind"), (4, "the source fell behind"),
        (8, "the source fell behind"), (8, "the writer fell behind")]


# ---------------------------------------------------------------------------- ping


@pytest.mark.parametrize("latency", [0.0, 3.25, 61.37, 1000.73])
def test_ping_reads_a_fractional_latency_to_a_hundredth(latency: float) -> None:
    setup = loop_setup(studio(buffer=128), "A", character=bare(latency))
    ping = ping_loop(setup, repeats=2)
    # One buffer of the duplex stream, then the loop itself.
    assert ping.latency_samples == pytest.approx(128 + latency, abs=0.01)
    assert ping.jitter_samples < 0.01 and not ping.inverted and not ping.smeared
    assert ping.gain_db == pytest.approx(0.0, abs=0.05)
    assert ping.depends == {"host_api": "simulated", "device": "simulated",
                            "sample_rate": RATE, "buffer_frames": 128, "outputs": [3, 4],
                            "inputs": [5, 6]}


def test_ping_reads_polarity_gain_and_a_unit_left_in_circuit() -> None:
    setup = loop_setup(studio(), "A", character=bare(20.5, inverted=True, gain_db=-6.0))
    ping = ping_loop(setup, repeats=1)
    assert ping.inverted and ping.gain_db == pytest.approx(-6.0, abs=0.05)
    assert ping.latency_samples == pytest.approx(276.5, abs=0.01)
    eq = studio(units=[{"name": "EQ", "profile": "generic-serial-ascii", "address": "manual:"}])
    boosted = loop_setup(eq, "A", character=bare(),
                         unit_values=lambda unit: {"gain": 6.0, "frequency": 1000.0})
    assert ping_loop(boosted, repeats=1).smeared
    flat = loop_setup(eq, "A", character=bare(), unit_values=lambda unit: None)
    assert not ping_loop(flat, repeats=1).smeared


# ---------------------------------------------------------------------------- print


def test_a_print_is_aligned_to_the_source_and_says_what_remains(tmp_path: Path) -> None:
    src, mix = source_file(tmp_path / "mix.wav")
    setup = loop_setup(studio(), "A", character=bare(61.0))
    result = printed(setup, src, tmp_path / "print.wav", latency=317.0,
                     options=PrintOptions(subtype="FLOAT", pre_roll_seconds=0.5,
                                          tail_seconds=0.25))
    assert result.state == "complete" and not result.xruns and result.shift_frames == 317
    data, rate = sf.read(tmp_path / "print.wav", dtype="float32")
    assert rate == RATE and data.shape == (mix.shape[0] + RATE // 4, 2)
    assert np.max(np.abs(data[:mix.shape[0]] - mix)) < 1e-6  # the sample, exactly
    assert not data[mix.shape[0]:].any()
    assert result.alignment is not None and result.alignment.offset_samples == 0.0
    info = read_info(tmp_path / "print.wav")
    assert info.ixml == "<BWFXML><STATE>complete</STATE></BWFXML>"
    assert info.bext is not None and info.bext.loudness_value == pytest.approx(
        result.reading.integrated_lufs, abs=0.01)


def test_the_alignment_check_measures_what_the_ping_left(tmp_path: Path) -> None:
    src, _ = source_file(tmp_path / "mix.wav")
    setup = loop_setup(studio(), "A", character=bare(61.37))
    result = printed(setup, src, tmp_path / "a.wav", latency=317.37,
                     options=PrintOptions(pre_roll_seconds=0.2, tail_seconds=0.0))
    assert result.alignment.offset_samples == pytest.approx(0.37, abs=0.01)
    assert result.alignment.aligned
    late = printed(setup, src, tmp_path / "b.wav", latency=310.0,
                   options=PrintOptions(pre_roll_seconds=0.2, tail_seconds=0.0))
    assert late.alignment.offset_samples == pytest.approx(7.37, abs=0.01)
    assert not late.alignment.aligned


def test_a_stalled_writer_makes_xruns_and_the_take_says_where(tmp_path: Path) -> None:
    src, _ = source_file(tmp_path / "mix.wav", seconds=3.0)
    setup = loop_setup(studio(), "A", character=bare(), realtime=True)

    class Stalling(PrintWriter):
        stalled = False

        def write(self, block: np.ndarray) -> None:
            if not Stalling.stalled and self.frames > RATE:  # a disk that hangs for 1.2 s
                Stalling.stalled = True
                time.sleep(1.2)
            super().write(block)

    result = printed(setup, src, tmp_path / "print.wav", latency=317.37,
                     options=PrintOptions(pre_roll_seconds=0.1, tail_seconds=0.1,
                                          record_ring_seconds=0.5), open_writer=Stalling)
    assert result.state == "flawed"
    kinds = {x.kind for x in result.xruns}
    assert kinds == {"the writer fell behind"}
    first = result.xruns[0].frame / RATE
    assert 1.0 < first < 2.5  # where in the song the audio was lost


def test_an_abort_leaves_a_readable_partial_print(tmp_path: Path) -> None:
    src, mix = source_file(tmp_path / "mix.wav", seconds=20.0)
    setup = loop_setup(studio(), "A", character=bare(61.0))
    abort = threading.Event()
    seen = []

    def progress(p) -> None:
        seen.append(p)
        if p.frames >= 5 * RATE:
            abort.set()

    result = printed(setup, src, tmp_path / "print.wav", latency=317.0, abort=abort,
                     on_progress=progress, options=PrintOptions(subtype="FLOAT",
                                                                pre_roll_seconds=0.1))
    assert result.state == "incomplete" and not result.complete
    data, _ = sf.read(tmp_path / "print.wav", dtype="float32")
    assert 5 * RATE <= data.shape[0] == result.frames < mix.shape[0]
    assert np.max(np.abs(data - mix[:data.shape[0]])) < 1e-6
    assert read_info(tmp_path / "print.wav").ixml.endswith("<STATE>incomplete</STATE></BWFXML>")
    assert seen and all(p.total_frames == mix.shape[0] + 2 * RATE for p in seen)


def test_a_source_at_another_rate_is_refused_or_resampled(tmp_path: Path) -> None:
    src, mix = source_file(tmp_path / "mix.wav", rate=44_100, seconds=5.0)
    setup = loop_setup(studio(), "A", character=bare(61.0))
    with pytest.raises(InputError, match=r"mix\.wav: 44100 Hz, but the interface runs at "
                                         r"48000 Hz; print with --resample"):
        printed(setup, src, tmp_path / "no.wav", latency=317.0)
    assert not (tmp_path / "no.wav").exists()
    result = printed(setup, src, tmp_path / "print.wav", latency=317.0,
                     options=PrintOptions(resample=True, tail_seconds=0.0))
    assert result.resampled_from == 44_100 and result.state == "complete"
    assert abs(result.frames - 5 * RATE) <= 2
    assert result.alignment is not None and result.alignment.aligned


def test_a_mono_source_is_refused_by_a_stereo_loop(tmp_path: Path) -> None:
    src, _ = source_file(tmp_path / "mono.wav", channels=1, seconds=1.0)
    setup = loop_setup(studio(), "A", character=bare())
    with pytest.raises(InputError, match=r"mono\.wav: 1 channel, but loop 'A' carries 2$"):
        printed(setup, src, tmp_path / "print.wav", latency=317.0)


def test_a_long_print_goes_over_to_rf64(tmp_path: Path) -> None:
    src, mix = source_file(tmp_path / "mix.wav", seconds=8.0)
    setup = loop_setup(studio(), "A", character=bare(61.0))
    writer = partial(PrintWriter, rf64_threshold=1 << 20)
    result = printed(setup, src, tmp_path / "print.wav", latency=317.0, open_writer=writer,
                     options=PrintOptions(subtype="FLOAT", tail_seconds=0.0))
    info = read_info(tmp_path / "print.wav")
    assert info.rf64 and info.frames == result.frames == mix.shape[0]
    data, _ = sf.read(tmp_path / "print.wav", dtype="float32")
    assert np.max(np.abs(data - mix)) < 1e-6


# A 30-minute print through the simulated loop, in a process of its own: its resident size
# a few minutes in and at the end (VmRSS), and the print's length.
LONG_PRINT = """
import json, sys
from pathlib import Path
from controller.audio.loops import loop_setup
from controller.audio.models import LoopCharacter
from controller.audio.printing import PrintOptions, run_print
from controller.audio.wavfile import Bext
from recall.studio import studio_from_document

def rss_mb():
    status = open("/proc/self/status").read().split("\\n")
    return int(next(l for l in status if l.startswith("VmRSS:")).split()[1]) / 1024

studio = studio_from_document({"spec": 1, "studio": {"name": "Long"}, "interface": {
    "host_api": "simulated", "sample_rate": 8000, "buffer_frames": 1024},
    "loop": [{"name": "A", "outputs": [1, 2], "inputs": [1, 2]}]}, "long.toml")
setup = loop_setup(studio, "A", character=LoopCharacter(latency_samples=12.0))
samples = {}
def progress(p):
    minute = p.frames // (8000 * 60)
    if minute in (3, 29) and minute not in samples:
        samples[minute] = rss_mb()
result = run_print(setup, source=Path(sys.argv[1]), destination=Path(sys.argv[2]),
                   latency_samples=1036.0, bext=Bext(description="long"), ixml=lambda d: "",
                   on_progress=progress, options=PrintOptions(tail_seconds=0.0))
print(json.dumps({"early_mb": samples[3], "late_mb": samples[29], "frames": result.frames,
                  "state": result.state}))
"""


@pytest.mark.slow
def test_a_thirty_minute_print_runs_in_flat_memory(tmp_path: Path) -> None:
    rate, minutes = 8000, 30
    rng = np.random.default_rng(1)
    block = (rng.standard_normal((rate * 60, 2)) * 0.1).astype(np.float32)
    with sf.SoundFile(str(tmp_path / "long.wav"), "w", rate, 2, subtype="PCM_16") as out:
        for _ in range(minutes):
            out.write(block)
    done = subprocess.run([sys.executable, "-c", LONG_PRINT, str(tmp_path / "long.wav"),
                           str(tmp_path / "print.wav")], capture_output=True, text=True,
                          check=True, cwd=Path(__file__).resolve().parents[2])
    report = json.loads(done.stdout)
    assert report["state"] == "complete" and report["frames"] == rate * 60 * minutes
    # 26 minutes more of the print (50 MB of it as float) did not stay in memory.
    assert report["late_mb"] - report["early_mb"] < 8, report


def test_a_loop_that_returns_nothing_is_a_device_fault() -> None:
    from controller.errors import AudioError

    setup = loop_setup(studio(), "A", character=bare(gain_db=-200.0))
    with pytest.raises(AudioError, match=r"^nothing came back from loop 'A' \(output 3 -> "
                                         r"input 5\): is it patched, and the gear on\?$"):
        ping_loop(setup, repeats=1)
