"""Time a 100-parameter recall, sent and read back, across three units on real ports.

Two MIDI units on their own JACK MIDI ports (a private jackd with the dummy driver) and one
serial unit on a pseudo-terminal, each an emulated unit built from a profile written here:
40 SysEx controls read back one query at a time, 30 CCs read back with one state dump, 30
serial ASCII controls read back one query at a time. Each unit is emulated by ``outboard
devices emulate`` in a process of its own, as gear is outside the recall's process
(``--in-process`` runs them in this one). The recall engine plans the revision and sends and
verifies it as ``outboard recall`` does, through spies that count every byte each way on
each port. Each run recalls twice: as the engine does it, and with every port opened before
the recall and closed after it, which shows what opening and closing ports costs.

The reference is the chain's physical floor. For each port: every byte the recall sent and
every reply it read, at 10 bits a byte on a 31,250-baud MIDI cable or at the serial line's
baud rate and framing, plus the profile's mandatory gap after every message it sent (MIDI
``min_gap_ms``, serial ``delay_ms``). Ports run in parallel, so the chain's floor is the
largest port floor. The goal is a recall within 1.5x the floor; the ratio is reported, not
asserted. Also timed: a dry plan, and a resume that finds nothing left to do.
"""

from __future__ import annotations

import os
import sys

# Run as `python benchmarks/recall.py`, this file's folder comes first on sys.path and this
# module would stand in for the `recall` package (and devices.py for `devices`): take it off.
if sys.path and os.path.realpath(sys.path[0]) == os.path.dirname(os.path.realpath(__file__)):
    sys.path.pop(0)

import argparse
import json
import signal
import statistics
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from controller.chain import definitions
from controller.recall_engine.engine import open_port
from controller.recall_engine.plan import REMOTE, RecallPlan, UnitPlan
from controller.recall_engine.session import finish, plan_for, send, start
from devices.emulator import EmulatedUnit
from devices.emulator.runners import MidiEmulator, PtyEmulator
from devices.jackd import die_with_parent, private_server
from devices.loader import load_profile
from devices.profile import Profile
from devices.transport import SpyTransport, parse_address
from devices.transport.base import Transport
from recall.library import Library
from recall.studio import Studio, load_studio

RUNS = 3
PLAN_REPEATS = 20
GOAL_RATIO = 1.5
MIDI_BAUD = 31_250
MIDI_BITS_PER_BYTE = 10  # a start bit, 8 data bits, a stop bit
JACK_RATE = 48_000
JACK_PERIOD = 256
EMULATOR_START_S = 20.0
OUTBOARD = str(Path(sys.executable).with_name("outboard"))
SESSION, SONG_TITLE = "Benchmark", "Recall"
SONG = f"{SESSION}/{SONG_TITLE}"

# ---------------------------------------------------------------------------- the chain
# Each profile is a head and one parameter table repeated; {{ }} are the template's braces.
HEAD = """spec = 1

[unit]
manufacturer = "Outboard"
model = "{model}"
kind = "{kind}"
layout = "stereo"
control = "{control}"
provenance = "Outboard's recall benchmark: an emulated unit, not a product"
verified = false
notes = "{notes}"
"""

SYSEX_HEAD = HEAD.format(
    model="Bench SysEx processor", kind="digital mastering processor", control="midi",
    notes="Forty 14-bit levels set by SysEx, each read back by its own query; Roland-style "
          "checksums. No gap beyond the cable's.") + """
[midi]
channel = 1
device_id = 16
min_gap_ms = 0
"""
SYSEX_PARAMETER = """
[[parameter]]
id = "level_{n}"
name = "Level {n}"
section = "Bank {bank}"
kind = "continuous"
unit = "dB"
min = -30.0
max = 10.0
resolution = 0.1
[parameter.midi]
type = "sysex"
number = {n}
wire_max = 400
template = "F0 7D {{device_id}} 12 {{param}} {{value:14be}} {{checksum:roland@4}} F7"
query = "F0 7D {{device_id}} 11 {{param}} {{checksum:roland@4}} F7"
reply = "F0 7D {{device_id}} 12 {{param}} {{value:14be}} {{checksum:roland@4}} F7"
"""

