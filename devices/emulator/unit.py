"""An emulated unit: decodes what a driver sends, keeps state, answers as the real unit would."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from .. import codec, values
from ..codec import DATA_LSB, DATA_MSB, NRPN_LSB, NRPN_MSB, Address
from ..errors import ValueOutOfRange
from ..profile import Parameter, Profile
from ..template import TemplateError


@dataclass(frozen=True, slots=True)
class Misbehaviour:
    """What an emulated unit can be told to do wrong, for fault tests.

    ``drop``: share of incoming messages ignored; ``garble``: share of replies with one byte
    flipped; ``silent``: answers nothing; ``delay_s``: how late replies come (the transport
    runner applies it).

    How replies go out (the transports and port runners apply these, through
    :func:`reply_pieces`), to the replies counted from 0 in ``shaped``, or to all when it is
    None: ``noise`` goes out first (line noise, or the tail of an earlier answer); only the
    first ``cut`` bytes of a reply go out, its terminator counted, and the rest
    ``rest_after_s`` later or, when that is None, never; a reply goes out ``chunk`` bytes at
    a time, ``chunk_gap_s`` apart; ``oversize`` pads a reply with ``U`` (a SysEx inside its
    F0 ... F7) to that many bytes. And ``endless``: once the unit has answered, these bytes
    follow over and over until the unit is closed.
    """

    drop: float = 0.0
    garble: float = 0.0
    silent: bool = False
    delay_s: float = 0.0
    noise: bytes = b""
    cut: int | None = None
    rest_after_s: float | None = None
    chunk: int = 0
    chunk_gap_s: float = 0.0
    oversize: int = 0
    endless: bytes = b""
    shaped: frozenset[int] | None = None

    def shapes(self, index: int) -> bool:
        """Whether the unit's reply number ``index`` (from 0) goes out misshapen."""
        return self.shaped is None or index in self.shaped


FILLER = 0x55  # "U": what an oversized reply is padded with


def reply_pieces(reply: bytes, terminator: bytes, misbehaviour: Misbehaviour, *,
                 midi: bool = False) -> list[tuple[float, bytes]]:
    """The writes that put one reply (with its terminator) on the wire, as (seconds after
    the first write, bytes), shaped as ``misbehaviour`` says. On MIDI each piece is one
    message: ``chunk`` does not apply, and the noise and a cut reply's rest are messages of
    their own."""
    m = misbehaviour
    if m.oversize > len(reply):
        padding = bytes([FILLER]) * (m.oversize - len(reply))
        if midi and reply[:1] == b"\xf0":
            reply = reply[:-1] + padding + reply[-1:]
        else:
            reply += padding
    data = reply + terminator
    pieces: list[tuple[float, bytes]] = [(0.0, m.noise)] if m.noise else []
    if m.cut is not None and m.cut < len(data):
        head, rest = data[: m.cut], data[m.cut :]
        pieces += [(0.0, head)] if head else []
        if m.rest_after_s is not None:
            pieces.append((m.rest_after_s, rest))
    else:
        pieces.append((0.0, data))
    if midi or m.chunk <= 0:
        return pieces
    chunked: list[tuple[float, bytes]] = []
    for start, piece in pieces:
        for offset in range(0, len(piece), m.chunk):
            due = max(start, chunked[-1][0] + m.chunk_gap_s) if chunked else start
            chunked.append((due, piece[offset : offset + m.chunk]))
    return chunked


