"""Printing: the source mix streamed out of an insert loop and its return written to disk,
aligned by the loop's latency, metered live, and checked against the source afterwards.

Three threads besides the stream's: a feeder reads the source (resampling it when asked)
into the play ring, the audio callback only copies, and a writer drains the record ring to
the print file and the live meter. Rings are fixed in size, so memory does not grow with
the length of the song.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from ..errors import AudioError, InputError
from ..meter import LiveMeter
from ..meter.results import LiveReading
from .align import offset
from .duplex import Transfer, Xrun
from .loops import LoopSetup
from .ring import Ring
from .wavfile import Bext, PrintWriter

READ_FRAMES = 8192  # source frames read at a time
PCM_24_TOP = np.float32(8_388_607 / 8_388_608)  # the largest 24-bit sample
PLAY_RING_SECONDS = 2.0
RECORD_RING_SECONDS = 4.0
PROGRESS_HZ = 20  # live meter updates, within the 15-30 a display wants
CHECK_FRAMES = 1 << 17  # the stretch of the song (about 2.7 s at 48 kHz) the alignment check uses
CHECK_MARGIN = 2048  # how far either way the alignment check looks


@dataclass(frozen=True, slots=True)
class PrintOptions:
    pre_roll_seconds: float = 1.0  # silence played before the song, for the gear to settle
    tail_seconds: float = 2.0  # recorded after the song's end, for releases and tails
    subtype: str = "PCM_24"  # or "FLOAT"
    resample: bool = False  # convert a source at another rate instead of refusing it
    header_refresh_frames: int | None = None  # for tests; default one second
    # How long the writer may stall (a slow disk) before returned audio is lost.
    record_ring_seconds: float = RECORD_RING_SECONDS
    excerpt: tuple[float, float] | None = None  # (start, seconds) of the source, not all of it


DEFAULT_OPTIONS = PrintOptions()


@dataclass(frozen=True, slots=True)
class Alignment:
    """The print against the source over one stretch of the song, after compensation."""

    offset_samples: float  # where the print's return sits against the source (0: aligned)
    start_frame: int  # the stretch checked
    frames: int
    expected_samples: float = 0.0  # the fraction whole-sample compensation leaves

    @property
    def aligned(self) -> bool:
        """Within half a sample of where the ping put it."""
        return abs(self.offset_samples - self.expected_samples) < 0.5


@dataclass(frozen=True, slots=True)
class PrintProgress:
    frames: int  # print frames written so far
    total_frames: int  # the print's length (estimated until the source's end is read)
    sample_rate: int
    reading: LiveReading
    xruns: int


@dataclass(frozen=True, slots=True)
class PrintResult:
    path: Path
    frames: int
    sample_rate: int
    complete: bool  # the whole song and tail were recorded
    latency_samples: float  # the compensation applied (the ping's, rounded in the file)
    shift_frames: int
    xruns: tuple[Xrun, ...]  # frames counted from the song's first frame
    alignment: Alignment | None  # None: the stretch checked was silent or unusable
    reading: LiveReading | None
    seconds: float  # wall-clock time the print took
    settling_xruns: int = 0  # xruns in the pre-roll, before any of the song went out
    resampled_from: int | None = None
    problems: tuple[str, ...] = field(default_factory=tuple)  # why it is not complete

    @property
    def state(self) -> str:
        if not self.complete:
            return "incomplete"
        return "flawed" if self.xruns else "complete"


@dataclass
class _Shared:
    """What the threads tell each other; each field written by one thread only."""

    abort: threading.Event
    fed_frames: int | None = None  # source frames fed, once the feeder is done
    received: int = 0  # frames the writer has taken from the record ring
    written: int = 0  # print frames written
    error: BaseException | None = None
    source_window: np.ndarray | None = None
    print_window: np.ndarray | None = None


def check_source(path: Path, *, sample_rate: int, channels: int, resample: bool,
                 loop: str) -> sf.SoundFile:
    """Open the source mix if the loop can print it; InputError naming the file if not."""
    from ..measure import inspect

    info = inspect(path)
    if info.channels != channels:
        raise InputError(f"{path}: {info.channels} channel{'s' if info.channels != 1 else ''}"
                         f", but loop '{loop}' carries {channels}")
    if info.sample_rate != sample_rate and not resample:
        raise InputError(f"{path}: {info.sample_rate} Hz, but the interface runs at "
                         f"{sample_rate} Hz; print with --resample, or set the studio's "
                         "sample_rate to match")
    return sf.SoundFile(str(path))


def run_print(setup: LoopSetup, *, source: Path, destination: Path, latency_samples: float,
              bext: Bext, ixml: Callable[[dict[str, Any]], str],
              options: PrintOptions = DEFAULT_OPTIONS, abort: threading.Event | None = None,
              on_progress: Callable[[PrintProgress], None] | None = None,
              on_running: Callable[[], None] | None = None,
              open_writer: Callable[..., PrintWriter] = PrintWriter) -> PrintResult:
    """Print ``source`` through ``setup``'s loop into ``destination``.

    ``ixml`` makes the file's iXML from the outcome (called at the start with
    ``{"state": "incomplete"}`` and at the end with the figures). The file is closed
    whatever happens, so an abort or a fault leaves a readable partial print.
    """
    rate, channels = setup.sample_rate, setup.channels
    loop = setup.loop
    mix = check_source(source, sample_rate=rate, channels=channels, resample=options.resample,
                       loop=loop.name)
    shared = _Shared(abort or threading.Event())
    pre = int(round(options.pre_roll_seconds * rate))
    shift = pre + int(round(latency_samples))
    tail = int(round(options.tail_seconds * rate))
    first, count = 0, mix.frames
    if options.excerpt is not None:
        first = min(mix.frames, max(0, int(round(options.excerpt[0] * mix.samplerate))))
        count = min(mix.frames - first, int(round(options.excerpt[1] * mix.samplerate)))
    expected = int(round(count * rate / mix.samplerate))
    check_start = max(0, expected // 2 - CHECK_FRAMES // 2)
    play = Ring(frames=int(PLAY_RING_SECONDS * rate), channels=channels)
    record = Ring(frames=max(int(options.record_ring_seconds * rate), 4 * READ_FRAMES),
                  channels=channels)
    transfer = Transfer(outputs=setup.outputs, inputs=setup.inputs, play=play, record=record)
    writer = open_writer(destination, sample_rate=rate, channels=channels,
                         subtype=options.subtype, bext=bext, ixml=ixml({"state": "incomplete"}),
                         header_refresh_frames=options.header_refresh_frames)
    meter = LiveMeter(sample_rate=rate, channels=channels)
    feeder = threading.Thread(target=_feed, name="outboard-print-feed", daemon=True, args=(
        mix, (first, count), play, shared, pre, 10 ** (loop.send_trim_db / 20), rate,
        check_start))
    drain = threading.Thread(target=_drain, name="outboard-print-write", daemon=True, args=(
        record, writer, meter, shared, shift, tail, 10 ** (loop.return_trim_db / 20), rate,
        check_start, expected + tail, on_progress, transfer))
    started = time.monotonic()
    problems: list[str] = []
    fault: AudioError | None = None
    feeder.start()
    drain.start()
    try:
        setup.backend.run(transfer, done=lambda: _done(shared, shift, tail),
                          abort=shared.abort, on_running=on_running)
    except KeyboardInterrupt:
        problems.append("stopped by hand")
    except AudioError as err:
        fault = err
        problems.append(str(err))
    finally:
        finished = _done(shared, shift, tail)
        shared.abort.set()  # stops the feeder; the writer drains what came back and stops
        feeder.join()
        drain.join()
        mix.close()
    if isinstance(shared.error, OSError):
        problems.append(f"writing {destination} failed: "
                        f"{shared.error.strerror or shared.error}")
    elif shared.error is not None:
        problems.append(f"{type(shared.error).__name__}: {shared.error}")
    if not finished and not problems:
        problems.append("stopped before the song's end")
    reading = meter.reading() if shared.written else None
    # An xrun in the pre-roll, before the song's first frame went out, had only silence in
    # flight (patching the loop can cause one): the alignment check still covers it.
    shifted = [Xrun(x.frame - pre, x.kind) for x in transfer.xruns()]
    alignment = _alignment(shared, check_start, rate, latency_samples - round(latency_samples))
    result = PrintResult(
        path=destination, frames=shared.written, sample_rate=rate,
        complete=finished and not problems, latency_samples=latency_samples,
        shift_frames=shift - pre, alignment=alignment,
        xruns=tuple(x for x in shifted if x.frame >= 0),
        settling_xruns=sum(1 for x in shifted if x.frame < 0),
        reading=reading, seconds=time.monotonic() - started,
        resampled_from=mix.samplerate if mix.samplerate != rate else None,
        problems=tuple(problems))
    try:
        writer.close(bext=_with_loudness(bext, reading), ixml=ixml(outcome(result)))
    except (OSError, ValueError) as err:  # a full disk: the last header refresh stands
        result = replace(result, complete=False, problems=result.problems + (
            f"closing {destination} failed: {getattr(err, 'strerror', None) or err}",))
    if fault is not None:
        raise fault
    return result


def _done(shared: _Shared, shift: int, tail: int) -> bool:
    if shared.error is not None:
        return True
    return shared.fed_frames is not None and shared.written >= shared.fed_frames + tail


def _feed(mix: sf.SoundFile, span: tuple[int, int], play: Ring, shared: _Shared, pre: int,
          gain: float, rate: int, check_start: int) -> None:
    """The feeder thread: pre-roll silence, then the source (``span``: its first frame and
    how many), into the play ring."""
    try:
        first, remaining = span
        if first:
            mix.seek(first)
        resampler = None
        if mix.samplerate != rate:
            import soxr

            resampler = soxr.ResampleStream(mix.samplerate, rate, mix.channels,
                                            dtype="float32", quality="VHQ")
        _push(play, np.zeros((pre, mix.channels), dtype=np.float32), shared)
        fed = 0
        window = np.zeros((CHECK_FRAMES, mix.channels), dtype=np.float32)
        while not shared.abort.is_set():
            want = min(READ_FRAMES, remaining)
            block = mix.read(want, dtype="float32", always_2d=True)
            remaining -= block.shape[0]
            last = block.shape[0] < want or remaining <= 0
            if resampler is not None:
                block = resampler.resample_chunk(block, last=last)
            if gain != 1.0:
                block = block * np.float32(gain)
            _keep(window, block, fed, check_start)
            _push(play, block, shared)
            fed += block.shape[0]
            if last:
                shared.source_window = window
                shared.fed_frames = fed
                break
    except BaseException as err:  # handed to the engine, which reports it
        shared.error = err
        shared.abort.set()
    finally:
        play.close()


def _push(play: Ring, block: np.ndarray, shared: _Shared) -> None:
    done = 0
    while done < block.shape[0] and not shared.abort.is_set():
        done += play.write(block[done:])
        if done < block.shape[0]:
            time.sleep(0.002)


def _keep(window: np.ndarray, block: np.ndarray, at: int, start: int) -> None:
    """Copy the part of ``block`` (starting at frame ``at``) that falls in the window."""
    lo, hi = max(at, start), min(at + block.shape[0], start + window.shape[0])
    if lo < hi:
        window[lo - start:hi - start] = block[lo - at:hi - at]


def _drain(record: Ring, writer: PrintWriter, meter: LiveMeter, shared: _Shared, shift: int,
           tail: int, gain: float, rate: int, check_start: int, expected_total: int,
           on_progress: Callable[[PrintProgress], None] | None, transfer: Transfer) -> None:
    """The writer thread: skip the pre-roll and the loop's latency, write the rest."""
    block = np.zeros((READ_FRAMES, record.channels), dtype=np.float32)
    window = np.zeros((CHECK_FRAMES + 2 * CHECK_MARGIN, record.channels), dtype=np.float32)
    window_start = check_start - CHECK_MARGIN
    interval, next_report = rate // PROGRESS_HZ, 0
    try:
        while True:
            got = record.read_into(block)
            if got == 0:
                if shared.abort.is_set() or _done(shared, shift, tail):
                    break
                time.sleep(0.002)
                continue
            start = shared.received
            shared.received += got
            keep = block[max(0, shift - start):got]
            if shared.fed_frames is not None:
                keep = keep[:max(0, shared.fed_frames + tail - shared.written)]
            if keep.shape[0] == 0:
                continue
            if gain != 1.0:
                keep = keep * np.float32(gain)
            if writer.subtype == "PCM_24":  # the meters read what the file holds
                keep = np.clip(keep, -1.0, PCM_24_TOP)
            writer.write(keep)
            meter.process(keep)
            _keep(window, keep, shared.written, window_start)
            shared.written += keep.shape[0]
            if on_progress is not None and shared.written >= next_report:
                next_report = shared.written + interval
                total = expected_total if shared.fed_frames is None else shared.fed_frames + tail
                on_progress(PrintProgress(shared.written, total, rate, meter.reading(),
                                          transfer.event_count))
        meter.flush()
        shared.print_window = window
    except BaseException as err:  # handed to the engine, which reports it
        shared.error = err
        shared.abort.set()