CC_HEAD = HEAD.format(
    model="Bench CC dynamics", kind="five-band dynamics", control="midi",
    notes="Thirty 7-bit CCs, read back with one whole-state dump; wants 1.5 ms between "
          "messages.") + """
[midi]
channel = 2
device_id = 5
min_gap_ms = 1.5
"""
CC_BAND = """
[[parameter]]
id = "threshold_{b}"
name = "Threshold"
section = "Band {b}"
kind = "continuous"
unit = "dB"
min = -63.5
max = 0.0
resolution = 0.5
midi = {{ type = "cc", number = {cc0} }}

[[parameter]]
id = "makeup_{b}"
name = "Make-up"
section = "Band {b}"
kind = "continuous"
unit = "dB"
min = 0.0
max = 31.75
resolution = 0.25
midi = {{ type = "cc", number = {cc1} }}

[[parameter]]
id = "attack_{b}"
name = "Attack"
section = "Band {b}"
kind = "continuous"
unit = "ms"
min = 0.5
max = 64.0
resolution = 0.5
midi = {{ type = "cc", number = {cc2} }}

[[parameter]]
id = "release_{b}"
name = "Release"
section = "Band {b}"
kind = "continuous"
unit = "ms"
min = 10.0
max = 1280.0
resolution = 10.0
midi = {{ type = "cc", number = {cc3} }}

[[parameter]]
id = "ratio_{b}"
name = "Ratio"
section = "Band {b}"
kind = "stepped"
unit = ":1"
detents = [1.5, 2, 4, 10]
midi = {{ type = "cc", number = {cc4}, wire_values = [0, 1, 2, 3] }}

[[parameter]]
id = "active_{b}"
name = "Band in"
section = "Band {b}"
kind = "switch"
labels = ["out", "in"]
midi = {{ type = "cc", number = {cc5}, wire_values = [0, 127] }}
"""
CC_FIELDS = ("threshold", "makeup", "attack", "release", "ratio", "active")

SERIAL_HEAD = HEAD.format(
    model="Bench serial EQ", kind="six-band mastering EQ", control="serial",
    notes="ASCII commands at 115200 8N1, an OK for every set, 2 ms between commands.") + """
[serial]
baudrate = 115200
terminator = "\\r"
ack = "OK"
delay_ms = 2
timeout_ms = 500
retries = 1
"""
SERIAL_BAND = """
[[parameter]]
id = "gain_{b}"
name = "Gain"
section = "Band {b}"
kind = "continuous"
unit = "dB"
min = -20.0
max = 20.0
centre = 0.0
resolution = 0.5
serial = {{ set = "SET B{b}G {{value:.1f}}", query = "GET B{b}G", reply = "B{b}G {{value:.1f}}" }}

[[parameter]]
id = "freq_{b}"
name = "Frequency"
section = "Band {b}"
kind = "stepped"
unit = "Hz"
detents = [100, 250, 1000, 4000, 10000]
default = 1000
serial = {{ set = "SET B{b}F {{value:d}}", query = "GET B{b}F", reply = "B{b}F {{value:d}}" }}

[[parameter]]
id = "q_{b}"
name = "Q"
section = "Band {b}"
kind = "continuous"
min = 0.3
max = 10.0
resolution = 0.1
serial = {{ set = "SET B{b}Q {{value:.1f}}", query = "GET B{b}Q", reply = "B{b}Q {{value:.1f}}" }}

[[parameter]]
id = "shape_{b}"
name = "Shape"
section = "Band {b}"
kind = "switch"
labels = ["bell", "shelf"]
[parameter.serial]
set = "SET B{b}S {{value}}"
query = "GET B{b}S"
reply = "B{b}S {{value}}"
wire_values = [0, 1]

[[parameter]]
id = "active_{b}"
name = "Band in"
section = "Band {b}"
kind = "switch"
labels = ["out", "in"]
[parameter.serial]
set = "SET B{b}A {{value}}"
query = "GET B{b}A"
reply = "B{b}A {{value}}"
wire_values = [0, 1]
"""


