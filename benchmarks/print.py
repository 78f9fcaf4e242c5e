"""A print at real time on a JACK server, and the simulated loop's speed.

Real time: a private jackd (dummy driver, 48 kHz, 128-frame periods) and a 5-minute stereo
mix printed through PortAudio's JACK host API with the live meters read as a display would
read them. The loop is a cable: the stream's outputs patched straight to its inputs. In the
same run and on the same return, ``jack_rec`` (shipped with JACK) records the loop too: the
reference for what recording costs. Reported: xruns (goal zero), the print's share of one
core against jack_rec's (a ratio), and whether the print is aligned and sample-exact.

Simulated: the same mix printed through the simulated insert loop with the demo chain's
units modelled (an album revision's settings), as fast as it goes: × real time.
"""

from __future__ import annotations

import os
import sys

# Run as `python benchmarks/print.py`, this file's folder comes first on sys.path: take it
# off, so that no benchmark module stands in for a package.
if sys.path and os.path.realpath(sys.path[0]) == os.path.dirname(os.path.realpath(__file__)):
    sys.path.pop(0)

import argparse
import json
import resource
import subprocess
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from controller.audio.loops import loop_setup
from controller.audio.pinger import ping_loop
from controller.audio.printing import PrintOptions, run_print
from controller.audio.wavfile import Bext
from controller.signals import music_like
from devices.jackd import die_with_parent, private_server
from recall.studio import studio_from_document

