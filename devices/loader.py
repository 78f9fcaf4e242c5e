"""Reading device profiles: TOML in, a validated Profile out, or one clear error.

Every key is checked against a closed list; an error names the file, the key and what was
expected, so a bad profile fails here and never in the middle of a recall.
"""

from __future__ import annotations

import math
import re
import sys
import tomllib
from pathlib import Path
from typing import Any

from .bindings import midi_binding, serial_binding
from .errors import ProfileError
from .profile import (
    CONTROLS,
    KINDS,
    LAYOUTS,
    SPEC_VERSION,
    TAPERS,
    Detent,
    Dump,
    MidiBinding,
    MidiSettings,
    Motor,
    Parameter,
    Profile,
    SerialBinding,
    SerialSettings,
)
from .template import VALUE_LIMITS, Field
from .toml_table import Table, one_line, printable, shown

PROFILE_DIR = Path(__file__).resolve().parent.parent / "config" / "devices"
_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_SIDES = ("L", "R", "M", "S")
_LARGEST = sys.float_info.max  # a range, ratio or step count beyond it cannot be computed


def load_profile(path: Path | str) -> Profile:
    """Read and validate one profile file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProfileError(f"{path}: no such profile file") from None
    except IsADirectoryError:
        raise ProfileError(f"{path}: is a folder, not a profile file") from None
    except OSError as err:
        raise ProfileError(f"{path}: cannot read ({err.strerror})") from None
    except UnicodeDecodeError:
        raise ProfileError(f"{path}: not UTF-8 text") from None
    except ValueError:  # a NUL character in the name (a studio file's `profile` is text)
        raise ProfileError(f"{printable(str(path))}: no such profile file (the name holds a "
                           "NUL character)") from None
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ProfileError(f"{path}: not valid TOML ({err})") from None
    except ValueError:  # tomllib leaves Python's limit on a number's digits to its caller
        raise ProfileError(f"{path}: not valid TOML (a whole number of more than "
                           f"{sys.get_int_max_str_digits()} digits)") from None
    except RecursionError:
        raise ProfileError(f"{path}: not valid TOML (arrays or tables nested too "
                           "deeply)") from None
    return profile_from_document(document, path)


def profile_from_document(document: dict[str, Any], path: Path) -> Profile:
    top = Table(path, "", document)
    spec = top.get("spec", lambda v: isinstance(v, int) and not isinstance(v, bool),
                   f"the whole number {SPEC_VERSION}")
    if spec > SPEC_VERSION:
        raise ProfileError(f"{path}: key 'spec' is {shown(spec)}, newer than this Outboard reads "
                           f"({SPEC_VERSION}); update Outboard")
    if spec != SPEC_VERSION:
        raise top.fail("spec", str(SPEC_VERSION), spec)
    unit = Table(path, "[unit] ", top.get("unit", lambda v: isinstance(v, dict), "a table"))
    control = unit.choice("control", CONTROLS)
    midi = _midi_settings(path, top) if control == "midi" else None
    serial = _serial_settings(path, top) if control == "serial" else None
    for name, wanted in (("midi", midi), ("serial", serial)):
        if name in document and wanted is None:
            raise ProfileError(f"{path}: [{name}] is set but [unit] control is '{control}'")
    raw_parameters = top.get("parameter", lambda v: isinstance(v, list) and len(v) > 0,
                             "a list of [[parameter]] tables")
    parameters: list[Parameter] = []
    for index, raw in enumerate(raw_parameters):
        parameters.extend(_parameters(path, index, raw, control, serial))
    seen: set[str] = set()
    for parameter in parameters:
        if parameter.id in seen:
            raise ProfileError(f"{path}: parameter id '{parameter.id}' is used twice")
        seen.add(parameter.id)
    motor = None
    if "motor" in document:
        table = Table(path, "[motor] ", top.get("motor", lambda v: True, "a table"))
        motor = Motor(settle_ms=table.number("settle_ms", low=0, high=60_000),
                      tolerance_percent=table.number("tolerance_percent", low=0, high=50))
        table.finish()
    dump = None
    if "dump" in document:
        wired = {p.id: max((b.wire_max, *b.wire_values)) for p in parameters
                 if (b := p.midi or p.serial) is not None}
        dump = _dump(path, top.get("dump", lambda v: True, "a table"), seen, wired, serial)
    profile = Profile(
        key=path.stem,
        manufacturer=unit.line("manufacturer"),
        model=unit.line("model"),
        kind=unit.line("kind"),
        layout=unit.choice("layout", LAYOUTS),
        control=control,
        provenance=unit.text("provenance"),
        verified=unit.flag("verified"),
        notes=unit.text("notes", ""),
        parameters=tuple(parameters),
        midi=midi,
        serial=serial,
        motor=motor,
        dump=dump,
        source=str(path),
    )
    unit.finish()
    top.get("midi", lambda v: True, "", None)
    top.get("serial", lambda v: True, "", None)
    top.get("motor", lambda v: True, "", None)
    top.get("dump", lambda v: True, "", None)
    top.finish()
    return profile


def _midi_settings(path: Path, top: Table) -> MidiSettings:
    table = Table(path, "[midi] ", top.get("midi", lambda v: True, "a table", {}))
    settings = MidiSettings(
        channel=table.integer("channel", 1, low=1, high=16),
        device_id=table.integer("device_id", 0, low=0, high=127),
        min_gap_ms=table.number("min_gap_ms", 0.0, low=0, high=10_000),
    )
    table.finish()
    return settings


def _serial_settings(path: Path, top: Table) -> SerialSettings:
    table = Table(path, "[serial] ", top.get("serial", lambda v: True, "a table"))
    binary = table.flag("binary", False)
    terminator = table.text("terminator", "" if binary else "\r")
    if not terminator.isascii():
        raise table.fail("terminator", "ASCII text", terminator)
    settings = SerialSettings(
        baudrate=table.integer("baudrate", 9600, low=50, high=4_000_000),
        bytesize=table.integer("bytesize", 8, low=5, high=8),
        parity=table.choice("parity", ("none", "even", "odd", "mark", "space"), "none"),
        stopbits=table.number("stopbits", 1, low=1, high=2),
        flow=table.choice("flow", ("none", "rtscts", "xonxoff"), "none"),
        terminator=terminator.encode("ascii"),
        encoding=table.choice("encoding", ("ascii",), "ascii"),
        echo=table.flag("echo", False),
        ack=table.template("ack", binary=binary),
        delay_ms=table.number("delay_ms", 0.0, low=0, high=10_000),
        timeout_ms=table.number("timeout_ms", 500.0, low=1, high=60_000),
        retries=table.integer("retries", 0, low=0, high=10),
        binary=binary,
    )
    if settings.stopbits not in (1, 1.5, 2):
        raise table.fail("stopbits", "1, 1.5 or 2", settings.stopbits)
    table.finish()
    return settings


def _parameters(path: Path, index: int, raw: Any, control: str,
                serial: SerialSettings | None) -> list[Parameter]:
    guess = raw.get("id") if isinstance(raw, dict) else None
    where = shown(guess) if isinstance(guess, str) else f"'#{index + 1}'"
    table = Table(path, f"parameter {where}: ", raw)
    pid = table.get("id", lambda v: isinstance(v, str) and bool(_ID.match(v)),
                    "lower-case letters, digits and _ (starting with a letter)")
    name = table.line("name")
    section = table.line("section", "Main")
    kind = table.choice("kind", KINDS)
    unit = table.line("unit", "")
    sides = table.get("sides", lambda v: isinstance(v, list) and len(v) > 0
                      and all(s in _SIDES for s in v) and len(set(v)) == len(v),
                      "a list of distinct sides from L, R, M, S", [])
    tolerance = table.number("tolerance", None, low=0)
    fields: dict[str, Any] = {}
    if kind == "continuous":
        fields["minimum"] = table.number("min")
        fields["maximum"] = table.number("max")
        if fields["maximum"] <= fields["minimum"]:
            raise table.fail("max", f"above min ({fields['minimum']:g})", fields["maximum"])
        span = fields["maximum"] - fields["minimum"]
        if not math.isfinite(span):  # the arithmetic of every send would overflow
            raise table.fail("max", f"less than {_LARGEST:.3g} above min", fields["maximum"])
        fields["taper"] = table.choice("taper", TAPERS, "linear")
        if fields["taper"] == "log" and fields["minimum"] <= 0:
            raise table.fail("min", "above 0 for a log taper", fields["minimum"])
        if fields["taper"] == "log" and not math.isfinite(fields["maximum"] / fields["minimum"]):
            raise table.fail("min", f"above max / {_LARGEST:.3g} for a log taper",
                             fields["minimum"])
        fields["resolution"] = table.number("resolution", 0.0, low=0)
        if fields["resolution"] and not math.isfinite(span / fields["resolution"]):
            raise table.fail("resolution", f"0 or above (max - min) / {_LARGEST:.3g}",
                             fields["resolution"])
        centre = table.number("centre", None)
        if centre is not None and not fields["minimum"] < centre < fields["maximum"]:
            raise table.fail("centre", "between min and max", centre)
        fields["centre"] = centre
        fields["default"] = table.number("default", fields["minimum"] if centre is None
                                         else centre)
        if not fields["minimum"] <= fields["default"] <= fields["maximum"]:
            raise table.fail("default", "between min and max", fields["default"])
    elif kind == "stepped":
        detents = _detents(table)
        fields["detents"] = detents
        fields["minimum"] = min(d.value for d in detents)
        fields["maximum"] = max(d.value for d in detents)
        fields["default"] = table.number("default", detents[0].value)
        if all(abs(d.value - fields["default"]) > 1e-9 for d in detents):
            raise table.fail("default", "the value of one of its detents", fields["default"])
    else:
        count = 2 if kind == "switch" else None
        labels = table.get("labels", lambda v: isinstance(v, list) and all(
            isinstance(x, str) and x for x in v) and (len(v) == count if count else len(v) >= 2)
            and len(set(v)) == len(v), "a list of distinct labels" + (" (off, on)" if count
                                                                   else " (two or more)"),
            ["off", "on"] if kind == "switch" else ...)
        if not all(one_line(x) for x in labels):
            raise table.fail("labels", "a list of labels each on one line (no control "
                             "characters)", labels)
        fields["labels"] = tuple(labels)
        fields["maximum"] = float(len(labels) - 1)
        fields["default"] = float(table.integer("default", 0, low=0, high=len(labels) - 1))
    midi_raw = table.get("midi", lambda v: isinstance(v, dict), "a table", None)
    serial_raw = table.get("serial", lambda v: isinstance(v, dict), "a table", None)
    table.finish()
    if control == "manual" and (midi_raw or serial_raw):
        raise ProfileError(f"{path}: parameter '{pid}': a manual unit sends nothing; "
                           "remove its midi/serial table")
    if control == "midi" and serial_raw:
        raise ProfileError(f"{path}: parameter '{pid}': a MIDI unit takes a midi table, "
                           "not serial")
    if control == "serial" and midi_raw:
        raise ProfileError(f"{path}: parameter '{pid}': a serial unit takes a serial table, "
                           "not midi")
    expanded = []
    for position, side in enumerate(sides or [None]):
        midi = (midi_binding(path, pid, midi_raw, position, len(sides))
                if midi_raw is not None else None)
        wire = serial_binding(path, pid, serial_raw, serial) if serial_raw is not None else None
        _check_positions(path, pid, kind, fields, midi or wire)
        expanded.append(Parameter(
            id=f"{pid}_{side.lower()}" if side else pid,
            name=f"{name} ({side})" if side else name,
            section=section, kind=kind, unit=unit, side=side, midi=midi, serial=wire,
            tolerance=tolerance, **fields,
        ))
    return expanded


def _check_positions(path: Path, pid: str, kind: str, fields: dict[str, Any],
                     binding: MidiBinding | SerialBinding | None) -> None:
    if binding is None:
        return
    where = f"{path}: parameter '{pid}': "
    if binding.wire_centre is not None and fields.get("centre") is None:
        raise ProfileError(where + "wire_centre needs the parameter's own 'centre'")
    if kind == "continuous":
        if binding.wire_values:
            raise ProfileError(where + "wire_values are for stepped, switch and choice "
                               "controls; a continuous one uses wire_min and wire_max")
        return
    count = len(fields["detents"]) if kind == "stepped" else len(fields["labels"])
    if binding.wire_values and len(binding.wire_values) != count:
        raise ProfileError(where + f"wire_values lists {len(binding.wire_values)} values for "
                           f"{count} positions")


def _detents(table: Table) -> tuple[Detent, ...]:
    raw = table.get("detents", lambda v: isinstance(v, list) and len(v) >= 2,
                    "a list of two or more detents ({label, value} tables or numbers)")
    detents = []
    for i, item in enumerate(raw):
        if _finite(item):
            detents.append(Detent(label=f"{item:g}", value=float(item)))
        elif isinstance(item, dict) and set(item) <= {"label", "value"} and isinstance(
                item.get("label"), str) and one_line(item["label"]) and _finite(item.get("value")):
            detents.append(Detent(label=item["label"], value=float(item["value"])))
        else:
            raise table.fail(f"detents[{i}]", "a finite number or a {label = \"…\", value = …} "
                             "table", item)
    values = [d.value for d in detents]
    if len(set(values)) != len(values):
        raise table.fail("detents", "detents with distinct values", values)
    return tuple(detents)


def _finite(value: Any) -> bool:
    """A number (not a boolean) that is neither infinite nor NaN."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _dump(path: Path, raw: Any, ids: set[str], wired: dict[str, int],
          serial: SerialSettings | None) -> Dump:
    table = Table(path, "[dump] ", raw)
    binary = serial is None or serial.binary
    request = table.template("request", binary=binary)
    reply = table.template("reply", binary=binary)
    table.finish()
    if request is None or reply is None:
        raise ProfileError(f"{path}: [dump] needs both 'request' and 'reply'")
    for pid in reply.parameters:
        if pid not in ids:
            raise ProfileError(f"{path}: [dump] key 'reply': {{param={pid}}} names no parameter")
        if pid not in wired:
            raise ProfileError(f"{path}: [dump] key 'reply': {{param={pid}}} is set by hand; "
                               "a dump carries only parameters with a binding")
    for token in reply.tokens:
        if isinstance(token, Field) and token.parameter and reply.binary:
            top = wired[token.parameter]
            if VALUE_LIMITS[token.fmt] < top:
                raise ProfileError(
                    f"{path}: [dump] key 'reply': {{param={token.parameter}:{token.fmt}}} "
                    f"carries at most {VALUE_LIMITS[token.fmt]}, but the wire range goes "
                    f"to {top}")
    return Dump(request=request, reply=reply)


def shipped_profiles(directory: Path = PROFILE_DIR) -> dict[str, Path]:
    """The profile files that ship with Outboard, by key."""
    return {p.stem: p for p in sorted(directory.glob("*.toml"))}


def find_profile(name: str, directory: Path = PROFILE_DIR) -> Profile:
    """A shipped profile by key, or a profile file by path."""
    candidate = Path(name)
    if candidate.suffix == ".toml" or _exists(candidate):
        return load_profile(candidate)
    shipped = shipped_profiles(directory)
    if name not in shipped:
        known = ", ".join(shipped)
        raise ProfileError(f"no profile {shown(name)} (shipped: {known}; or give a .toml path)")
    return load_profile(shipped[name])


def _exists(path: Path) -> bool:
    """Whether ``path`` names something; False for a name no file can have (too long, NUL)."""
    try:
        return path.exists()
    except (OSError, ValueError):
        return False
