"""`outboard studio …`: show a studio file, and check it against the device profiles."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from controller.errors import EXIT_BAD_INPUT, EXIT_OK, InputError, error_line
from devices.errors import DeviceError
from devices.loader import find_profile, load_profile
from devices.profile import Profile
from devices.transport import parse_address
from devices.transport.address import UnitAddress, unit_address
from recall.errors import StudioError
from recall.studio import (
    ChannelCalibration,
    InsertLoop,
    Studio,
    Unit,
    fingerprint,
    load_studio,
    studio_dict,
)

ENVIRONMENT = "OUTBOARD_STUDIO"
# The address schemes that fit each kind of profile control.
FITTING_SCHEMES = {"manual": ("manual",), "midi": ("midi", "emulated"),
                   "serial": ("serial", "emulated")}


def register(commands: Any) -> None:
    studio = commands.add_parser("studio", help="the studio file: interface, loops, gear")
    sub = studio.add_subparsers(dest="studio_command", metavar="ACTION",
                                parser_class=type(studio))
    sub.required = True
    for name, text in (("show", "the studio's interface, loops, calibration and units"),
                       ("check", "validate a studio file against the device profiles")):
        action = sub.add_parser(name, help=text)
        action.add_argument("file", metavar="FILE", type=Path, nargs="?",
                            help=f"the studio file (default: ${ENVIRONMENT})")
        action.add_argument("--json", action="store_true")
        action.set_defaults(handler=run_show if name == "show" else run_check)


def studio_file(given: Path | None, action: str = "check", *, option: bool = False) -> Path:
    """The studio file named on the command line, else by $OUTBOARD_STUDIO. ``option``: the
    command takes it as --studio FILE (else as outboard studio ACTION FILE)."""
    if given is not None:
        return given
    from_environment = os.environ.get(ENVIRONMENT, "").strip()
    if from_environment:
        return Path(from_environment)
    how = "--studio FILE" if option else f"outboard studio {action} FILE"
    raise InputError(f"no studio file given: name one ({how}) or set {ENVIRONMENT} to its "
                     "path; config/studio.example.toml is an example to copy")


def _load(given: Path | None) -> Studio:
    try:
        return load_studio(studio_file(given, "show"))
    except StudioError as err:
        raise InputError(err.message, title=err.title) from err


def _emit(document: Any) -> None:
    print(json.dumps(document, allow_nan=False), flush=True)


# ---------------------------------------------------------------------------- show


def run_show(args: argparse.Namespace) -> int:
    studio = _load(args.file)
    if args.json:
        _emit({"file": studio.source, "fingerprint": fingerprint(studio), **studio_dict(studio)})
        return EXIT_OK
    print("\n".join(show_lines(studio)))
    return EXIT_OK


def show_lines(studio: Studio) -> list[str]:
    face = studio.interface
    latency_ms = 1000.0 * face.buffer_frames / face.sample_rate
    lines = [f"Studio '{studio.name}'  ({studio.source})",
             f"Interface: {face.host_api}, device '{face.device}', {face.sample_rate} Hz, "
             f"{face.buffer_frames}-frame buffer ({latency_ms:.1f} ms)"]
    for loop in studio.loops:
        lines += ["", *_loop_lines(studio, loop)]
    loose = studio.units_in(None)
    if loose:
        lines += ["", "Not in a loop:", *(f"  {_unit_text(u)}" for u in loose)]
    patched = {(d, c) for lp in studio.loops for d, cs in (("output", lp.outputs),
                                                           ("input", lp.inputs)) for c in cs}
    other = [c for c in studio.calibration if (c.direction, c.channel) not in patched]
    if other:
        lines += ["", "Other calibrated channels:",
                  *(f"  {c.direction} {c.channel}: {_level_text(c)}" for c in other)]
    lines += ["", f"Fingerprint: {fingerprint(studio)}"]
    return lines


def _loop_lines(studio: Studio, loop: InsertLoop) -> list[str]:
    lines = [f"Loop {loop.name}: outputs {_channels(loop.outputs)} → inputs "
             f"{_channels(loop.inputs)}"]
    for direction, channels, trim in (("output", loop.outputs, loop.send_trim_db),
                                      ("input", loop.inputs, loop.return_trim_db)):
        label = "send" if direction == "output" else "return"
        lines.append(f"  {label} trim {trim:+.1f} dB")
        for channel in channels:
            entry = studio.calibration_for(direction, channel)
            level = _level_text(entry) if entry else "not calibrated"
            lines.append(f"    {direction} {channel}: {level}")
    units = studio.units_in(loop.name)
    lines.append("  units:" if units else "  units: none (a loop with nothing in it)")
    lines += [f"    {u.position}. {_unit_text(u)}" for u in units]
    return lines


def _level_text(entry: ChannelCalibration) -> str:
    return (f"{entry.dbfs_at_plus4_dbu:+.1f} dBFS = +4.0 dBu; "
            f"0 dBFS = {entry.dbu_at_full_scale:+.1f} dBu")


def _unit_text(unit: Unit) -> str:
    return f"{unit.name}  ({unit.profile}, {unit.address})"


def _channels(channels: tuple[int, ...]) -> str:
    first, last = channels[0], channels[-1]
    if len(channels) > 1 and list(channels) == list(range(first, last + 1)):
        return f"{first}-{last}"
    return ", ".join(str(c) for c in channels)


# ---------------------------------------------------------------------------- check


def run_check(args: argparse.Namespace) -> int:
    source = studio_file(args.file)
    try:
        studio = load_studio(source)
    except StudioError as err:
        return _report(source, [err.message], args.json)
    problems, controls = check_units(studio)
    if problems:
        return _report(source, problems, args.json)
    manual = sum(1 for control in controls.values() if control == "manual")
    emulated = sum(1 for u in studio.units if u.scheme == "emulated")
    summary = (f"{_count(len(studio.loops), 'loop')}, {_count(len(studio.units), 'unit')} "
               f"({len(studio.units) - manual} remote, {manual} manual"
               + (f"; {emulated} emulated" if emulated else "") + ")")
    if args.json:
        _emit({"file": str(source), "ok": True, "name": studio.name,
               "loops": len(studio.loops), "units": len(studio.units),
               "remote": len(studio.units) - manual, "manual": manual, "emulated": emulated,
               "fingerprint": fingerprint(studio), "problems": []})
    else:
        print(f"{source}: ok: studio '{studio.name}': {summary}")
    return EXIT_OK


def _report(source: Path, problems: list[str], as_json: bool) -> int:
    for problem in problems:
        print(error_line(str(problem)), file=sys.stderr)
    if as_json:
        _emit({"file": str(source), "ok": False, "problems": problems})
    return EXIT_BAD_INPUT


def check_units(studio: Studio) -> tuple[list[str], dict[str, str]]:
    """Every problem with the units' profiles and addresses, and each good unit's control."""
    problems: list[str] = []
    controls: dict[str, str] = {}
    reached: dict[tuple[str, str, int, int], str] = {}
    for unit in studio.units:
        where = f"{studio.source}: unit {unit.name!r}: "
        profile = _unit_profile(studio, unit, where, problems)
        address = _unit_address(unit, where, problems)
        if profile is None or address is None:
            continue
        fitting = FITTING_SCHEMES[profile.control]
        if address.scheme not in fitting:
            problems.append(where + f"key 'address' {unit.address!r} does not fit "
                            f"{profile.key}, {_control_text(profile.control)}: use "
                            + " or ".join(f"{s}:" for s in fitting))
            continue
        controls[unit.name] = profile.control
        if address.scheme in ("midi", "serial"):
            at = unit_address(address, profile)
            key = (address.scheme, address.target, at.channel, at.device_id)
            owner = reached.setdefault(key, unit.name)
            if owner != unit.name:
                problems.append(where + f"key 'address' {unit.address!r} reaches the same unit "
                                f"as unit '{owner}': both are channel {at.channel}, device id "
                                f"{at.device_id} (an address without them takes its "
                                "profile's)")
    return problems, controls


def _unit_profile(studio: Studio, unit: Unit, where: str, problems: list[str]) -> Profile | None:
    path = studio.profile_path(unit)
    try:
        return find_profile(unit.profile) if path is None else load_profile(path)
    except DeviceError as err:
        problems.append(where + f"key 'profile': {err.message}")
        return None


def _unit_address(unit: Unit, where: str, problems: list[str]) -> UnitAddress | None:
    try:
        return parse_address(unit.address)
    except DeviceError as err:
        problems.append(where + f"key 'address': {err.message}")
        return None


def _control_text(control: str) -> str:
    return {"manual": "a unit set by hand", "midi": "a MIDI unit",
            "serial": "a serial unit"}[control]


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
