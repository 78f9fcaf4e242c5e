"""Time the commands as an engineer runs them, each a process of its own, on a full library.

Runs `outboard … --library PATH` as subprocesses on the library benchmark's fill (1,000
sessions, 10,000 songs, 100,000 revisions of 60 settings each): listing sessions and songs,
showing a song and a revision, a diff, sheets, the notes, a recall's dry run, the artist's
report and a session's export, each against a goal of 500 ms from start to exit. The floor is
`outboard --help`: the interpreter and Outboard's imports, which every command pays.
`library check` reads the whole file and checks every page of it; it is timed, against a goal
of its own, but apart from the interactive commands.
"""

from __future__ import annotations

import os
import sys

if sys.path and os.path.realpath(sys.path[0]) == os.path.dirname(os.path.realpath(__file__)):
    sys.path.pop(0)

import argparse
import importlib.util
import json
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUTBOARD = str(Path(sys.executable).parent / "outboard")
GOAL_MS = 500.0  # an interactive command, start to exit
CHECK_GOAL_MS = 15_000.0  # `library check`: every page of the file, and every checksum
# The benchmark chain's units, as a studio file names them: set by hand, but for the faders.
STUDIO_UNITS = (("Stepped EQ", "stepped-mastering-eq", "manual:"),
                ("Pultec", "pultec-eqp-1a", "manual:"),
                ("Shadow Hills", "shadow-hills-mastering-compressor", "manual:"),
                ("System 6000", "tc-system-6000-faders", "midi:Benchmark Port?channel=1"))


def _library_benchmark() -> Any:
    spec = importlib.util.spec_from_file_location("library_benchmark",
                                                  ROOT / "benchmarks" / "library.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_studio(folder: Path) -> Path:
    """A studio file whose units are the benchmark chain's, for `recall --dry-run`."""
    text = ('spec = 1\n[studio]\nname = "Benchmark Room"\n[interface]\n'
            'host_api = "JACK Audio Connection Kit"\ndevice = "system"\nsample_rate = 48000\n'
            'buffer_frames = 256\n[[loop]]\nname = "A"\noutputs = [1, 2]\ninputs = [1, 2]\n')
    for name, profile, address in STUDIO_UNITS:
        text += (f'[[unit]]\nname = "{name}"\nprofile = "{profile}"\naddress = "{address}"\n'
                 'loop = "A"\n')
    path = folder / "studio.toml"
    path.write_text(text)
    return path


def commands(library: Path, folder: Path, *, sessions: int, songs: int,
             revisions: int) -> dict[str, list[str]]:
    """Each command timed, by the name the report gives it: its arguments after `outboard`.

    The session and song are in the middle of the library, neither the first rows nor the
    last; ``{n}`` in an argument is the run's number (for commands that need a new target)."""
    session = f"Album {sessions // 2:04d}"
    song = f"{session}/Song {max(songs // 2, 1):02d}"
    at = ["--library", str(library)]
    studio = write_studio(folder)
    return {
        "session list": ["session", "list", *at],
        "session show": ["session", "show", session, *at],
        "song list": ["song", "list", session, *at],
        "song show": ["song", "show", song, *at],
        "rev list": ["rev", "list", song, *at],
        "rev show": ["rev", "show", song, *at],
        "diff": ["diff", song, str(max(revisions - 1, 1)), str(revisions), *at],
        "diff --json": ["diff", song, "--json", *at],
        "sheet (md)": ["sheet", song, *at],
        "sheet (html)": ["sheet", song, "--format", "html", *at],
        "sheet --session": ["sheet", "--session", session, *at],
        "note list": ["note", "list", song, *at],
        "recall --dry-run": ["recall", song, "--dry-run", "--studio", str(studio), *at],
        "report (html)": ["report", song, "-o", str(folder / "report-{n}.html"), *at],
        "library export": ["library", "export", session, str(folder / "export-{n}"), *at],
    }


def run_once(arguments: list[str], *, folder: Path, n: int) -> tuple[float, int]:
    """Milliseconds from starting `outboard` to its exit, and how much it printed; ``{n}``
    in an argument becomes ``n``."""
    argv = [OUTBOARD, *(a.replace("{n}", str(n)) for a in arguments)]
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, check=False, cwd=folder)
    elapsed = (time.perf_counter() - started) * 1000.0
    if done.returncode != 0:
        raise SystemExit(f"`outboard {' '.join(arguments)}` failed ({done.returncode}): "
                         f"{done.stderr.decode(errors='replace')}")
    return elapsed, len(done.stdout)


