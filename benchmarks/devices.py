"""Time messages per second to emulated units over JACK MIDI and a pseudo-terminal."""

from __future__ import annotations

import os
import sys

# Run as `python benchmarks/devices.py`, this file's folder comes first on sys.path and this
# module would stand in for the `devices` package it measures: take the folder off first.
if sys.path and os.path.realpath(sys.path[0]) == os.path.dirname(os.path.realpath(__file__)):
    sys.path.pop(0)

import argparse
import gc
import json
import signal
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from devices import codec
from devices.codec import Address
from devices.driver import Driver
from devices.emulator import EmulatedUnit
from devices.emulator.runners import MidiEmulator, PtyEmulator
from devices.errors import DeviceError
from devices.jackd import private_server
from devices.loader import find_profile
from devices.profile import Parameter, Profile
from devices.transport import SpyTransport
from devices.transport.base import Transport
from devices.transport.midi_port import MidiTransport
from devices.transport.serial_port import SerialTransport

MIDI_PROFILE = "tc-finalizer-96k"
MIDI_PARAMETER = "analog_out_gain"  # a 7-bit CC (18) on the profile's channel
SERIAL_PROFILE = "generic-serial-ascii"
SERIAL_PARAMETER = "gain"
SERIAL_VALUES = (-3.5, -4.0)  # "SET GAIN -3.5" / "SET GAIN -4.0": every command the same length

MIDI_BAUD = 31_250
BITS_PER_BYTE = 10  # a start bit, 8 data bits, a stop bit
MIDI_MESSAGE_BYTES = 3
MIDI_WIRE_RATE = MIDI_BAUD / BITS_PER_BYTE / MIDI_MESSAGE_BYTES  # 1,041.7 messages/s

RUN_SECONDS = 2.0  # each timed run aims at this long
MIDI_PROBE_MESSAGES = 20_000
SERIAL_PROBE_MESSAGES = 10
QUIET_S = 0.5  # a unit that takes nothing new for this long has taken all it will
WAIT_LIMIT_S = 10.0

JACK_RATE = 48_000
JACK_PERIOD = 256


# ---------------------------------------------------------------------------- figures
@dataclass(frozen=True, slots=True)
class Run:
    """One timed run: what went out, what the unit took, and how fast."""

    name: str
    sent: int
    received: int
    lost: int
    errors: int
    elapsed_s: float  # from the first send to the last send or receive, whichever is later
    offered_rate: float  # messages handed to the transport per second while sending
    rate: float  # messages the unit received per second
    wire_limit: float  # messages per second the wire carries at most
    ratio_to_wire: float
    target_rate: float | None = None  # paced runs: the rate they were paced at
    share_of_target: float | None = None
    worst_late_ms: float | None = None
    late_p99_ms: float | None = None
    final_ok: bool = True  # the unit ends on the last value sent, as a recall must
    xruns: int | None = None  # JACK: cycles a client did not finish in time
    sequence_breaks: int | None = None  # JACK MIDI: arrivals out of the sent order
    latency_median_ms: float | None = None  # JACK MIDI paced: send to the unit's receive
    latency_p99_ms: float | None = None


@dataclass(frozen=True, slots=True)
class Figures:
    """Everything the benchmark reports; ``--json`` prints it as it stands."""

    midi_profile: str
    midi_parameter: str
    midi_cc: int
    midi_channel: int
    jack_rate: int
    jack_period: int
    midi_wire_limit: float
    serial_profile: str
    serial_parameter: str
    serial_baud: int
    serial_command_bytes: float
    serial_ack_bytes: float
    serial_wire_limit: float
    serial_delay_ms: float
    midi_unpaced: Run
    midi_paced: Run
    serial_unpaced: Run
    serial_paced: Run


@dataclass(frozen=True, slots=True)
class Sending:
    """When each message went out and how late it was against its schedule (s)."""

    start: float
    end: float
    sent_at: list[float]
    late: list[float]
    errors: int


# ---------------------------------------------------------------------------- helpers



