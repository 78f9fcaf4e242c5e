"""Values to bytes and bytes to values, for MIDI and serial, as a profile describes them."""

from __future__ import annotations

from dataclasses import dataclass

from . import values
from .errors import ProfileError, ReplyError, ValueOutOfRange
from .profile import MidiBinding, Parameter, Profile, SerialBinding
from .template import Field, Template, TemplateError

# MIDI controller numbers of the NRPN and data-entry messages.
NRPN_MSB, NRPN_LSB, DATA_MSB, DATA_LSB = 99, 98, 6, 38


@dataclass(frozen=True, slots=True)
class Address:
    """Where a unit listens: its MIDI channel (1-16) and SysEx device id."""

    channel: int = 1
    device_id: int = 0


def wire_range(binding: MidiBinding | SerialBinding) -> dict[str, object]:
    return {"wire_min": binding.wire_min, "wire_max": binding.wire_max,
            "wire_values": binding.wire_values, "wire_centre": binding.wire_centre}


def to_wire(parameter: Parameter, value: float) -> int:
    """The wire value for ``value`` through the parameter's MIDI or serial binding."""
    binding = parameter.midi or parameter.serial
    if binding is None:
        raise ProfileError(f"{parameter.id} is set by hand; it has no wire value")
    return values.to_wire(parameter, value, **wire_range(binding))  # type: ignore[arg-type]


def from_wire(parameter: Parameter, wire: int) -> float:
    binding = parameter.midi or parameter.serial
    if binding is None:
        raise ProfileError(f"{parameter.id} is set by hand; it has no wire value")
    return values.from_wire(parameter, wire, **wire_range(binding))  # type: ignore[arg-type]


def midi_messages(parameter: Parameter, value: float, address: Address, *,
                  current: int | None = None) -> list[bytes]:
    """The MIDI messages that set ``parameter`` to ``value``, in the order they go out.

    ``current`` is the unit's present wire value, for relative controls; without it a
    relative control is first driven home (to its minimum) and stepped up from there.
    """
    binding = parameter.midi
    if binding is None:
        raise ProfileError(f"{parameter.id} has no MIDI binding")
    wire = to_wire(parameter, value)
    ch = (address.channel - 1) & 0x0F
    cc = 0xB0 | ch
    render = {"device_id": address.device_id, "channel": address.channel,
              "param": binding.number or 0}
    out = [t.render(value=wire, value_units=value, **render) for t in binding.select]
    kind = binding.type
    if kind == "cc":
        out.append(bytes([cc, binding.number, wire]))  # type: ignore[list-item]
    elif kind == "cc14":
        high = bytes([cc, binding.msb, (wire >> 7) & 0x7F])  # type: ignore[list-item]
        low = bytes([cc, binding.lsb, wire & 0x7F])  # type: ignore[list-item]
        out += [low, high] if binding.order == "lsb-first" else [high, low]
    elif kind == "nrpn":
        out += [bytes([cc, NRPN_MSB, binding.msb]), bytes([cc, NRPN_LSB, binding.lsb])]  # type: ignore[list-item]
        if binding.bits == 14:
            out += [bytes([cc, DATA_MSB, (wire >> 7) & 0x7F]), bytes([cc, DATA_LSB, wire & 0x7F])]
        else:
            out.append(bytes([cc, DATA_MSB, wire]))
    elif kind == "program":
        out.append(bytes([0xC0 | ch, wire & 0x7F]))
    elif kind == "pitchbend":
        status = 0xE0 | ((ch + (binding.number or 0)) & 0x0F)
        out.append(bytes([status, wire & 0x7F, (wire >> 7) & 0x7F]))
    elif kind == "sysex":
        out.append(binding.template.render(value=wire, value_units=value, **render))  # type: ignore[union-attr]
    elif kind == "relative":
        start = current
        if start is None:
            down = binding.decrement.render(**render)  # type: ignore[union-attr]
            out += [down] * binding.home_steps
            start = binding.wire_min
        step = binding.increment if wire > start else binding.decrement
        out += [step.render(**render)] * abs(wire - start)  # type: ignore[union-attr]
    return out