def _alignment(shared: _Shared, check_start: int, rate: int, expected: float
               ) -> Alignment | None:
    """Cross-check the print against the source over the stretch kept by both threads."""
    source, printed = shared.source_window, shared.print_window
    if source is None or printed is None or shared.fed_frames is None:
        return None
    frames = min(CHECK_FRAMES, shared.fed_frames - check_start,
                 shared.written - check_start - CHECK_MARGIN)
    if frames < 4096:
        return None
    found = offset(source[:frames].sum(axis=1, dtype=np.float64),
                   printed[:frames + 2 * CHECK_MARGIN].sum(axis=1, dtype=np.float64),
                   margin=CHECK_MARGIN, sample_rate=rate)
    if found is None or not np.isfinite(found):
        return None
    return Alignment(round(found, 3), check_start, frames, round(expected, 3))


def _with_loudness(bext: Bext, reading: LiveReading | None) -> Bext:
    if reading is None:
        return bext

    def finite(value: float | None) -> float | None:
        return value if value is not None and np.isfinite(value) else None

    return replace(bext, loudness_value=finite(reading.integrated_lufs),
                   loudness_range=finite(reading.loudness_range_lu),
                   max_true_peak_level=finite(reading.true_peak_dbtp),
                   max_momentary_loudness=finite(reading.momentary_max_lufs),
                   max_short_term_loudness=finite(reading.short_term_max_lufs))


def outcome(result: PrintResult) -> dict[str, Any]:
    """The figures the print's iXML and the take ledger carry."""
    return {
        "state": result.state, "frames": result.frames, "sample_rate": result.sample_rate,
        "latency_samples": result.latency_samples, "shift_frames": result.shift_frames,
        "offset_samples": None if result.alignment is None else result.alignment.offset_samples,
        "aligned": None if result.alignment is None else result.alignment.aligned,
        "xruns": [{"frame": x.frame, "seconds": round(x.frame / result.sample_rate, 3),
                   "kind": x.kind} for x in result.xruns],
        "settling_xruns": result.settling_xruns, "resampled_from": result.resampled_from,
        "problems": list(result.problems),
    }