def sysex_profile() -> str:
    return SYSEX_HEAD + "".join(SYSEX_PARAMETER.format(n=n, bank=(n - 1) // 10 + 1)
                                for n in range(1, 41))


def cc_profile() -> str:
    bands = "".join(CC_BAND.format(b=b, **{f"cc{k}": 20 + 6 * (b - 1) + k for k in range(6)})
                    for b in range(1, 6))
    fields = " ".join(f"{{param={name}_{b}}}" for b in range(1, 6) for name in CC_FIELDS)
    dump = ('\n[dump]\nrequest = "F0 7D {device_id} 40 F7"\n'
            f'reply = "F0 7D {{device_id}} 41 {fields} {{checksum:sum7@4}} F7"\n')
    return CC_HEAD + dump + bands


def serial_profile() -> str:
    return SERIAL_HEAD + "".join(SERIAL_BAND.format(b=b) for b in range(1, 7))


def sysex_settings() -> dict[str, float]:
    return {f"level_{n}": round(-12.0 + 0.3 * n, 1) for n in range(1, 41)}


def cc_settings() -> dict[str, float]:
    ratios = (2.0, 4.0, 10.0, 2.0, 4.0)
    settings: dict[str, float] = {}
    for b in range(1, 6):
        settings.update({f"threshold_{b}": -10.0 - 2.5 * b, f"makeup_{b}": 1.25 * b,
                         f"attack_{b}": 2.5 * b, f"release_{b}": 100.0 * b,
                         f"ratio_{b}": ratios[b - 1], f"active_{b}": 1.0})
    return settings


def serial_settings() -> dict[str, float]:
    freqs = (100.0, 250.0, 4000.0, 10000.0, 250.0, 4000.0)
    settings: dict[str, float] = {}
    for b in range(1, 7):
        settings.update({f"gain_{b}": 1.5 * b - 5.5, f"freq_{b}": freqs[b - 1],
                         f"q_{b}": round(0.7 + 0.3 * b, 1), f"shape_{b}": 1.0,
                         f"active_{b}": 1.0})
    return settings


@dataclass(frozen=True, slots=True)
class BenchUnit:
    """One unit of the chain: its name, profile file and the revision's settings."""

    name: str
    profile: Path
    settings: dict[str, float]


def write_chain(folder: Path) -> tuple[BenchUnit, ...]:
    texts = {"bench-sysex-processor": (sysex_profile(), "Bench SysEx", sysex_settings()),
             "bench-cc-dynamics": (cc_profile(), "Bench Dynamics", cc_settings()),
             "bench-serial-eq": (serial_profile(), "Bench Serial EQ", serial_settings())}
    units = []
    for key, (text, name, settings) in texts.items():
        path = folder / f"{key}.toml"
        path.write_text(text, encoding="utf-8")
        load_profile(path)  # a bad profile fails here, not in the middle of a run
        units.append(BenchUnit(name, path, settings))
    return tuple(units)


# ---------------------------------------------------------------------------- figures
@dataclass(frozen=True, slots=True)
class Port:
    """One port of one run: what crossed it, its floor and how long the recall held it."""

    port: str
    unit: str
    parameters: int
    baud: int
    bits_per_byte: float
    gap_ms: float  # min_gap_ms (MIDI) or delay_ms (serial)
    messages_out: int
    messages_in: int
    bytes_out: int
    bytes_in: int
    wire_ms: float
    gaps_ms: float
    floor_ms: float  # wire_ms + gaps_ms
    floor_overlapped_ms: float  # the gaps counted from each send, as the profile docs say
    open_ms: float  # opening the port
    busy_ms: float  # from opening the port to closing it
    ratio: float  # busy_ms / floor_ms
    replies: int  # messages read, each after the message that asked for it
    reply_wait_ms: float  # summed: from that message going out to its answer read
    reply_wait_median_ms: float
    longest_silence_ms: float  # the longest time between two messages on the port


@dataclass(frozen=True, slots=True)
class Run:
    """One recall: its time against the floor, every parameter's state, and each port."""

    measured_ms: float  # the whole send(): ports opened, sent, read back, closed, recorded
    floor_ms: float
    floor_port: str
    ratio: float
    states: dict[str, int]
    resends: int
    faults: tuple[str, ...]
    verdict: str
    record_lag_ms: float  # from the last port closing to send() returning
    ports: tuple[Port, ...]


@dataclass(frozen=True, slots=True)
class Figures:
    """Everything the benchmark reports; ``--json`` prints it as it stands."""

    parameters: int
    units: int
    runs: int
    jack_rate: int
    jack_period: int
    emulators_in_process: bool  # else each unit is emulated in a process of its own
    goal_ratio: float
    measured_ms: float  # the best run's
    floor_ms: float
    floor_port: str
    ratio: float
    goal_met: bool
    all_verified: bool
    states: dict[str, int]
    resends: int
    verdict: str
    faults: tuple[str, ...]
    runs_measured_ms: tuple[float, ...]
    record_lag_ms: float
    ports: tuple[Port, ...]
    # The same recall with every port opened before it and closed after it.
    held_measured_ms: float
    held_ratio: float
    held_runs_measured_ms: tuple[float, ...]
    held_ports: tuple[Port, ...]
    plan_ms: float  # a dry plan, best of PLAN_REPEATS
    resume_ms: float  # start(resume=True) and send() with every parameter verified before
    resume_ports_opened: int


# ---------------------------------------------------------------------------- wire
class Stamped(SpyTransport):
    """A spy that also times its port's opening, every message read, and the close; a held
    one leaves its port open when the recall closes it."""

    def __init__(self, inner: Transport, began: float, *, held: bool = False) -> None:
        super().__init__(inner)
        self.began = began
        self.opened = time.perf_counter()
        self.received_at: list[float] = []
        self.closed = 0.0
        self.held = held

    def receive(self, timeout: float) -> bytes | None:
        message = super().receive(timeout)
        if message is not None:
            self.received_at.append(time.perf_counter())
        return message

    def close(self) -> None:
        if not self.held:
            super().close()
        self.closed = time.perf_counter()


class Ports:
    """The opener the recall is given: each unit's real port, opened, inside a spy.

    Held (a context manager): every port of ``plan`` is opened before the recall and closed
    after it, so the recall's time leaves out opening and closing ports.
    """

    def __init__(self, plan: RecallPlan | None = None) -> None:
        self.opened: dict[str, tuple[UnitPlan, Stamped]] = {}
        self._held: dict[str, Stamped] = {}
        self._lock = threading.Lock()
        try:
            for unit in plan.of_kind(REMOTE) if plan is not None else ():
                self._held[unit.port] = Stamped(open_port(unit), time.perf_counter(), held=True)
        except BaseException:
            self.__exit__()
            raise

    def __call__(self, plan: UnitPlan) -> Transport:
        spy = self._held.get(plan.port)
        if spy is None:
            began = time.perf_counter()
            spy = Stamped(open_port(plan), began)
        else:
            spy.began = spy.opened = time.perf_counter()
        with self._lock:
            self.opened[plan.port] = (plan, spy)
        return spy

    def __enter__(self) -> Ports:
        return self

    def __exit__(self, *exc: object) -> None:
        for spy in self._held.values():
            spy.inner.close()


def line_of(plan: UnitPlan) -> tuple[int, float, float, bytes]:
    """Baud, bits a byte, mandatory gap (s) and the terminator a read line lost."""
    profile = plan.loaded
    assert profile is not None and plan.address is not None
    if profile.control == "midi":
        gap = profile.midi.min_gap_ms / 1000.0 if profile.midi else 0.0
        return MIDI_BAUD, MIDI_BITS_PER_BYTE, gap, b""
    s = profile.serial
    assert s is not None
    baud = int(parse_address(plan.address).option("baudrate") or s.baudrate)
    bits = 1 + s.bytesize + (s.parity != "none") + s.stopbits
    return baud, bits, s.delay_ms / 1000.0, s.terminator


def port_figures(plan: UnitPlan, spy: Stamped) -> Port:
    baud, bits, gap, terminator = line_of(plan)
    per_byte = bits / baud
    # The serial transport hands over lines without their terminator; it crossed the wire.
    sizes = [len(m) + (len(terminator) if d == "in" else 0) for d, m in spy.traffic]
    outs = [d == "out" for d, _ in spy.traffic]
    wire = sum(sizes) * per_byte
    # Each message sent and the replies read after it are one exchange; the docs' pacing
    # waits for the longer of the gap and the exchange's cable time.
    exchanges: list[int] = []
    for size, out in zip(sizes, outs, strict=True):
        if out or not exchanges:
            exchanges.append(0)
        exchanges[-1] += size
    overlapped = sum(max(gap, b * per_byte) for b in exchanges)
    stamps, waits, last_out = [], [], None
    sent, read = iter(spy.sent_at), iter(spy.received_at)
    for out in outs:
        stamps.append(next(sent) if out else next(read))
        if out:
            last_out = stamps[-1]
        elif last_out is not None:
            waits.append(stamps[-1] - last_out)
    silence = max((b - a for a, b in zip(stamps, stamps[1:], strict=False)), default=0.0)
    floor = wire + sum(outs) * gap
    busy = spy.closed - spy.began
    return Port(
        port=plan.port, unit=plan.unit, parameters=len(plan.steps), baud=baud,
        bits_per_byte=bits, gap_ms=gap * 1000.0, messages_out=sum(outs),
        messages_in=len(outs) - sum(outs),
        bytes_out=sum(s for s, o in zip(sizes, outs, strict=True) if o),
        bytes_in=sum(s for s, o in zip(sizes, outs, strict=True) if not o),
        wire_ms=wire * 1000.0, gaps_ms=sum(outs) * gap * 1000.0, floor_ms=floor * 1000.0,
        floor_overlapped_ms=overlapped * 1000.0, open_ms=(spy.opened - spy.began) * 1000.0,
        busy_ms=busy * 1000.0, ratio=busy / floor if floor > 0 else 0.0, replies=len(waits),
        reply_wait_ms=sum(waits) * 1000.0,
        reply_wait_median_ms=statistics.median(waits) * 1000.0 if waits else 0.0,
        longest_silence_ms=silence * 1000.0)


# ---------------------------------------------------------------------------- JACK
def jack_server(period: int, folder: Path) -> AbstractContextManager[str]:
    """A private JACK server with the dummy driver for this run (see devices.jackd)."""
    return private_server(folder / "jackd.log", prefix="outboard-recall-bench", rate=JACK_RATE,
                          period=period)


# ---------------------------------------------------------------------------- one run
@contextmanager
def emulator_here(profile: Profile, port: str | None) -> Iterator[str]:
    """The unit emulated in this process: its address (without options)."""
    runner: MidiEmulator | PtyEmulator
    if port is not None:
        runner = MidiEmulator(EmulatedUnit(profile), port, api="jack")
        where = f"midi:{port}"
    else:
        runner = PtyEmulator(EmulatedUnit(profile))
        where = f"serial:{runner.port}"
    with runner:
        yield where
    if runner.error is not None:
        raise RuntimeError(f"the emulated {profile.key} failed: {runner.error!r}")


@contextmanager
def emulator_apart(path: Path, port: str | None, log: Path) -> Iterator[str]:
    """The unit emulated by ``outboard devices emulate`` in a process of its own, as gear is
    outside the recall's process: its address (without options)."""
    where = ["--midi-port", port, "--api", "jack"] if port is not None else ["--pty"]
    with log.open("wb") as out:
        process = subprocess.Popen(
            [OUTBOARD, "devices", "emulate", str(path), *where, "--json"],
            stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            preexec_fn=die_with_parent())
    try:
        deadline = time.monotonic() + EMULATOR_START_S
        while not (lines := log.read_text(errors="replace").splitlines()):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the emulator of {path.name} did not start: "
                                   f"{log.read_text(errors='replace')[-500:]}")
            time.sleep(0.02)
        yield json.loads(lines[0])["address"]
    finally:
        process.send_signal(signal.SIGINT)  # a clean stop: its ports close
        try:
            code = process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            code = process.wait()
    if code != 0:
        raise RuntimeError(f"the emulator of {path.name} failed ({code}): "
                           f"{log.read_text(errors='replace')[-500:]}")