def figures(times: list[float], printed: int) -> dict[str, Any]:
    return {"median_ms": statistics.median(times), "worst_ms": max(times),
            "printed_bytes": printed}


def measure(library: Path, *, sessions: int, songs: int, revisions: int, runs: int,
            check_runs: int, warm_ups: int = 1) -> dict[str, Any]:
    """Each command ``runs`` times after ``warm_ups`` untimed runs (which fill the page
    cache, as a working day would). The commands take turns, a round at a time, so that what
    else the machine does meanwhile falls on all of them alike."""
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        every = {"outboard --help": ["--help"],
                 **commands(library, folder, sessions=sessions, songs=songs,
                            revisions=revisions)}
        times: dict[str, list[float]] = {label: [] for label in every}
        printed: dict[str, int] = {}
        for n in range(warm_ups + runs):
            for label, arguments in every.items():
                elapsed, printed[label] = run_once(arguments, folder=folder, n=n)
                if n >= warm_ups:
                    times[label].append(elapsed)
            for leftover in folder.iterdir():  # the exports: each run writes a new one
                if leftover.is_dir():
                    shutil.rmtree(leftover)
        check = [run_once(["library", "check", "--library", str(library)], folder=folder,
                          n=n) for n in range(warm_ups + check_runs)][warm_ups:]
    results = {label: figures(times[label], printed[label]) for label in every}
    return {"floor": results.pop("outboard --help"), "commands": results,
            "check": figures([t for t, _ in check], check[-1][1])}


def verdict(ratio: float) -> str:
    return f"{ratio:.2f}x inside" if ratio >= 1 else f"{1 / ratio:.2f}x OVER"


def main() -> int:
    bench = _library_benchmark()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    bench.shape_options(parser)
    parser.add_argument("--runs", type=int, default=9, help="runs of each command")
    parser.add_argument("--check-runs", type=int, default=3, help="runs of `library check`")
    parser.add_argument("--warm-ups", type=int, default=1,
                        help="untimed runs of each command first (default 1)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = args.library or Path(folder) / "library.sqlite"
        made = bench.prepared(path, sessions=args.sessions, songs=args.songs,
                              revisions=args.revisions)
        results = measure(path, sessions=args.sessions, songs=args.songs,
                          revisions=args.revisions, runs=args.runs,
                          check_runs=args.check_runs, warm_ups=args.warm_ups)
    floor = results["floor"]
    report = {
        "sessions": args.sessions, "songs": args.sessions * args.songs,
        "revisions": args.sessions * args.songs * args.revisions,
        "parameters_per_revision": bench.PARAMETERS, "fill": made, "runs": args.runs,
        "cpus": os.cpu_count(), "goal_ms": GOAL_MS,
        "floor": {**floor, "goal_ratio": GOAL_MS / floor["median_ms"]},
        "commands": {name: {**r, "goal_ratio": GOAL_MS / r["median_ms"],
                            "over_floor_ms": r["median_ms"] - floor["median_ms"]}
                     for name, r in results["commands"].items()},
        "library_check": {**results["check"], "goal_ms": CHECK_GOAL_MS,
                          "goal_ratio": CHECK_GOAL_MS / results["check"]["median_ms"]},
    }
    if args.json:
        print(json.dumps(report))
        return 0
    print(f"library: {report['sessions']:,} sessions, {report['songs']:,} songs, "
          f"{report['revisions']:,} revisions × {bench.PARAMETERS} parameters "
          f"({made['settings']:,} settings, {made['bytes'] / 2**20:.0f} MiB, "
          f"filled in {made['seconds']:.0f} s); {args.runs} runs each on "
          f"{report['cpus']} CPUs")
    print(f"  {'outboard --help':<18} median {floor['median_ms']:6.0f} ms  worst "
          f"{floor['worst_ms']:6.0f} ms  (the floor: start-up and imports)")
    for name, r in report["commands"].items():
        print(f"  {name:<18} median {r['median_ms']:6.0f} ms  worst {r['worst_ms']:6.0f} ms  "
              f"floor {r['over_floor_ms']:+5.0f} ms  goal {GOAL_MS:.0f} ms: "
              f"{verdict(r['goal_ratio'])}")
    check = report["library_check"]
    print(f"  {'library check':<18} median {check['median_ms']:6.0f} ms  worst "
          f"{check['worst_ms']:6.0f} ms  goal {CHECK_GOAL_MS / 1000:.0f} s: "
          f"{verdict(check['goal_ratio'])} (reads the whole file)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