class Arrivals:
    """The emulator's change callback: when each change arrived, and the wire value then."""

    def __init__(self, unit: EmulatedUnit, parameter_id: str) -> None:
        self.unit = unit
        self.parameter_id = parameter_id
        self.stamps: list[tuple[float, int]] = []

    def __call__(self, parameter_id: str, value: float) -> None:
        if parameter_id == self.parameter_id:
            self.stamps.append((time.perf_counter(), self.unit.wire[parameter_id]))

    def clear(self) -> None:
        self.stamps = []


def sleep_until(due: float) -> float:
    """Sleep until perf_counter reaches ``due``; the time it is then."""
    while (left := due - time.perf_counter()) > 0:
        time.sleep(left)
    return time.perf_counter()


def wait_for_count(count: Callable[[], int], target: int) -> None:
    """Until ``count()`` reaches ``target``, stops moving for QUIET_S, or WAIT_LIMIT_S pass."""
    now = time.perf_counter()
    deadline, seen, moved = now + WAIT_LIMIT_S, count(), now
    while (now := time.perf_counter()) < deadline:
        current = count()
        if current >= target:
            return
        if current != seen:
            seen, moved = current, now
        elif now - moved > QUIET_S:
            return
        time.sleep(0.001)


def percentile(data: list[float], share: float) -> float:
    """The ``share`` (0-1) quantile of ``data``, interpolated between ranks."""
    ordered = sorted(data)
    position = share * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def run_count(rate: float, low: int, high: int) -> int:
    """Messages for a run of about RUN_SECONDS at ``rate`` messages per second."""
    return max(low, min(high, round(rate * RUN_SECONDS)))


def make_run(name: str, sending: Sending, received: int, elapsed: float, wire_limit: float,
             target: float | None = None, latencies: list[float] | None = None) -> Run:
    sent = len(sending.sent_at)
    rate = received / elapsed if elapsed > 0 else 0.0
    sending_s = sending.end - sending.start
    late = sending.late if target is not None and sending.late else None
    return Run(
        name=name, sent=sent, received=received, lost=max(sent - received, 0),
        errors=sending.errors, elapsed_s=elapsed,
        offered_rate=sent / sending_s if sending_s > 0 else 0.0, rate=rate,
        wire_limit=wire_limit, ratio_to_wire=rate / wire_limit, target_rate=target,
        share_of_target=rate / target if target else None,
        worst_late_ms=max(late) * 1000.0 if late else None,
        late_p99_ms=percentile(late, 0.99) * 1000.0 if late else None,
        latency_median_ms=statistics.median(latencies) * 1000.0 if latencies else None,
        latency_p99_ms=percentile(latencies, 0.99) * 1000.0 if latencies else None,
    )


# ---------------------------------------------------------------------------- JACK
@dataclass(frozen=True, slots=True)
class JackServer:
    """A running private jackd: its name, and the file its output goes to."""

    name: str
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def xruns(self) -> int:
        """Cycles so far in which a client had not finished its work in time."""
        return self.output().count("JackEngine::XRun")


@contextmanager
def jack_server() -> Iterator[JackServer]:
    """A private JACK server with the dummy driver for this run; JACK_DEFAULT_SERVER names it
    meanwhile."""
    with tempfile.TemporaryDirectory(prefix="outboard-bench-") as folder:
        log = Path(folder) / "jackd.log"
        with private_server(log, prefix="outboard-bench", rate=JACK_RATE,
                            period=JACK_PERIOD) as name:
            yield JackServer(name, log)


# ---------------------------------------------------------------------------- JACK MIDI
def cc_parameter(profile: Profile, parameter_id: str) -> Parameter:
    parameter = profile.parameter(parameter_id)
    if parameter.midi is None or parameter.midi.type != "cc" or parameter.midi.number is None:
        raise RuntimeError(f"{profile.key}: {parameter_id} is not a 7-bit CC parameter")
    return parameter


def cc_messages(channel: int, number: int, count: int) -> list[bytes]:
    """``count`` control changes to controller ``number``, values cycling 0-127."""
    status = 0xB0 | ((channel - 1) & 0x0F)
    return [bytes([status, number, i % 128]) for i in range(count)]


