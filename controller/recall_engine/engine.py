"""Send and verify: put a plan's remote units back, one thread per port, and say of every
parameter whether it is verified, only sent, mismatched or failed."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from devices import codec, values
from devices.driver import Driver
from devices.errors import DeviceError, DeviceTimeout, ReplyError, TransportError
from devices.profile import Parameter, Profile
from devices.transport import parse_address
from devices.transport.address import open_transport, unit_address
from devices.transport.base import Transport
from recall.attempts import Outcome

from .plan import Step, UnitPlan, dump_fields

# How many times a mismatched value is sent again before it is reported as a mismatch.
RESENDS = 2
# A unit that times out this many times in a row is taken as gone for the rest of the run.
SILENT_LIMIT = 2

Opener = Callable[[UnitPlan], Transport]


def open_port(plan: UnitPlan) -> Transport:
    """The transport of a remote unit's address, opened."""
    assert plan.address is not None and plan.loaded is not None
    transport = open_transport(parse_address(plan.address), plan.loaded)
    transport.open()
    return transport


@dataclass(frozen=True, slots=True)
class RunResult:
    outcomes: dict[tuple[str, str], Outcome]
    faults: tuple[str, ...]  # one line per unit that failed as a device (port gone, silent)


class RecallRun:
    """Recalls the remote units of a plan. Units on different ports run in parallel; units
    that share a port take turns on it. Changes of the parameters' states are handed to
    ``on_outcomes`` on the calling thread, as many at a time as have arrived (the library is
    written there, one transaction a batch, and the front ends update there)."""

    def __init__(self, units: tuple[UnitPlan, ...], start: dict[tuple[str, str], Outcome], *,
                 on_outcomes: Callable[[list[Outcome]], None] | None = None,
                 opener: Opener = open_port, resends: int = RESENDS,
                 read_timeout: float | None = None) -> None:
        self.units = units
        self.outcomes = dict(start)
        self.on_outcomes = on_outcomes
        self.opener = opener
        self.resends = resends
        self.read_timeout = read_timeout
        self._events: queue.Queue[Outcome | None] = queue.Queue(maxsize=1024)
        self._faults: list[str] = []
        self._stop = threading.Event()

    def run(self) -> RunResult:
        ports: dict[str, list[UnitPlan]] = {}
        for unit in self.units:
            ports.setdefault(unit.port, []).append(unit)
        threads = [threading.Thread(target=self._port, args=(units,), daemon=True,
                                    name=f"recall {port}") for port, units in ports.items()]
        for thread in threads:
            thread.start()
        finished = 0
        try:
            while finished < len(threads):
                batch = [self._events.get()]
                while True:
                    try:
                        batch.append(self._events.get_nowait())
                    except queue.Empty:
                        break
                finished += batch.count(None)
                changed = [event for event in batch if event is not None]
                if changed and self.on_outcomes is not None:
                    self.on_outcomes(changed)
        finally:
            self._stop.set()
            for thread in threads:
                thread.join()
        return RunResult(dict(self.outcomes), tuple(self._faults))

    # ---------------------------------------------------------------- one port
    def _port(self, units: list[UnitPlan]) -> None:
        transport: Transport | None = None
        current: UnitPlan | None = None
        try:
            for unit in units:
                current = unit
                if self._stop.is_set():
                    return
                if all(self._confirmed(unit, step) for step in unit.steps):
                    continue  # resumed, and nothing left to do on this unit
                if transport is None or not transport.is_open:
                    try:
                        transport = self.opener(unit)
                    except DeviceError as err:
                        self._give_up(unit, err.message)
                        transport = None
                        continue
                assert unit.loaded is not None and unit.address is not None
                driver = Driver(unit.loaded, transport,
                                unit_address(parse_address(unit.address), unit.loaded))
                _UnitRecall(self, unit, driver).run()
        except BaseException as err:  # noqa: BLE001 - reported as the unit's fault, not lost
            if current is not None:
                self._give_up(current, f"unexpected error: {err!r}")
            else:
                self._faults.append(f"recall thread failed: {err!r}")
        finally:
            if transport is not None:
                transport.close()
            self._events.put(None)

    def _confirmed(self, unit: UnitPlan, step: Step) -> bool:
        current = self.outcomes[(unit.unit, step.parameter)]
        return current.done and not (current.state == "sent" and step.readable)

    def _emit(self, outcome: Outcome) -> None:
        self._events.put(outcome)

    def _give_up(self, unit: UnitPlan, why: str) -> None:
        """The unit is gone: what it did not confirm fails, a value sent but not yet read
        back included."""
        self._faults.append(f"{unit.unit}: {why}")
        for step in unit.steps:
            current = self.outcomes[(unit.unit, step.parameter)]
            unconfirmed = current.state == "sent" and step.readable
            if not current.done or unconfirmed:
                detail = f"sent, not verified: {why}" if unconfirmed else why
                failed = replace(current, state="failed", detail=detail)
                self.outcomes[(unit.unit, step.parameter)] = failed
                self._emit(failed)


