"""What a device profile says, as frozen values: the unit, its controls, and how each is sent."""

from __future__ import annotations

from dataclasses import dataclass, field

from .template import Template

SPEC_VERSION = 1

KINDS = ("continuous", "stepped", "switch", "choice")
TAPERS = ("linear", "log", "audio")
LAYOUTS = ("mono", "stereo", "dual-mono", "mid-side")
CONTROLS = ("midi", "serial", "manual")


@dataclass(frozen=True, slots=True)
class Detent:
    """One position of a stepped control: its label on the panel and its value in units."""

    label: str
    value: float


@dataclass(frozen=True, slots=True)
class MidiBinding:
    """How one parameter travels over MIDI.

    ``type`` is one of cc, cc14, nrpn, program, pitchbend, sysex, relative. Numbers not used
    by a type are None. Wire values run from ``wire_min`` to ``wire_max``; a stepped, switch
    or choice parameter may give ``wire_values``, one per position.
    """

    type: str
    number: int | None = None  # cc: controller; pitchbend: channel offset; sysex: param number
    msb: int | None = None  # cc14: MSB controller; nrpn: parameter MSB (CC 99)
    lsb: int | None = None  # cc14: LSB controller; nrpn: parameter LSB (CC 98)
    order: str = "msb-first"  # cc14: which half goes first; the second commits
    bits: int = 7  # nrpn: 7 or 14 data bits
    wire_min: int = 0
    wire_max: int = 127
    wire_centre: int | None = None  # the wire value of a bipolar parameter's centre
    wire_values: tuple[int, ...] = ()
    template: Template | None = None  # sysex: the message, with {value} and friends
    query: Template | None = None  # read-back request
    reply: Template | None = None  # read-back reply pattern
    increment: Template | None = None  # relative: one step up
    decrement: Template | None = None  # relative: one step down
    select: tuple[Template, ...] = ()  # sent before the value (page or parameter selection)
    home_steps: int = 0  # relative: decrements sent first to reach a known position


@dataclass(frozen=True, slots=True)
class SerialBinding:
    """How one parameter travels over a serial line: text commands or binary frames."""

    set: Template  # the command that sets the value
    query: Template | None = None
    reply: Template | None = None
    wire_min: int = 0
    wire_max: int = 127
    wire_values: tuple[int, ...] = ()
    wire_centre: int | None = None


@dataclass(frozen=True, slots=True)
class Parameter:
    """One control of the unit, in engineering units.

    continuous: ``minimum`` to ``maximum`` in ``unit``, shaped by ``taper``, quantised to
    ``resolution``; ``centre`` marks a bipolar control's centre. stepped: ``detents`` in
    panel order. switch: two ``labels`` (off, on), values 0 and 1. choice: ``labels``, value
    the option's index.
    """

    id: str
    name: str
    section: str
    kind: str
    unit: str = ""
    minimum: float = 0.0
    maximum: float = 1.0
    default: float = 0.0
    taper: str = "linear"
    resolution: float = 0.0
    centre: float | None = None
    detents: tuple[Detent, ...] = ()
    labels: tuple[str, ...] = ()
    side: str | None = None  # L, R, M or S on a dual-mono or mid-side unit
    midi: MidiBinding | None = None
    serial: SerialBinding | None = None
    tolerance: float | None = None  # motorised: how close the motor lands, in units


@dataclass(frozen=True, slots=True)
class MidiSettings:
    channel: int = 1
    device_id: int = 0
    min_gap_ms: float = 0.0


@dataclass(frozen=True, slots=True)
class SerialSettings:
    baudrate: int = 9600
    bytesize: int = 8
    parity: str = "none"
    stopbits: float = 1
    flow: str = "none"
    terminator: bytes = b"\r"
    encoding: str = "ascii"
    echo: bool = False  # the unit echoes each command back before answering
    ack: Template | None = None  # the reply that confirms a set
    delay_ms: float = 0.0
    timeout_ms: float = 500.0
    retries: int = 0
    binary: bool = False  # commands are hex frames, not text lines


@dataclass(frozen=True, slots=True)
class Motor:
    """A motorised unit: how long its motors take and how close they land."""

    settle_ms: float
    tolerance_percent: float  # of each parameter's range, unless the parameter says otherwise


@dataclass(frozen=True, slots=True)
class Dump:
    """A whole-state dump: the request, and the reply with a field per parameter."""

    request: Template
    reply: Template


@dataclass(frozen=True, slots=True)
class Profile:
    """A unit: who made it, how it is laid out and controlled, and every control."""

    key: str  # the file's stem: how studios and commands name the profile
    manufacturer: str
    model: str
    kind: str
    layout: str
    control: str
    provenance: str
    verified: bool
    notes: str
    parameters: tuple[Parameter, ...]
    midi: MidiSettings | None = None
    serial: SerialSettings | None = None
    motor: Motor | None = None
    dump: Dump | None = None
    source: str = field(default="", compare=False)  # the file it came from

    @property
    def sections(self) -> tuple[str, ...]:
        """Front-panel sections in the order they appear."""
        return tuple(dict.fromkeys(p.section for p in self.parameters))

    def parameter(self, parameter_id: str) -> Parameter:
        for parameter in self.parameters:
            if parameter.id == parameter_id:
                return parameter
        known = ", ".join(p.id for p in self.parameters)
        raise KeyError(f"{self.key} has no parameter '{parameter_id}' (it has: {known})")

    @property
    def title(self) -> str:
        return f"{self.manufacturer} {self.model}"