def send_midi(transport: Transport, messages: list[bytes], interval: float | None) -> Sending:
    """Send ``messages``: back to back, or each at its due time ``interval`` apart."""
    sent_at: list[float] = []
    late: list[float] = []
    errors = 0
    start = time.perf_counter()
    for i, message in enumerate(messages):
        if interval is not None:
            due = start + i * interval
            late.append(sleep_until(due) - due)
        sent_at.append(time.perf_counter())
        try:
            transport.send(message)
        except DeviceError:
            errors += 1
    return Sending(start, time.perf_counter(), sent_at, late, errors)


def midi_latencies(sending: Sending, messages: list[bytes],
                   stamps: list[tuple[float, int]]) -> list[float]:
    """Send-to-receive times. Delivery is in order, so each arrival pairs with the first
    unpaired message of its value that went out before it arrived, skipping lost ones; an
    arrival with no such message among the next 128 (a garbled one) stays unpaired."""
    latencies: list[float] = []
    i = 0
    for arrived, wire in stamps:
        for j in range(i, min(i + 128, len(messages))):
            if sending.sent_at[j] > arrived:
                break
            if messages[j][2] == wire:
                latencies.append(arrived - sending.sent_at[j])
                i = j + 1
                break
    return latencies


def sequence_breaks(messages: list[bytes], stamps: list[tuple[float, int]]) -> int:
    """Arrivals whose value is not the one sent after the previous arrival's (values count
    up by one, mod 128): each marks a lost message or a garbled value."""
    breaks, expected = 0, messages[0][2] if messages else 0
    for _, wire in stamps:
        breaks += wire != expected
        expected = (wire + 1) % 128
    return breaks


def midi_run(name: str, server: JackServer, transport: Transport, unit: EmulatedUnit,
             arrivals: Arrivals, messages: list[bytes], interval: float | None) -> Run:
    """Send ``messages``, then wait until the unit has them all or takes no more."""
    arrivals.clear()
    gc.collect()
    before, xruns = unit.received, server.xruns()
    sending = send_midi(transport, messages, interval)
    wait_for_count(lambda: unit.received - before, len(messages))
    received = unit.received - before
    stamps = list(arrivals.stamps)
    end = max(stamps[-1][0], sending.end) if stamps else sending.end
    latencies = midi_latencies(sending, messages, stamps) if interval is not None else None
    target = 1.0 / interval if interval is not None else None
    run = make_run(name, sending, received, end - sending.start, MIDI_WIRE_RATE, target,
                   latencies)
    final_ok = bool(messages) and unit.wire[arrivals.parameter_id] == messages[-1][2]
    return replace(run, final_ok=final_ok, xruns=server.xruns() - xruns,
                   sequence_breaks=sequence_breaks(messages, stamps))


def measure_midi(log: Callable[[str], None]) -> tuple[Profile, Parameter, Run, Run]:
    profile = find_profile(MIDI_PROFILE)
    parameter = cc_parameter(profile, MIDI_PARAMETER)
    channel = profile.midi.channel if profile.midi else 1
    number = parameter.midi.number  # type: ignore[union-attr]
    unit = EmulatedUnit(profile)
    arrivals = Arrivals(unit, parameter.id)
    port = f"Outboard Bench {uuid.uuid4().hex[:6]}"
    with jack_server() as server:
        log(f"jackd dummy server {server.name} up ({JACK_RATE} Hz, {JACK_PERIOD} frames)")
        # The transport closes first and every run ends with the link quiet: closing the
        # emulator's JACK input while messages still arrive can hang (see the report).
        with MidiEmulator(unit, port, api="jack", on_change=arrivals) as emulator, \
                MidiTransport(port, api="jack") as transport:
            messages = cc_messages(channel, number, MIDI_PROBE_MESSAGES)
            probe = midi_run("probe", server, transport, unit, arrivals, messages, None)
            count = run_count(probe.offered_rate, 10_000, 400_000)
            log(f"JACK MIDI probe: sends {probe.offered_rate:,.0f} msg/s; "
                f"unpaced run of {count:,}")
            messages = cc_messages(channel, number, count)
            unpaced = midi_run("JACK MIDI unpaced", server, transport, unit, arrivals,
                               messages, None)
            count = run_count(MIDI_WIRE_RATE, 1_000, 10_000)
            log(f"JACK MIDI paced run of {count:,} at {MIDI_WIRE_RATE:,.1f} msg/s")
            messages = cc_messages(channel, number, count)
            paced = midi_run("JACK MIDI paced", server, transport, unit, arrivals, messages,
                             1.0 / MIDI_WIRE_RATE)
            if emulator.error is not None:
                raise RuntimeError(f"the MIDI emulator failed: {emulator.error!r}")
    return profile, parameter, unpaced, paced