RATE = 48_000


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def children_cpu_seconds() -> float:
    """CPU time of the children reaped so far (jack_rec, once waited for)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def write_mix(path: Path, seconds: float) -> None:
    """The mix, written a minute at a time (the benchmark keeps memory flat too)."""
    with sf.SoundFile(path, "w", RATE, 2, subtype="PCM_24") as out:
        done, seed = 0.0, 1
        while done < seconds:
            part = min(60.0, seconds - done)
            out.write(music_like(duration_s=part, sample_rate=RATE, seed=seed))
            done, seed = done + part, seed + 1


def realtime_print(folder: Path, mix: Path, period: int, server: str) -> dict[str, Any]:
    import jack
    import sounddevice as sd

    if sd._initialized:  # PortAudio looks for JACK servers only when it starts
        sd._terminate()
    sd._initialize()
    studio = studio_from_document({
        "spec": 1, "studio": {"name": "Bench"},
        "interface": {"host_api": "JACK Audio Connection Kit", "device": "system",
                      "sample_rate": RATE, "buffer_frames": period},
        "loop": [{"name": "A", "outputs": [1, 2], "inputs": [1, 2]}]}, "bench.toml")
    setup = loop_setup(studio, "A")
    client = jack.Client("bench-patchbay", servername=server, no_start_server=True)
    client.activate()
    recorder: dict[str, Any] = {}
    seconds = sf.info(str(mix)).duration

    def ports(kind: str) -> list[str]:
        found = client.get_ports(f"PortAudio:{kind}_")
        return [p.name for p in sorted(found, key=lambda p: int(p.name.rsplit("_", 1)[1]))][-2:]

    def patch() -> None:
        outs, ins = ports("out"), ports("in")
        for out, back in zip(outs, ins, strict=True):
            for other in client.get_all_connections(out):
                client.disconnect(out, other)
            for other in client.get_all_connections(back):
                client.disconnect(other, back)
            client.connect(out, back)

    def patch_and_record() -> None:
        patch()
        outs = ports("out")
        recorder["before"] = children_cpu_seconds()
        recorder["process"] = subprocess.Popen(
                ["jack_rec", "-f", str(folder / "jack_rec.wav"), "-d", str(int(seconds)),
                 "-b", "24", *outs], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                env=dict(os.environ, JACK_DEFAULT_SERVER=server), preexec_fn=die_with_parent())

    try:
        ping = ping_loop(setup, repeats=2, on_running=patch)
        updates = []

        def display(progress: Any) -> None:  # what a display does with each reading
            r = progress.reading
            updates.append(f"{r.momentary_lufs} {r.short_term_lufs} {r.integrated_lufs} "
                           f"{r.channel_true_peak_dbtp} {r.correlation}")

        before, started = cpu_seconds(), time.monotonic()
        result = run_print(setup, source=mix, destination=folder / "print.wav",
                           latency_samples=ping.latency_samples, bext=Bext(description="bench"),
                           ixml=lambda d: "", on_running=patch_and_record,
                           on_progress=display,
                           options=PrintOptions(pre_roll_seconds=1.0, tail_seconds=0.0))
        wall, used = time.monotonic() - started, cpu_seconds() - before
        reference = None
        process = recorder.get("process")
        if process is not None:
            process.wait(timeout=seconds + 30)
            reference = children_cpu_seconds() - recorder["before"]
    finally:
        client.deactivate()
        client.close()
        sd._terminate()
    source, _ = sf.read(mix, dtype="float32")
    printed, _ = sf.read(folder / "print.wav", dtype="float32")
    exact = printed.shape == source.shape and bool(np.max(np.abs(printed - source)) < 1e-6)
    share = used / wall
    return {
        "seconds": round(seconds, 1), "period_frames": period,
        "latency_samples": round(ping.latency_samples, 2), "state": result.state,
        "xruns": len(result.xruns), "settling_xruns": result.settling_xruns,
        "aligned": bool(result.alignment and result.alignment.aligned),
        "sample_exact": exact, "meter_updates_per_s": round(len(updates) / wall, 1),
        "cpu_share": round(share, 4),
        "jack_rec_cpu_share": None if reference is None else round(reference / seconds, 4),
        "ratio_to_jack_rec": None if not reference else round(share / (reference / seconds), 2),
    }


def simulated_print(folder: Path, mix: Path) -> dict[str, Any]:
    from controller.demo import SONGS, studio_text
    from recall.studio import load_studio

    (folder / "studio.toml").write_text(studio_text(), encoding="utf-8")
    studio = load_studio(folder / "studio.toml")
    first, second, _ = SONGS["Opener"]
    settings = {name: {**first.get(name, {}), **second.get(name, {})} for name in first}
    setup = loop_setup(studio, "A", unit_values=lambda unit: settings.get(unit.name, {}))
    seconds = sf.info(str(mix)).duration
    started = time.monotonic()
    result = run_print(setup, source=mix, destination=folder / "simulated.wav",
                       latency_samples=256 + 61.37, bext=Bext(description="bench"),
                       ixml=lambda d: "", options=PrintOptions(tail_seconds=0.0))
    wall = time.monotonic() - started
    return {"seconds": round(seconds, 1), "state": result.state,
            "units": len(studio.units_in("A")), "wall_s": round(wall, 2),
            "times_real_time": round(seconds / wall, 1)}


def server_xruns(log: Path) -> dict[str, int] | None:
    """The xruns the JACK server blamed on each client ("client = X was not finished")."""
    if not log.is_file():
        return None
    blamed: dict[str, int] = {}
    for line in log.read_text(errors="replace").splitlines():
        if "XRun: client = " in line:
            client = line.split("client = ", 1)[1].split(" was", 1)[0]
            blamed[client] = blamed.get(client, 0) + 1
    return blamed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=300.0, help="the mix's length")
    parser.add_argument("--period", type=int, default=128, help="JACK's period in frames")
    parser.add_argument("--jack-server", help="use this running JACK server")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        folder = Path(tmp)
        mix = folder / "mix.wav"
        write_mix(mix, args.seconds)
        server = args.jack_server or stack.enter_context(
            private_server(folder / "jackd.log", prefix="outboard-bench", period=args.period))
        report = {"realtime": realtime_print(folder, mix, args.period, server),
                  "simulated": simulated_print(folder, mix)}
        report["realtime"]["server_xruns"] = server_xruns(folder / "jackd.log")
    if args.json:
        print(json.dumps(report))
        return 0
    rt, sim = report["realtime"], report["simulated"]
    print(f"real time, {rt['seconds']} s at {RATE} Hz, {rt['period_frames']}-frame periods, "
          f"JACK dummy server, live meters at {rt['meter_updates_per_s']} updates/s")
    print(f"  state {rt['state']}, xruns {rt['xruns']} (goal 0), aligned {rt['aligned']}, "
          f"sample-exact {rt['sample_exact']}")
    blamed = rt["server_xruns"]
    if blamed is not None:
        print(f"  the server's xruns by client over the whole run: PortAudio (Outboard) "
              f"{blamed.get('PortAudio', 0)}, jackrec {blamed.get('jackrec', 0)}")
    print(f"  Outboard's print: {100 * rt['cpu_share']:.2f} % of one core; jack_rec on the same "
          f"return: {100 * (rt['jack_rec_cpu_share'] or 0):.2f} %; ratio "
          f"{rt['ratio_to_jack_rec']}x")
    print(f"simulated loop, {sim['units']} units modelled: {sim['seconds']} s in "
          f"{sim['wall_s']} s = {sim['times_real_time']}x real time")
    return 0


if __name__ == "__main__":
    sys.exit(main())
