"""`outboard ping LOOP` and `outboard print SONG`: measure an insert loop's round trip, and
print a revision through it with the meters running."""

from __future__ import annotations

import argparse
import math
import sys
from typing import Any, TextIO

from controller.errors import EXIT_CHECK_FAILED, EXIT_OK, InputError
from recall.studio import InsertLoop, Studio

from .library_access import emit, open_library
from .recall_cmd import common_options, studio_option


def register(commands: Any) -> None:
    ping = commands.add_parser(
        "ping", help="measure an insert loop's round trip and keep it for the next prints",
        description="Plays a sweep out of the loop's outputs several times and measures each "
        "return: latency in samples (to a hundredth) and ms, polarity, path gain, and the "
        "spread between repeats (jitter). Warns when the return is smeared (a unit in the "
        "loop not bypassed: bypass it for the ping). The result is kept in the library with "
        "the interface, rate, buffer and channels it was measured with; when any of them "
        "changes, the next print pings again.")
    ping.add_argument("loop", metavar="LOOP", help="the loop's name in the studio file")
    ping.add_argument("--repeat", type=int, default=5, metavar="N",
                      help="sweeps per channel (default 5)")
    common_options(ping)
    ping.set_defaults(handler=run_ping)

    printing = commands.add_parser(
        "print", help="print a revision through its insert loop",
        description="Plays the song's source mix out of the loop and records its return in "
        "one full-duplex stream, compensates the loop's latency (pinging first when the "
        "last ping is missing or stale), checks the alignment against the source, and "
        "writes the print (BWF with bext and iXML) into the library's prints folder and "
        "its take ledger, measured. Exit codes: 0 a clean print; 1 a print with xruns, "
        "out of alignment, or stopped (the partial file is kept, marked incomplete); "
        "2 bad input; 3 an audio fault.")
    printing.add_argument("song", metavar="SONG", help='"Session/Song", or the song id')
    printing.add_argument("--rev", type=int, metavar="N", help="the revision (default: latest)")
    printing.add_argument("--loop", metavar="NAME", help="the insert loop (default: the one "
                          "the revision's chain sits in)")
    printing.add_argument("--pre-roll", type=float, default=1.0, metavar="SECONDS",
                          help="silence before the song, for the gear to settle (default 1)")
    printing.add_argument("--tail", type=float, default=2.0, metavar="SECONDS",
                          help="recorded past the song's end (default 2)")
    printing.add_argument("--float", action="store_true",
                          help="write 32-bit float (default 24-bit)")
    printing.add_argument("--resample", action="store_true", help="convert a source at "
                          "another rate to the interface's (default: refuse it)")
    printing.add_argument("--ping", action="store_true",
                          help="ping the loop first even if the last ping still holds")
    printing.add_argument("--realtime", action="store_true", help="with the simulated loop: "
                          "run at real time, as an interface does (default: faster)")
    printing.add_argument("--no-fingerprint", action="store_true", help="skip the chain's "
                          "fingerprint after the print (sweeps at three levels, a few seconds)")
    common_options(printing)
    printing.set_defaults(handler=run_print_command)


def _number(value: float | None, digits: int = 2) -> float | None:
    return None if value is None or not math.isfinite(value) else round(value, digits)


# ---------------------------------------------------------------------------- ping


def run_ping(args: argparse.Namespace) -> int:
    from controller.audio.loops import loop_setup
    from controller.audio.pinger import ping_loop
    from controller.print_session import store_ping

    if args.repeat < 1:
        raise InputError(f"--repeat {args.repeat}: give at least 1")
    studio = studio_option(args)
    with open_library(args) as library:
        setup = loop_setup(studio, args.loop)
        ping = ping_loop(setup, repeats=args.repeat)
        record = store_ping(library, setup, ping)
    if args.json:
        emit(dict(ping.as_dict(), id=record.id, created=record.created))
        return EXIT_OK
    loop = setup.loop
    print(f"loop {loop.name} ({_channels(loop)}) at {ping.sample_rate} Hz, "
          f"{studio.buffer_frames}-frame buffer, {ping.repeats} sweeps per channel")
    print(f"  latency   {ping.latency_samples:.2f} samples = {ping.latency_ms:.3f} ms")
    print(f"  jitter    {ping.jitter_samples:.2f} samples")
    print(f"  polarity  {'INVERTED' if ping.inverted else 'normal'}")
    print(f"  gain      {ping.gain_db:+.2f} dB")
    for index, channel in enumerate(ping.channels):
        latencies = ", ".join(f"{r.latency_samples:.2f}" for r in channel)
        print(f"  out {loop.outputs[index]} -> in {loop.inputs[index]}: {latencies}")
    if ping.smeared:
        print(f"outboard: warning: the return of loop {loop.name} is smeared (purity "
              f"{ping.purity:.2f}): a unit in the loop is not bypassed; bypass it and ping "
              "again", file=sys.stderr)
    if ping.inverted:
        print(f"outboard: warning: loop {loop.name} inverts polarity (a miswired cable?)",
              file=sys.stderr)
    return EXIT_OK


def _channels(loop: InsertLoop) -> str:
    pairs = ", ".join(f"{o}->{i}" for o, i in zip(loop.outputs, loop.inputs, strict=True))
    return f"out->in {pairs}"


# ---------------------------------------------------------------------------- print