@contextmanager
def rig(folder: Path, chain: tuple[BenchUnit, ...], *, in_process: bool) -> Iterator[Studio]:
    """The emulated units on their ports, fresh at their defaults, and a studio file that
    names them; port names are new each run."""
    tag = uuid.uuid4().hex[:6]
    with ExitStack() as stack:
        text = ('spec = 1\n[studio]\nname = "Bench Room"\n[interface]\n'
                'host_api = "JACK Audio Connection Kit"\ndevice = "system"\n'
                f'sample_rate = {JACK_RATE}\nbuffer_frames = 256\n')
        for unit in chain:
            profile = load_profile(unit.profile)
            port = f"{unit.name} {tag}" if profile.control == "midi" else None
            where = stack.enter_context(
                emulator_here(profile, port) if in_process
                else emulator_apart(unit.profile, port, folder / f"{profile.key}.log"))
            if profile.midi is not None:
                options = (f"api=jack&channel={profile.midi.channel}"
                           f"&device_id={profile.midi.device_id}")
            else:
                assert profile.serial is not None
                options = f"baudrate={profile.serial.baudrate}"
            text += (f'[[unit]]\nname = "{unit.name}"\nprofile = "{unit.profile}"\n'
                     f'address = "{where}?{options}"\n')
        path = folder / "studio.toml"
        path.write_text(text, encoding="utf-8")
        yield load_studio(path)