# ---------------------------------------------------------------------------- serial
def serial_sizes(profile: Profile, parameter: Parameter, address: Address) -> tuple[float, float]:
    """Bytes per set command and per acknowledgement line, terminators included."""
    settings = profile.serial
    assert settings is not None and settings.ack is not None
    commands = [codec.serial_command(parameter, v, address, settings.terminator)
                for v in SERIAL_VALUES]
    ack = settings.ack.render(device_id=address.device_id, channel=address.channel)
    command_bytes = sum(len(c) for c in commands) / len(commands)
    return command_bytes, float(len(ack) + len(settings.terminator))


def serial_wire_limit(profile: Profile, command_bytes: float, ack_bytes: float) -> float:
    assert profile.serial is not None
    return profile.serial.baudrate / BITS_PER_BYTE / (command_bytes + ack_bytes)


def send_serial(driver: Driver, stamped: SpyTransport, count: int,
                interval: float | None) -> Sending:
    """``count`` sets, each waiting for its ack: back to back, or each at its due time."""
    stamped.sent_at = []
    late: list[float] = []
    errors = 0
    start = time.perf_counter()
    for i in range(count):
        due = start + i * interval if interval is not None else None
        if due is not None:
            sleep_until(due)
        tries = len(stamped.sent_at)
        try:
            driver.set(SERIAL_PARAMETER, SERIAL_VALUES[i % len(SERIAL_VALUES)])
        except DeviceError:
            errors += 1
        if due is not None and len(stamped.sent_at) > tries:
            late.append(stamped.sent_at[tries] - due)  # when the command really went out
    return Sending(start, time.perf_counter(), list(stamped.sent_at), late, errors)


def serial_run(name: str, driver: Driver, stamped: SpyTransport, unit: EmulatedUnit,
               count: int, wire_limit: float, interval: float | None) -> Run:
    gc.collect()
    before = unit.received
    sending = send_serial(driver, stamped, count, interval)
    received = unit.received - before
    target = 1.0 / interval if interval is not None else None
    run = make_run(name, sending, received, sending.end - sending.start, wire_limit, target)
    last = SERIAL_VALUES[(count - 1) % len(SERIAL_VALUES)]
    return replace(run, final_ok=unit.value(SERIAL_PARAMETER) == last)


def measure_serial(log: Callable[[str], None]) -> tuple[Profile, float, float, Run, Run]:
    profile = find_profile(SERIAL_PROFILE)
    assert profile.serial is not None
    parameter = profile.parameter(SERIAL_PARAMETER)
    address = Address()
    command_bytes, ack_bytes = serial_sizes(profile, parameter, address)
    limit = serial_wire_limit(profile, command_bytes, ack_bytes)
    unit = EmulatedUnit(profile, address=address)
    with PtyEmulator(unit) as emulator, \
            SerialTransport(emulator.port, profile.serial) as transport:
        stamped = SpyTransport(transport)  # times every message it carries
        driver = Driver(profile, stamped, address)
        probe = serial_run("probe", driver, stamped, unit, SERIAL_PROBE_MESSAGES, limit, None)
        count = run_count(probe.rate, 20, 20_000)
        log(f"serial probe: {probe.rate:,.1f} msg/s; unpaced run of {count:,}")
        unpaced = serial_run("serial unpaced", driver, stamped, unit, count, limit, None)
        count = run_count(limit, 20, 20_000)
        log(f"serial paced run of {count:,} at {limit:,.1f} msg/s")
        paced = serial_run("serial paced", driver, stamped, unit, count, limit, 1.0 / limit)
        if emulator.error is not None:
            raise RuntimeError(f"the serial emulator failed: {emulator.error!r}")
    return profile, command_bytes, ack_bytes, unpaced, paced


