"""Reading a parameter's MIDI or serial binding from its profile table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .errors import ProfileError
from .profile import MidiBinding, SerialBinding, SerialSettings
from .template import VALUE_LIMITS, Field, TemplateError, parse
from .toml_table import Table

MIDI_TYPES = ("cc", "cc14", "nrpn", "program", "pitchbend", "sysex", "relative")
_COMMON_MIDI_KEYS = {"type", "wire_min", "wire_max", "wire_centre", "wire_values", "select",
                     "query", "reply"}
_MIDI_TYPE_KEYS = {
    "cc": {"number"}, "cc14": {"msb", "lsb", "order"}, "nrpn": {"msb", "lsb", "bits"},
    "program": set(), "pitchbend": {"number"}, "sysex": {"template", "number"},
    "relative": {"increment", "decrement", "home_steps"},
}


def _per_side(table: Table, key: str, position: int, sides: int, high: int) -> int | None:
    """A binding number, or one of a list with one number per side."""
    value = table.data.get(key)
    if isinstance(value, list):
        if sides == 0 or len(value) != sides:
            raise table.fail(key, f"one number per side ({sides})", value)
        table.data[key] = value[position]
    number = table.integer(key, None, low=0, high=high)
    table.data[key] = value
    return number


def midi_binding(path: Path, pid: str, raw: dict[str, Any], position: int,
                  sides: int) -> MidiBinding:
    table = Table(path, f"parameter '{pid}': midi ", raw)
    kind = table.choice("type", MIDI_TYPES)
    wide = kind in ("cc14", "pitchbend") or (kind == "nrpn" and raw.get("bits") == 14)
    top = 16383 if wide else 127  # the largest wire value, and wire_max's default
    limit = top
    if kind == "relative":
        limit = 100_000  # steps, not a field: as many as the control has, if set
    elif kind == "sysex":
        limit = _template_limit(table, "template")
    number = _per_side(table, "number", position, sides, 127)
    msb = _per_side(table, "msb", position, sides, 127)
    lsb = _per_side(table, "lsb", position, sides, 127)
    binding = MidiBinding(
        type=kind, number=number, msb=msb, lsb=lsb,
        order=table.choice("order", ("msb-first", "lsb-first"), "msb-first"),
        bits=table.get("bits", lambda v: v in (7, 14), "7 or 14", 7),
        wire_min=table.integer("wire_min", 0, low=0, high=limit),
        wire_max=table.integer("wire_max", min(top, limit), low=0, high=limit),
        wire_centre=table.integer("wire_centre", None, low=0, high=limit),
        wire_values=tuple(table.get("wire_values", lambda v: isinstance(v, list) and all(
            isinstance(x, int) and not isinstance(x, bool) and 0 <= x <= limit for x in v),
            f"a list of whole numbers from 0 to {limit}", [])),
        template=table.template("template", binary=True),
        query=table.template("query", binary=True),
        reply=table.template("reply", binary=True),
        increment=table.template("increment", binary=True),
        decrement=table.template("decrement", binary=True),
        select=tuple(table.template_list("select")),
        home_steps=table.integer("home_steps", 0, low=0, high=100_000),
    )
    table.finish()
    allowed = _COMMON_MIDI_KEYS | _MIDI_TYPE_KEYS[kind]
    for key in raw:
        if key not in allowed:
            raise ProfileError(f"{path}: parameter '{pid}': midi key '{key}' does not apply "
                               f"to a {kind} binding (it takes: {', '.join(sorted(allowed))})")
    needs = {"cc": ("number",), "cc14": ("msb", "lsb"), "nrpn": ("msb", "lsb"),
             "program": (), "pitchbend": (), "sysex": ("template",),
             "relative": ("increment", "decrement")}[kind]
    for key in needs:
        if getattr(binding, key) is None:
            raise ProfileError(f"{path}: parameter '{pid}': midi key '{key}' is missing "
                               f"(a {kind} binding needs it)")
    _check_wire(path, pid, table, binding)
    if kind == "pitchbend" and (number is None or number > 15):
        raise ProfileError(f"{path}: parameter '{pid}': midi key 'number' must be the "
                           "pitch-bend channel offset 0-15")
    if (binding.query is None) != (binding.reply is None):
        raise ProfileError(f"{path}: parameter '{pid}': midi 'query' and 'reply' go together")
    return binding


def _template_limit(table: Table, key: str) -> int:
    """The largest wire value the template's {value} field can carry."""
    try:
        template = parse(table.data.get(key, ""), binary=True)
    except TemplateError:
        return 127  # reported properly when the template itself is read
    formats = [t.fmt for t in template.tokens if isinstance(t, Field) and t.name == "value"]
    return min((VALUE_LIMITS[f] for f in formats), default=127)


def _check_wire(path: Path, pid: str, table: Table,
                binding: MidiBinding | SerialBinding) -> None:
    """Wire range, centre and per-position values that fit together (the parameter's
    positions are checked once the parameter is built)."""
    if binding.wire_max <= binding.wire_min:
        raise table.fail("wire_max", f"above wire_min ({binding.wire_min})", binding.wire_max)
    top = max((binding.wire_max, *binding.wire_values))
    for key in ("template", "query", "reply", "set"):
        template = getattr(binding, key, None)
        if template is None or not template.binary:
            continue
        fields = [t for t in template.tokens if isinstance(t, Field) and t.name == "value"]
        for field in fields:
            if VALUE_LIMITS[field.fmt] < top:
                raise ProfileError(
                    f"{path}: parameter '{pid}': {table.where.split(': ', 1)[1]}key '{key}': "
                    f"{{value:{field.fmt}}} carries at most {VALUE_LIMITS[field.fmt]}, but the "
                    f"wire range goes to {top}")
    centre = binding.wire_centre
    if centre is not None and not binding.wire_min < centre < binding.wire_max:
        raise table.fail("wire_centre", f"between wire_min ({binding.wire_min}) and "
                         f"wire_max ({binding.wire_max})", centre)


def serial_binding(path: Path, pid: str, raw: dict[str, Any],
                    settings: SerialSettings | None) -> SerialBinding:
    binary = bool(settings and settings.binary)
    table = Table(path, f"parameter '{pid}': serial ", raw)
    command = table.template("set", binary=binary)
    if command is None:
        raise ProfileError(f"{path}: parameter '{pid}': serial key 'set' is missing")
    binding = SerialBinding(
        set=command,
        query=table.template("query", binary=binary),
        reply=table.template("reply", binary=binary),
        wire_min=table.integer("wire_min", 0, low=0, high=1_000_000),
        wire_max=table.integer("wire_max", 127, low=1, high=1_000_000),
        wire_centre=table.integer("wire_centre", None, low=0, high=1_000_000),
        wire_values=tuple(table.get("wire_values", lambda v: isinstance(v, list) and all(
            isinstance(x, int) and not isinstance(x, bool) and 0 <= x <= 1_000_000 for x in v),
            "a list of whole numbers from 0 to 1000000", [])),
    )
    table.finish()
    _check_wire(path, pid, table, binding)
    if (binding.query is None) != (binding.reply is None):
        raise ProfileError(f"{path}: parameter '{pid}': serial 'query' and 'reply' go together")
    return binding