def build_library(path: Path, studio: Studio, chain: tuple[BenchUnit, ...]) -> Library:
    library = Library(path)
    library.new_session(SESSION)
    library.add_song(SESSION, SONG_TITLE)
    library.new_revision(SONG, studio=studio)
    for unit in chain:
        profile = load_profile(unit.profile)
        library.add_unit(SONG, 1, unit.name, profile=profile.key,
                         definitions=definitions(profile), settings=unit.settings)
    return library


def recall_once(library: Library, studio: Studio, *, held: bool = False) -> Run:
    """A new attempt, sent and verified; ``held``: its ports opened before and closed after."""
    plan = plan_for(library, SONG, studio)
    attempt = start(library, plan)
    with Ports(plan if held else None) as ports:
        began = time.perf_counter()
        faults = send(library, attempt, plan, opener=ports)
        ended = time.perf_counter()
    done = finish(library, attempt.id, faults)
    states = {k: v for k, v in done.counts().items() if v}
    figures = tuple(port_figures(p, spy) for p, spy in
                    sorted(ports.opened.values(), key=lambda item: item[0].position))
    floor = max(figures, key=lambda p: p.floor_ms) if figures else None
    measured = (ended - began) * 1000.0
    last_close = max((spy.closed for _, spy in ports.opened.values()), default=ended)
    return Run(
        measured_ms=measured, floor_ms=floor.floor_ms if floor else 0.0,
        floor_port=floor.port if floor else "",
        ratio=measured / floor.floor_ms if floor and floor.floor_ms > 0 else 0.0,
        states=states, resends=sum(max(o.tries - 1, 0) for o in done.outcomes),
        faults=faults, verdict=done.outcome, record_lag_ms=(ended - last_close) * 1000.0,
        ports=figures)