class _UnitRecall:
    """One unit: send what is not done, wait for motors, read back, resend mismatches."""

    def __init__(self, run: RecallRun, unit: UnitPlan, driver: Driver) -> None:
        self.run_ = run
        self.unit = unit
        self.driver = driver
        self.profile: Profile = driver.profile
        self.silent = 0
        self.last_send = 0.0

    def outcome(self, parameter: str) -> Outcome:
        return self.run_.outcomes[(self.unit.unit, parameter)]

    def emit(self, outcome: Outcome) -> None:
        # The run's table is updated here too, so this thread reads its own latest states.
        self.run_.outcomes[(outcome.unit, outcome.parameter)] = outcome
        self.run_._emit(outcome)

    def run(self) -> None:
        todo = [s for s in self.unit.steps if not self.run_._confirmed(self.unit, s)]
        sent = []
        for step in todo:
            current = self.outcome(step.parameter)
            if step.problem:
                self.emit(replace(current, state="failed", detail=step.problem))
                continue
            if not self.send(step.parameter, step.target):
                return
            sent.append(step)
        self.verify([s for s in sent if s.readable])

    def send(self, parameter: str, target: float) -> bool:
        """Send one value; False when the unit is gone and the rest should not be tried."""
        current = self.outcome(parameter)
        try:
            self.driver.set(parameter, target)
        except DeviceTimeout as err:
            self.emit(replace(current, state="failed", tries=current.tries + 1,
                              detail=f"not acknowledged: {err.message}"))
            return self.answered(False)
        except ReplyError as err:
            self.emit(replace(current, state="failed", tries=current.tries + 1,
                              detail=err.message))
            return self.answered(True)  # garbled, but an answer: the unit is there
        except TransportError as err:
            self.emit(replace(current, state="failed", tries=current.tries + 1,
                              detail=err.message))
            self.run_._give_up(self.unit, f"the port went away ({err.message})")
            return False
        self.last_send = time.monotonic()
        self.emit(replace(current, state="sent", tries=current.tries + 1, detail=""))
        # Only an acknowledged set is the unit answering: a MIDI message goes out whether or
        # not anything is still plugged in at the other end.
        serial = self.profile.serial
        return self.answered(True) if serial is not None and (serial.ack or serial.echo) else True

    def answered(self, ok: bool) -> bool:
        """Count a timeout (``ok`` False) or an answer of any kind, garbled included: only
        timeouts with no answer between them make a unit gone."""
        self.silent = 0 if ok else self.silent + 1
        if self.silent >= SILENT_LIMIT:
            self.run_._give_up(self.unit, f"stopped answering after {SILENT_LIMIT} timeouts")
            return False
        return True

    def settle(self) -> None:
        """Wait until motors have had their settle time since the last value sent."""
        if self.profile.motor is not None:
            wait = self.last_send + self.profile.motor.settle_ms / 1000.0 - time.monotonic()
            if wait > 0:
                self.run_._stop.wait(wait)

    def verify(self, steps: list) -> None:
        for attempt in range(self.run_.resends + 1):
            if not steps:
                return
            self.settle()
            readings = self.read([s.parameter for s in steps])
            if readings is None:
                return
            wrong = []
            last = attempt == self.run_.resends
            for step in steps:
                current = self.outcome(step.parameter)
                reading = readings.get(step.parameter)
                if isinstance(reading, str):
                    # No answer, or a garbled one: sent again and asked again, like a
                    # mismatch, until the last round.
                    wrong.append(step)
                    self.emit(replace(current, state="failed" if last else "sent", actual=None,
                                      detail=reading if last else f"{reading}; asking again"))
                elif within(self.profile.parameter(step.parameter), step.target, reading,
                            self.profile):
                    self.emit(replace(current, state="verified", actual=reading, detail=""))
                else:
                    wrong.append(step)
                    self.emit(replace(current, state="mismatch", actual=reading,
                                      detail="" if last else "sending again"))
            if attempt == self.run_.resends:
                return
            for step in wrong:
                if not self.send(step.parameter, step.target):
                    return
            steps = wrong

    def read(self, parameters: list[str]) -> dict[str, float | str] | None:
        """Each parameter's value as the unit reports it, or why it could not say; None when
        the unit is gone."""
        if self.profile.dump is not None and set(parameters) <= dump_fields(self.profile):
            try:
                dump = self.driver.read_dump(timeout=self.run_.read_timeout or 1.0)
            except DeviceTimeout as err:
                self.answered(False)
                return dict.fromkeys(parameters, f"no state dump: {err.message}")
            except ReplyError as err:
                self.answered(True)
                return dict.fromkeys(parameters, f"garbled state dump: {err.message}")
            except TransportError as err:
                self.run_._give_up(self.unit, f"the port went away ({err.message})")
                return None
            self.answered(True)
            return {p: dump[p] for p in parameters}
        try:
            results = self.driver.read_many(parameters, timeout=self.run_.read_timeout)
        except TransportError as err:
            self.run_._give_up(self.unit, f"the port went away ({err.message})")
            return None
        readings: dict[str, float | str] = {}
        for parameter, result in results.items():
            if isinstance(result, DeviceTimeout):
                readings[parameter] = f"no read-back: {result.message}"
                if not self.answered(False):
                    return None
            elif isinstance(result, DeviceError):
                readings[parameter] = f"garbled read-back: {result.message}"
                self.answered(True)
            else:
                readings[parameter] = result
                self.answered(True)
        return readings


def within(parameter: Parameter, target: float, actual: float, profile: Profile) -> bool:
    """Whether a reported value is the target, within what the control can resolve (or, on
    a motorised unit, within how close its motors land)."""
    goal = values.validate(parameter, target)
    if values.positions(parameter) or parameter.kind != "continuous":
        return abs(actual - goal) <= 1e-6 * max(1.0, abs(goal))
    tolerance = parameter.tolerance
    span = parameter.maximum - parameter.minimum
    if tolerance is None and profile.motor is not None:
        tolerance = profile.motor.tolerance_percent / 100.0 * span
    if tolerance is None:
        binding = parameter.midi or parameter.serial
        step = 0.0
        in_units = parameter.serial is not None and codec.in_units(parameter.serial.set)
        if binding is not None and binding.wire_max > binding.wire_min and not in_units:
            step = values.wire_step(parameter, wire_min=binding.wire_min,
                                    wire_max=binding.wire_max)
        tolerance = max(step, parameter.resolution) / 2.0
    return abs(actual - goal) <= tolerance + 1e-9 * max(1.0, span)