# ---------------------------------------------------------------------------- report
def measure(log: Callable[[str], None]) -> Figures:
    midi_profile, parameter, midi_unpaced, midi_paced = measure_midi(log)
    serial_profile, command_bytes, ack_bytes, serial_unpaced, serial_paced = measure_serial(log)
    assert serial_profile.serial is not None
    return Figures(
        midi_profile=midi_profile.key, midi_parameter=parameter.id,
        midi_cc=parameter.midi.number,  # type: ignore[union-attr, arg-type]
        midi_channel=midi_profile.midi.channel if midi_profile.midi else 1,
        jack_rate=JACK_RATE, jack_period=JACK_PERIOD, midi_wire_limit=MIDI_WIRE_RATE,
        serial_profile=serial_profile.key, serial_parameter=SERIAL_PARAMETER,
        serial_baud=serial_profile.serial.baudrate, serial_command_bytes=command_bytes,
        serial_ack_bytes=ack_bytes,
        serial_wire_limit=serial_wire_limit(serial_profile, command_bytes, ack_bytes),
        serial_delay_ms=serial_profile.serial.delay_ms,
        midi_unpaced=midi_unpaced, midi_paced=midi_paced,
        serial_unpaced=serial_unpaced, serial_paced=serial_paced,
    )


def per_second(rate: float) -> str:
    return f"{rate:,.0f}" if rate >= 1_000 else f"{rate:,.1f}"


def run_lines(run: Run, wire: str) -> list[str]:
    lost = run.lost / run.sent if run.sent else 0.0
    lines = [
        f"{run.name}: {per_second(run.rate)} msg/s = {run.ratio_to_wire:.2f}x the {wire}",
        f"    {run.sent:,} sent, {run.received:,} received by the unit, {run.lost:,} lost "
        f"({lost:.1%}), {run.errors:,} send errors; {run.elapsed_s:.3f} s; "
        f"offered {per_second(run.offered_rate)} msg/s; the unit's final value is "
        f"{'right' if run.final_ok else 'WRONG'}",
    ]
    if run.xruns is not None:
        lines.append(f"    JACK xruns (a client late for its cycle): {run.xruns:,}; sequence "
                     f"breaks (an arrival lost or garbled): {run.sequence_breaks:,}")
    if run.target_rate is not None and run.share_of_target is not None:
        lines.append(f"    paced at {run.target_rate:,.1f} msg/s: achieved "
                     f"{run.share_of_target:.1%} of it; lateness worst {run.worst_late_ms:.3f} "
                     f"ms, 99th percentile {run.late_p99_ms:.3f} ms")
    if run.latency_median_ms is not None:
        lines.append(f"    latency send -> unit: median {run.latency_median_ms:.2f} ms, "
                     f"99th percentile {run.latency_p99_ms:.2f} ms")
    return lines


def report(f: Figures) -> str:
    midi_wire = f"{MIDI_BAUD:,}-baud MIDI wire ({f.midi_wire_limit:,.1f} msg/s)"
    serial_wire = (f"{f.serial_baud:,}-baud serial wire ({f.serial_wire_limit:,.1f} "
                   f"round trips/s)")
    lines = [
        f"JACK MIDI: {f.midi_profile} {f.midi_parameter} (CC {f.midi_cc}, channel "
        f"{f.midi_channel}), jackd dummy {f.jack_rate} Hz / {f.jack_period} frames",
        *run_lines(f.midi_unpaced, midi_wire),
        *run_lines(f.midi_paced, midi_wire),
        "",
        f"Serial over a pseudo-terminal: {f.serial_profile} {f.serial_parameter}, "
        f"{f.serial_command_bytes:g}-byte command + {f.serial_ack_bytes:g}-byte ack per set, "
        f"profile delay_ms = {f.serial_delay_ms:g}",
        *run_lines(f.serial_unpaced, serial_wire),
        *run_lines(f.serial_paced, serial_wire),
    ]
    return "\n".join(lines)


def to_json(figures: Figures) -> str:
    data: dict[str, Any] = asdict(figures)
    return json.dumps(data, indent=2)


def on_terminate(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds through the finally that stops jackd


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, on_terminate)

    def log(message: str) -> None:
        print(message, file=sys.stderr if args.json else sys.stdout, flush=True)

    figures = measure(log)
    print(to_json(figures) if args.json else "\n" + report(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