def time_plan(library: Library, studio: Studio) -> float:
    best = float("inf")
    for _ in range(PLAN_REPEATS):
        began = time.perf_counter()
        plan_for(library, SONG, studio)
        best = min(best, time.perf_counter() - began)
    return best * 1000.0


def time_resume(library: Library, studio: Studio) -> tuple[float, int]:
    """A resume of the last attempt, which verified everything: nothing to open or send."""
    plan = plan_for(library, SONG, studio)
    ports = Ports()
    began = time.perf_counter()
    attempt = start(library, plan, resume=True)
    send(library, attempt, plan, opener=ports)
    return (time.perf_counter() - began) * 1000.0, len(ports.opened)


# ---------------------------------------------------------------------------- report
@contextmanager
def existing_server(name: str) -> Iterator[str]:
    """A JACK server someone else started (the test suite's): named for this run's clients."""
    previous = os.environ.get("JACK_DEFAULT_SERVER")
    os.environ["JACK_DEFAULT_SERVER"] = name
    try:
        yield name
    finally:
        if previous is None:
            os.environ.pop("JACK_DEFAULT_SERVER", None)
        else:
            os.environ["JACK_DEFAULT_SERVER"] = previous


def measure(runs: int, period: int, in_process: bool,
            log: Callable[[str], None], server_name: str | None = None) -> Figures:
    cold: list[Run] = []
    held: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="outboard-recall-bench-") as name:
        folder = Path(name)
        chain = write_chain(folder)
        server_context = (existing_server(server_name) if server_name
                          else jack_server(period, folder))
        with server_context as server:
            log(f"jackd dummy server {server} up ({JACK_RATE} Hz, {period} frames)")
            for i in range(1, runs + 1):
                run_folder = folder / f"run-{i}"
                run_folder.mkdir()
                with rig(run_folder, chain, in_process=in_process) as studio, \
                        build_library(run_folder / "library.sqlite", studio, chain) as library:
                    cold.append(recall_once(library, studio))
                    held.append(recall_once(library, studio, held=True))
                    log(f"run {i}: {cold[-1].measured_ms:.1f} ms = {cold[-1].ratio:.2f}x the "
                        f"floor ({held[-1].measured_ms:.1f} ms = {held[-1].ratio:.2f}x with "
                        "the ports held open); "
                        + ", ".join(f"{n} {s}" for s, n in cold[-1].states.items()))
                    if i == runs:
                        plan_ms = time_plan(library, studio)
                        resume_ms, opened = time_resume(library, studio)
    best = min(cold, key=lambda r: r.measured_ms)
    best_held = min(held, key=lambda r: r.measured_ms)
    parameters = sum(best.states.values())
    return Figures(
        parameters=parameters, units=len(chain), runs=runs, jack_rate=JACK_RATE,
        jack_period=period, emulators_in_process=in_process, goal_ratio=GOAL_RATIO,
        measured_ms=best.measured_ms, floor_ms=best.floor_ms, floor_port=best.floor_port,
        ratio=best.ratio, goal_met=0 < best.ratio <= GOAL_RATIO,
        all_verified=all(r.states == {"verified": parameters} for r in cold + held),
        states=best.states, resends=best.resends, verdict=best.verdict, faults=best.faults,
        runs_measured_ms=tuple(r.measured_ms for r in cold), record_lag_ms=best.record_lag_ms,
        ports=best.ports, held_measured_ms=best_held.measured_ms, held_ratio=best_held.ratio,
        held_runs_measured_ms=tuple(r.measured_ms for r in held), held_ports=best_held.ports,
        plan_ms=plan_ms, resume_ms=resume_ms, resume_ports_opened=opened)