def midi_query(parameter: Parameter, address: Address) -> bytes | None:
    """The read-back request for ``parameter``, if its unit answers one."""
    binding = parameter.midi
    if binding is None or binding.query is None:
        return None
    return binding.query.render(device_id=address.device_id, channel=address.channel,
                                param=binding.number or 0)


def read_midi_reply(parameter: Parameter, reply: bytes, address: Address) -> float:
    """The value in a read-back reply; ReplyError if the bytes are not that reply."""
    binding = parameter.midi
    if binding is None or binding.reply is None:
        raise ProfileError(f"{parameter.id} has no read-back")
    try:
        fields = binding.reply.match(reply, device_id=address.device_id,
                                     channel=address.channel, param=binding.number or 0)
    except TemplateError as err:
        raise ReplyError(f"{parameter.id}: {err}") from None
    return from_wire(parameter, int(fields["value"]))


def serial_command(parameter: Parameter, value: float, address: Address,
                   terminator: bytes) -> bytes:
    """The serial command (with its terminator) that sets ``parameter`` to ``value``."""
    binding = parameter.serial
    if binding is None:
        raise ProfileError(f"{parameter.id} has no serial binding")
    wire = to_wire(parameter, value)
    snapped = values.validate(parameter, value)
    return binding.set.render(value=wire, value_units=snapped, device_id=address.device_id,
                              channel=address.channel) + terminator


def serial_query(parameter: Parameter, address: Address, terminator: bytes) -> bytes | None:
    binding = parameter.serial
    if binding is None or binding.query is None:
        return None
    return binding.query.render(device_id=address.device_id, channel=address.channel) + terminator


def read_serial_reply(parameter: Parameter, reply: bytes, address: Address) -> float:
    """The value in a serial reply: a wire value (``{value}``) or units (``{value:.Nf}``)."""
    binding = parameter.serial
    if binding is None or binding.reply is None:
        raise ProfileError(f"{parameter.id} has no read-back")
    try:
        fields = binding.reply.match(reply, device_id=address.device_id,
                                     channel=address.channel)
    except TemplateError as err:
        raise ReplyError(f"{parameter.id}: {err}") from None
    number = fields["value"]
    if not _reply_in_units(binding):
        return from_wire(parameter, int(number))
    try:
        return values.validate(parameter, float(number))
    except ValueOutOfRange as err:
        text = reply.decode("ascii", "replace").strip()
        raise ReplyError(f"{parameter.id}: reply {text!r} is no value the control can hold "
                         f"({err.message})") from None


def _reply_in_units(binding: SerialBinding) -> bool:
    return binding.reply is not None and in_units(binding.reply)


def in_units(template: Template) -> bool:
    """Whether a text template carries the value in engineering units ({value:.Nf}, {value:d})
    rather than as a wire number."""
    return not template.binary and any(
        isinstance(t, Field) and t.name == "value" and t.fmt not in ("7", "ascii")
        for t in template.tokens)


def dump_request(profile: Profile, address: Address) -> bytes | None:
    if profile.dump is None:
        return None
    return profile.dump.request.render(device_id=address.device_id, channel=address.channel)


def read_dump(profile: Profile, reply: bytes, address: Address) -> dict[str, float]:
    """Every parameter value carried by a whole-state dump."""
    if profile.dump is None:
        raise ProfileError(f"{profile.key} has no state dump")
    try:
        fields = profile.dump.reply.match(reply, device_id=address.device_id,
                                          channel=address.channel)
    except TemplateError as err:
        raise ReplyError(f"{profile.key} dump: {err}") from None
    return {pid: from_wire(profile.parameter(pid), int(wire)) for pid, wire in fields.items()
            if pid != "value"}