class EmulatedUnit:
    """The state and protocol logic of one unit, independent of the port it listens on.

    Feed it complete messages (MIDI messages, or serial lines without terminator); it
    returns the replies to send back. Values are held as wire values, as the hardware does.
    """

    def __init__(self, profile: Profile, *, address: Address | None = None,
                 misbehaviour: Misbehaviour | None = None, seed: int = 0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.profile = profile
        self.address = address or Address(
            channel=profile.midi.channel if profile.midi else 1,
            device_id=profile.midi.device_id if profile.midi else 0,
        )
        self.misbehaviour = misbehaviour or Misbehaviour()
        self._clock = clock
        # Motors in motion: parameter id -> (wire it left from, wire it will land on, start).
        self._moving: dict[str, tuple[int, int, float]] = {}
        self._random = random.Random(seed)
        self.wire: dict[str, int] = {}
        # Text protocols that speak engineering units keep units, as such units do.
        self.units: dict[str, float] = {}
        for p in profile.parameters:
            if p.serial is not None and codec.in_units(p.serial.set):
                self.units[p.id] = values.validate(p, p.default)
            elif p.midi or p.serial:
                self.wire[p.id] = codec.to_wire(p, p.default)
        self._nrpn: tuple[int | None, int | None] = (None, None)
        self._nrpn_msb_data: int | None = None
        self._halves: dict[tuple[str, str], int] = {}
        self._selected: str | None = None
        self.changes: list[tuple[str, float]] = []  # (parameter id, value) as they happen
        self.received = 0
        self.replied = 0  # replies put on the wire, shaped or not

    # ---------------------------------------------------------------- state
    def value(self, parameter_id: str) -> float:
        """The parameter's present value in engineering units."""
        parameter = self.profile.parameter(parameter_id)
        if parameter_id in self.units:
            return self.units[parameter_id]
        return codec.from_wire(parameter, self.position(parameter_id))

    def position(self, parameter_id: str) -> int:
        """Where the control is now, as a wire value: a motor still travelling is on its way
        (linearly over the profile's settle time), not yet where it will land."""
        target = self.wire[parameter_id]
        moving = self._moving.get(parameter_id)
        if moving is None or self.profile.motor is None:
            return target
        start, landing, began = moving
        settle = self.profile.motor.settle_ms / 1000.0
        share = (self._clock() - began) / settle if settle > 0 else 1.0
        if share >= 1.0:
            del self._moving[parameter_id]
            return landing
        return round(start + (landing - start) * share)

    def set_wire(self, parameter: Parameter, wire: int) -> None:
        binding = parameter.midi or parameter.serial
        low, high = binding.wire_min, binding.wire_max  # type: ignore[union-attr]
        if not binding.wire_values:  # type: ignore[union-attr]
            wire = min(max(wire, low), high)
        if self.profile.motor is not None and not values.positions(parameter):
            start = self.position(parameter.id) if parameter.id in self.wire else wire
            wire = self._motor_landing(parameter, wire, low, high)
            self._moving[parameter.id] = (start, wire, self._clock())
        self.wire[parameter.id] = wire
        self.changes.append((parameter.id, codec.from_wire(parameter, wire)))

    def _motor_landing(self, parameter: Parameter, wire: int, low: int, high: int) -> int:
        """A motor stops near the target, within its tolerance, not exactly on it."""
        motor = self.profile.motor
        assert motor is not None
        reach = int(motor.tolerance_percent / 100.0 * (high - low) * 0.9)
        return min(max(wire + self._random.randint(-reach, reach), low), high)

    def writes(self, replies: list[bytes], terminator: bytes = b"", *,
               midi: bool = False) -> list[tuple[float, bytes]]:
        """The writes that put ``replies`` on the wire, in order, as (seconds from now,
        bytes): after the unit's delay, each shaped as its misbehaviour says."""
        pieces: list[tuple[float, bytes]] = []
        behaviour = self.misbehaviour
        for reply in replies:
            shape = behaviour if behaviour.shapes(self.replied) else Misbehaviour()
            self.replied += 1
            pieces += [(behaviour.delay_s + after, piece)
                       for after, piece in reply_pieces(reply, terminator, shape, midi=midi)]
        return pieces

    # ---------------------------------------------------------------- MIDI
    def receive_midi(self, message: bytes) -> list[bytes]:
        """Take one complete MIDI message; return the replies (read-backs, dumps)."""
        self.received += 1
        if self.misbehaviour.drop and self._random.random() < self.misbehaviour.drop:
            return []
        replies = self._midi(message)
        if self.misbehaviour.silent:
            return []
        return [self._maybe_garble(r) for r in replies]

    def _midi(self, message: bytes) -> list[bytes]:
        if not message:
            return []
        status = message[0]
        channel = self.address.channel - 1
        if status == 0xF0:
            return self._sysex(message)
        for parameter in self._selectable():
            if any(self._matches(t, message) for t in parameter.midi.select):  # type: ignore[union-attr]
                self._selected = parameter.id
        for parameter in self._relative():
            binding = parameter.midi
            up = self._matches(binding.increment, message)  # type: ignore[union-attr, arg-type]
            down = self._matches(binding.decrement, message)  # type: ignore[union-attr, arg-type]
            if not (up or down):
                continue
            # Units that share their step keys (a data knob) apply them to the page selected.
            if binding.select and self._selected != parameter.id:  # type: ignore[union-attr]
                continue
            self.set_wire(parameter, self.wire[parameter.id] + (1 if up else -1))
            return []
        kind = status & 0xF0
        if kind == 0xB0 and (status & 0x0F) == channel and len(message) == 3:
            self._control_change(message[1], message[2])
        elif kind == 0xC0 and (status & 0x0F) == channel and len(message) == 2:
            for parameter in self._bound("program"):
                self.set_wire(parameter, message[1])
        elif kind == 0xE0 and len(message) == 3:
            offset = ((status & 0x0F) - channel) & 0x0F
            for parameter in self._bound("pitchbend"):
                if (parameter.midi.number or 0) == offset:  # type: ignore[union-attr]
                    self.set_wire(parameter, message[1] | (message[2] << 7))
        return []

    def _control_change(self, number: int, data: int) -> None:
        if number == NRPN_MSB:
            self._nrpn = (data, self._nrpn[1])
            return
        if number == NRPN_LSB:
            self._nrpn = (self._nrpn[0], data)
            return
        if number in (DATA_MSB, DATA_LSB) and self._nrpn != (None, None):
            for parameter in self._bound("nrpn"):
                binding = parameter.midi
                if (binding.msb, binding.lsb) != self._nrpn:  # type: ignore[union-attr]
                    continue
                if binding.bits == 7 and number == DATA_MSB:  # type: ignore[union-attr]
                    self.set_wire(parameter, data)
                elif number == DATA_MSB:
                    self._nrpn_msb_data = data
                elif self._nrpn_msb_data is not None:
                    self.set_wire(parameter, (self._nrpn_msb_data << 7) | data)
            return
        for parameter in self._bound("cc"):
            if parameter.midi.number == number:  # type: ignore[union-attr]
                self.set_wire(parameter, data)
        for parameter in self._bound("cc14"):
            binding = parameter.midi
            half = "msb" if number == binding.msb else "lsb" if number == binding.lsb else None  # type: ignore[union-attr]
            if half is None:
                continue
            self._halves[(parameter.id, half)] = data
            commit = "msb" if binding.order == "lsb-first" else "lsb"  # type: ignore[union-attr]
            if half == commit:
                high = self._halves.get((parameter.id, "msb"), self.wire[parameter.id] >> 7)
                low = self._halves.get((parameter.id, "lsb"), self.wire[parameter.id] & 0x7F)
                self.set_wire(parameter, (high << 7) | low)

    def _sysex(self, message: bytes) -> list[bytes]:
        address = {"device_id": self.address.device_id, "channel": self.address.channel}
        dump = self.profile.dump
        if dump is not None and self._matches(dump.request, message):
            wires = {pid: self.position(pid) for pid in dump.reply.parameters}
            return [dump.reply.render(values=wires, **address)]
        for parameter in self.profile.parameters:
            binding = parameter.midi
            if binding is None:
                continue
            param = binding.number or 0
            if binding.query is not None and self._matches(binding.query, message, param):
                return [binding.reply.render(value=self.position(parameter.id), param=param,  # type: ignore[union-attr]
                                             **address)]
            if binding.type == "sysex" and binding.template is not None:
                try:
                    fields = binding.template.match(message, param=param, **address)
                except TemplateError:
                    continue
                self.set_wire(parameter, int(fields["value"]))
        return []

    # ---------------------------------------------------------------- serial
    def receive_serial(self, line: bytes) -> list[bytes]:
        """Take one command (without terminator); return the reply lines (without)."""
        self.received += 1
        if self.misbehaviour.drop and self._random.random() < self.misbehaviour.drop:
            return []
        replies = self._serial(line)
        if self.misbehaviour.silent:
            return []
        return [self._maybe_garble(r) for r in replies]

    def _serial(self, line: bytes) -> list[bytes]:
        settings = self.profile.serial
        address = {"device_id": self.address.device_id, "channel": self.address.channel}
        out: list[bytes] = [line] if settings and settings.echo else []
        for parameter in self.profile.parameters:
            binding = parameter.serial
            if binding is None:
                continue
            if binding.query is not None and self._matches(binding.query, line):
                units = self.value(parameter.id)
                wire = self.position(parameter.id) if parameter.id in self.wire else 0
                out.append(binding.reply.render(value=wire, value_units=units, **address))  # type: ignore[union-attr]
                return out
            try:
                fields = binding.set.match(line, **address)
            except TemplateError:
                continue
            number = fields["value"]
            if parameter.id in self.units:
                try:
                    self.units[parameter.id] = values.validate(parameter, float(number))
                except ValueOutOfRange:
                    return out  # refused: no acknowledgement
                self.changes.append((parameter.id, self.units[parameter.id]))
            else:
                self.set_wire(parameter, int(number))
            if settings and settings.ack is not None:
                out.append(settings.ack.render(**address))
            return out
        return out

    # ---------------------------------------------------------------- helpers
    def _bound(self, kind: str) -> list[Parameter]:
        return [p for p in self.profile.parameters if p.midi and p.midi.type == kind]

    def _relative(self) -> list[Parameter]:
        return self._bound("relative")

    def _selectable(self) -> list[Parameter]:
        return [p for p in self.profile.parameters if p.midi and p.midi.select]

    def _matches(self, template, message: bytes, param: int = 0) -> bool:  # type: ignore[no-untyped-def]
        try:
            template.match(message, device_id=self.address.device_id,
                           channel=self.address.channel, param=param)
        except TemplateError:
            return False
        return True

    def _maybe_garble(self, reply: bytes) -> bytes:
        if not self.misbehaviour.garble or self._random.random() >= self.misbehaviour.garble:
            return reply
        data = bytearray(reply)
        position = self._random.randrange(len(data))
        data[position] ^= 0x55
        return bytes(data)