def port_lines(p: Port, held: Port | None) -> list[str]:
    def timing(q: Port) -> list[str]:
        return [f"{q.busy_ms:.1f} ms = {q.ratio:.2f}x its floor (opening it {q.open_ms:.1f} ms); "
                f"longest silence {q.longest_silence_ms:.1f} ms",
                f"        waiting on {q.replies} replies {q.reply_wait_ms:.1f} ms (median "
                f"{q.reply_wait_median_ms:.2f} ms)"]

    recall, *waits = timing(p)
    lines = [
        f"{p.unit} on {p.port}: {p.parameters} parameters",
        f"    {p.baud:,} baud, {p.bits_per_byte:g} bits a byte, gap {p.gap_ms:g} ms; "
        f"{p.messages_out} messages out ({p.bytes_out:,} bytes), {p.messages_in} in "
        f"({p.bytes_in:,})",
        f"    floor {p.floor_ms:.1f} ms = wire {p.wire_ms:.1f} + gaps {p.gaps_ms:.1f} "
        f"(overlapping the wire, as paced: {p.floor_overlapped_ms:.1f})",
        f"    the recall held it {recall}", *waits,
    ]
    if held is not None:
        recall, *waits = timing(held)
        lines += [f"    opened before the recall: {recall}", *waits]
    return lines