def run_print_command(args: argparse.Namespace) -> int:
    from controller.audio.printing import PrintOptions
    from controller.chain import library_path
    from controller.print_session import print_revision

    if args.pre_roll < 0 or args.tail < 0:
        raise InputError("--pre-roll and --tail take seconds of 0 or more")
    studio = studio_option(args)
    options = PrintOptions(pre_roll_seconds=args.pre_roll, tail_seconds=args.tail,
                           subtype="FLOAT" if args.float else "PCM_24", resample=args.resample)
    live = LiveLine(sys.stderr) if sys.stderr.isatty() and not args.json else None
    with open_library(args) as library:
        done = print_revision(
            library, library_path(args.library), studio, args.song, args.rev, loop=args.loop,
            options=options, realtime=args.realtime, ping_again=args.ping,
            fingerprint_after=not args.no_fingerprint,
            on_progress=live.show if live else None,
            on_ping=lambda why: print(f"outboard: pinging the loop first ({'; '.join(why)})",
                                      file=sys.stderr))
    if live:
        live.end()
    result, take = done.result, done.take
    aligned = result.alignment is None or result.alignment.aligned
    if args.json:
        emit(_print_json(done, studio))
    else:
        _print_summary(done, studio)
    return EXIT_OK if take.state == "complete" and aligned else EXIT_CHECK_FAILED


def _print_json(done: Any, studio: Studio) -> dict[str, Any]:
    take = done.take
    return {"song_id": take.song_id, "revision": take.revision_number, "take": take.take,
            "state": take.state, "path": str(done.result.path), "sha256": take.sha256,
            "pinged": done.pinged, "stale_because": list(done.stale),
            "ping": take.metadata.get("ping"), "outcome": take.metadata.get("outcome"),
            "measurement": take.metadata.get("measurement"),
            "levels_dbu": _levels_dbu(done, studio), "seconds": round(done.result.seconds, 3),
            "fingerprint": done.fingerprint is not None}


def _levels_dbu(done: Any, studio: Studio) -> list[dict[str, Any]]:
    """Each returned channel's peaks in dBFS and, where the input is calibrated, in dBu."""
    reading = done.result.reading
    if reading is None:
        return []
    loop = studio.loop(done.take.metadata["loop"])
    levels = []
    for index, channel in enumerate(loop.inputs):
        calibration = studio.calibration_for("input", channel)
        true_peak = reading.channel_true_peak_dbtp[index]
        levels.append({"input": channel, "true_peak_dbtp": _number(true_peak),
                       "true_peak_dbu": None if calibration is None
                       else _number(calibration.to_dbu(true_peak))})
    return levels


def _print_summary(done: Any, studio: Studio) -> None:
    result, take = done.result, done.take
    if done.pinged:
        print(f"pinged loop {take.metadata['loop']}: {done.ping.latency_samples:.2f} samples")
    print(f"take {take.take} of revision {take.revision_number}: {take.state}, "
          f"{result.frames / result.sample_rate:.2f} s -> {result.path}")
    print(f"  latency   {result.latency_samples:.2f} samples compensated "
          f"({result.shift_frames} whole samples)")
    if result.alignment is None:
        print("  aligned   not checked (the middle of the song is silent)")
    else:
        verdict = "aligned" if result.alignment.aligned else "OUT OF ALIGNMENT"
        print(f"  offset    {result.alignment.offset_samples:+.2f} samples against the source"
              f" ({verdict})")
    measured = take.metadata.get("measurement") or {}
    if measured:
        print(f"  loudness  {_shown(measured.get('integrated_lufs'))} LUFS integrated, "
              f"{_shown(measured.get('loudness_range_lu'))} LU range, "
              f"{_shown(measured.get('true_peak_dbtp'))} dBTP true peak")
    for level in _levels_dbu(done, studio):
        dbu = "" if level["true_peak_dbu"] is None else f" = {level['true_peak_dbu']:+.1f} dBu"
        print(f"  input {level['input']}  true peak {level['true_peak_dbtp']} dBTP{dbu}")
    for xrun in result.xruns[:10]:
        print(f"  xrun at {xrun.frame / result.sample_rate:.3f} s: {xrun.kind}")
    for problem in result.problems:
        print(f"  stopped: {problem}")
    if done.fingerprint is not None:
        fp = done.fingerprint
        print(f"  fingerprint of the chain kept: {len(fp.centres_hz)} bands at "
              f"{', '.join(f'{level:g}' for level in fp.levels_dbfs)} dBFS")


def _shown(value: float | None) -> str:
    return "-inf" if value is None else f"{value:.1f}"


class LiveLine:
    """The meters on one line of the terminal, redrawn as the print goes."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def show(self, progress: Any) -> None:
        r = progress.reading
        rate = progress.sample_rate

        def lufs(value: float | None) -> str:
            return "  -  " if value is None or not math.isfinite(value) else f"{value:5.1f}"

        peaks = " ".join(f"{p:5.1f}" if math.isfinite(p) else "  -inf"
                         for p in r.channel_true_peak_dbtp)
        corr = "  -  " if r.correlation is None else f"{r.correlation:+.2f}"
        line = (f"\r{_clock(progress.frames / rate)} / {_clock(progress.total_frames / rate)}"
                f"  M {lufs(r.momentary_lufs)}  S {lufs(r.short_term_lufs)}"
                f"  I {lufs(r.integrated_lufs)} LUFS  TP {peaks} dBTP  corr {corr}"
                f"  clip {r.clipped_samples}  xruns {progress.xruns} ")
        self.stream.write(line)
        self.stream.flush()

    def end(self) -> None:
        self.stream.write("\n")
        self.stream.flush()


def _clock(seconds: float) -> str:
    return f"{int(seconds // 60)}:{seconds % 60:04.1f}"