def report(f: Figures) -> str:
    states = ", ".join(f"{n} {s}" for s, n in f.states.items())
    held = {p.unit: p for p in f.held_ports}  # port names change each run

    def listed(times: tuple[float, ...]) -> str:
        return ", ".join(f"{m:.1f}" for m in times)

    lines = [
        f"{f.parameters} parameters on {f.units} units, {len(f.ports)} ports in parallel; "
        f"jackd dummy {f.jack_rate} Hz / {f.jack_period} frames; units emulated "
        f"{'in this process' if f.emulators_in_process else 'each in its own process'}; "
        f"best of {f.runs} runs",
        "",
        *[line for p in f.ports for line in port_lines(p, held.get(p.unit))],
        "",
        f"recall (send and verify): {f.measured_ms:.1f} ms; floor {f.floor_ms:.1f} ms "
        f"({f.floor_port}); ratio {f.ratio:.2f}x   (runs: {listed(f.runs_measured_ms)} ms)",
        f"    states: {states}; {f.resends} resends; verdict {f.verdict}"
        + (f"; faults: {'; '.join(f.faults)}" if f.faults else ""),
        f"    outcomes still being recorded after the last port closed: "
        f"{f.record_lag_ms:.1f} ms",
        f"the same with every port opened before and closed after: {f.held_measured_ms:.1f} ms"
        f" = {f.held_ratio:.2f}x   (runs: {listed(f.held_runs_measured_ms)} ms)",
        f"dry plan: {f.plan_ms:.2f} ms (best of {PLAN_REPEATS}); resume with nothing left: "
        f"{f.resume_ms:.1f} ms, {f.resume_ports_opened} ports opened",
        "",
        f"goal: recall within {f.goal_ratio:g}x the floor: "
        f"{'MET' if f.goal_met else 'NOT MET'} ({f.ratio:.2f}x); every parameter verified "
        f"in every run: {'yes' if f.all_verified else 'NO'}",
    ]
    return "\n".join(lines)


def on_terminate(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds through the finally that stops jackd


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--runs", type=int, default=RUNS, help=f"best of N (default {RUNS})")
    parser.add_argument("--jack-period", type=int, default=JACK_PERIOD,
                        help=f"jackd frames a period (default {JACK_PERIOD})")
    parser.add_argument("--jack-server", metavar="NAME",
                        help="use this running JACK server instead of starting one")
    parser.add_argument("--in-process", action="store_true",
                        help="emulate the units in this process, not each in its own")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be 1 or more")
    signal.signal(signal.SIGTERM, on_terminate)

    def log(message: str) -> None:
        print(message, file=sys.stderr if args.json else sys.stdout, flush=True)

    figures = measure(args.runs, args.jack_period, args.in_process, log, args.jack_server)
    print(json.dumps(asdict(figures), indent=2) if args.json else "\n" + report(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
