"""`outboard devices …`: profiles, ports, emulated units, and sending to and reading from gear."""

from __future__ import annotations

import argparse
import json
import sys
import threading
from pathlib import Path
from typing import Any

from controller.errors import EXIT_OK, InputError, error_line
from devices import values
from devices.driver import Driver
from devices.emulator import EmulatedUnit, Misbehaviour
from devices.errors import DeviceError
from devices.loader import find_profile, load_profile, shipped_profiles
from devices.profile import Parameter, Profile
from devices.transport import SpyTransport, open_transport, parse_address
from devices.transport.address import unit_address


def register(commands: Any) -> None:
    devices = commands.add_parser("devices", help="device profiles, ports and emulated gear")
    sub = devices.add_subparsers(dest="devices_command", metavar="ACTION",
                                 parser_class=type(devices))
    sub.required = True

    listing = sub.add_parser("list", help="the device profiles that ship with Outboard")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=run_list)

    show = sub.add_parser("show", help="a profile's controls, sections and bindings")
    show.add_argument("profile", metavar="PROFILE", help="a shipped profile's key or a .toml file")
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=run_show)

    check = sub.add_parser("check", help="validate a profile file")
    check.add_argument("file", metavar="FILE", type=Path)
    check.add_argument("--json", action="store_true")
    check.set_defaults(handler=run_check)

    ports = sub.add_parser("ports", help="the MIDI and serial ports present")
    ports.add_argument("--api", choices=("alsa", "jack", "coremidi", "winmm"),
                       help="the rtmidi API to ask (default: the platform's)")
    ports.add_argument("--json", action="store_true")
    ports.set_defaults(handler=run_ports)

    emulate = sub.add_parser("emulate", help="run an emulated unit in the foreground")
    emulate.add_argument("profile", metavar="PROFILE")
    where = emulate.add_mutually_exclusive_group()
    where.add_argument("--midi-port", metavar="NAME", help="listen on a virtual MIDI port")
    where.add_argument("--pty", action="store_true", help="listen on a pseudo-terminal")
    emulate.add_argument("--api", choices=("alsa", "jack", "coremidi", "winmm"))
    emulate.add_argument("--channel", type=int, help="MIDI channel 1-16 (default: profile's)")
    emulate.add_argument("--device-id", type=int, help="SysEx device id (default: profile's)")
    emulate.add_argument("--drop", type=float, default=0.0, metavar="SHARE",
                         help="ignore this share of messages (0-1)")
    emulate.add_argument("--garble", type=float, default=0.0, metavar="SHARE",
                         help="flip a byte in this share of replies (0-1)")
    emulate.add_argument("--delay-ms", type=float, default=0.0, help="answer this late")
    emulate.add_argument("--silent", action="store_true", help="never answer")
    emulate.add_argument("--seconds", type=float, help="stop after this long (default: Ctrl-C)")
    emulate.add_argument("--disconnect-after", type=float, metavar="SECONDS",
                         help="pull the plug after this long: the port disappears")
    emulate.add_argument("--json", action="store_true", help="print events as JSON lines")
    emulate.set_defaults(handler=run_emulate)

    imports = sub.add_parser("import", help="turn a midi.guide CSV chart into a draft profile")
    imports.add_argument("csv", metavar="CSV", type=Path)
    imports.add_argument("-o", "--output", metavar="FILE", type=Path,
                         help="write the profile here (default: print it)")
    imports.add_argument("--json", action="store_true")
    imports.set_defaults(handler=run_import)

    for name, text in (("send", "set a value on a unit"), ("read", "read values back")):
        action = sub.add_parser(name, help=text)
        action.add_argument("address", metavar="ADDRESS",
                            help="midi:PORT?channel=N, serial:PATH?baudrate=N or emulated:")
        action.add_argument("parameter", metavar="PARAM", nargs=None if name == "send" else "?")
        if name == "send":
            action.add_argument("value", metavar="VALUE")
        action.add_argument("--profile", required=True, metavar="PROFILE")
        if name == "read":
            action.add_argument("--timeout-ms", type=float, default=None,
                                help="how long to wait for each answer (default: the "
                                "profile's, or 500 ms for MIDI)")
        action.add_argument("--spy", action="store_true",
                            help="print every byte each way, as hex, on stderr")
        action.add_argument("--json", action="store_true")
        action.set_defaults(handler=run_send if name == "send" else run_read)


def _profile(name: str) -> Profile:
    return find_profile(name)


def _emit(document: Any) -> None:
    print(json.dumps(document, allow_nan=False), flush=True)


def run_list(args: argparse.Namespace) -> int:
    rows = []
    for key, path in shipped_profiles().items():
        profile = load_profile(path)
        rows.append({"key": key, "manufacturer": profile.manufacturer, "model": profile.model,
                     "kind": profile.kind, "control": profile.control,
                     "verified": profile.verified, "parameters": len(profile.parameters)})
    if args.json:
        for row in rows:
            _emit(row)
        return EXIT_OK
    for row in rows:
        mark = "" if row["verified"] else "  (unverified)"
        print(f"{row['key']:<34} {row['control']:<7} {row['manufacturer']} {row['model']}{mark}")
    return EXIT_OK


def parameter_json(parameter: Parameter) -> dict[str, Any]:
    document: dict[str, Any] = {"id": parameter.id, "name": parameter.name,
                                "section": parameter.section, "kind": parameter.kind,
                                "unit": parameter.unit, "default": parameter.default}
    if parameter.kind == "continuous":
        document.update(min=parameter.minimum, max=parameter.maximum, taper=parameter.taper,
                        resolution=parameter.resolution, centre=parameter.centre)
    elif parameter.kind == "stepped":
        document["detents"] = [{"label": d.label, "value": d.value} for d in parameter.detents]
    else:
        document["labels"] = list(parameter.labels)
    if parameter.side:
        document["side"] = parameter.side
    binding = parameter.midi or parameter.serial
    if parameter.midi is not None:
        m = parameter.midi
        document["midi"] = {"type": m.type, "number": m.number, "msb": m.msb, "lsb": m.lsb}
        for key in ("template", "query", "reply", "increment", "decrement"):
            if getattr(m, key) is not None:
                document["midi"][key] = getattr(m, key).source
    if parameter.serial is not None:
        document["serial"] = {"set": parameter.serial.set.source}
        for key in ("query", "reply"):
            if getattr(parameter.serial, key) is not None:
                document["serial"][key] = getattr(parameter.serial, key).source
    document["read_back"] = bool(binding and binding.query is not None)
    return document


def describe_binding(parameter: Parameter) -> str:
    m = parameter.midi
    if m is not None:
        if m.type == "cc":
            text = f"CC {m.number}"
        elif m.type == "cc14":
            text = f"CC {m.msb}/{m.lsb} 14-bit {m.order}"
        elif m.type == "nrpn":
            text = f"NRPN {m.msb}:{m.lsb} {m.bits}-bit"
        elif m.type == "pitchbend":
            text = f"pitch bend +{m.number or 0}"
        elif m.type == "sysex":
            text = f"SysEx {m.template.source}"  # type: ignore[union-attr]
        else:
            text = m.type
        return text + (" (reads back)" if m.query else "")
    if parameter.serial is not None:
        return f"'{parameter.serial.set.source}'" + (" (reads back)" if parameter.serial.query
                                                    else "")
    return "by hand"


def _range_text(parameter: Parameter) -> str:
    if parameter.kind == "continuous":
        unit = f" {parameter.unit}" if parameter.unit else ""
        centre = f", centre {parameter.centre:g}" if parameter.centre is not None else ""
        return f"{parameter.minimum:g} to {parameter.maximum:g}{unit} ({parameter.taper}{centre})"
    if parameter.kind == "stepped":
        labels = [d.label for d in parameter.detents]
        shown = ", ".join(labels if len(labels) <= 8 else labels[:4] + ["…"] + labels[-3:])
        return f"{len(labels)} detents: {shown}"
    return " / ".join(parameter.labels)


def run_show(args: argparse.Namespace) -> int:
    profile = _profile(args.profile)
    if args.json:
        _emit({"key": profile.key, "manufacturer": profile.manufacturer,
               "model": profile.model, "kind": profile.kind, "layout": profile.layout,
               "control": profile.control, "verified": profile.verified,
               "provenance": profile.provenance, "notes": profile.notes,
               "parameters": [parameter_json(p) for p in profile.parameters]})
        return EXIT_OK
    verified = "verified" if profile.verified else "UNVERIFIED"
    print(f"{profile.title}  [{profile.key}]  {profile.kind}, {profile.layout}, "
          f"{profile.control}, {verified}")
    print(f"  provenance: {profile.provenance}")
    if profile.notes:
        print(f"  notes: {profile.notes}")
    for section in profile.sections:
        print(f"\n  {section}")
        for p in (p for p in profile.parameters if p.section == section):
            default = values.label(p, p.default)
            print(f"    {p.id:<22} {p.name:<24} {_range_text(p)}; default {default}; "
                  f"{describe_binding(p)}")
    return EXIT_OK


def run_check(args: argparse.Namespace) -> int:
    profile = load_profile(args.file)
    readable = sum(1 for p in profile.parameters if (p.midi or p.serial) and
                   (p.midi or p.serial).query is not None)  # type: ignore[union-attr]
    if args.json:
        _emit({"file": str(args.file), "ok": True, "key": profile.key,
               "parameters": len(profile.parameters), "read_back": readable,
               "verified": profile.verified})
    else:
        print(f"{args.file}: ok: {profile.title}, {_count(len(profile.parameters), 'parameter')}"
              f" in {_count(len(profile.sections), 'section')}, {readable} can be read back"
              + ("" if profile.verified else "; marked unverified"))
    return EXIT_OK


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def run_ports(args: argparse.Namespace) -> int:
    from serial.tools import list_ports

    from devices.transport.midi_port import backend

    midi_error = None
    try:
        midi = backend(args.api)
        outputs, inputs = midi.get_output_names(), midi.get_input_names()
    except (OSError, RuntimeError, ImportError) as err:
        outputs, inputs = [], []
        midi_error = f"MIDI ({args.api or 'default API'}) is not available: {err}"
    serial_ports = [{"device": p.device, "description": p.description}
                    for p in list_ports.comports()]
    if args.json:
        _emit({"midi_outputs": outputs, "midi_inputs": inputs, "serial": serial_ports,
               "midi_error": midi_error})
        return EXIT_OK
    if midi_error:
        print(midi_error)
    print("MIDI outputs (units Outboard can send to):")
    print("\n".join(f"  {n}" for n in outputs) or "  none")
    print("MIDI inputs (units that can answer):")
    print("\n".join(f"  {n}" for n in inputs) or "  none")
    print("Serial ports:")
    print("\n".join(f"  {p['device']}  {p['description']}" for p in serial_ports) or "  none")
    return EXIT_OK


def run_emulate(args: argparse.Namespace) -> int:
    from devices.codec import Address
    from devices.emulator.runners import MidiEmulator, PtyEmulator

    profile = _profile(args.profile)
    if profile.control == "manual":
        raise InputError(f"{profile.key}: a manual unit has no protocol to emulate")
    for name in ("drop", "garble"):
        if not 0.0 <= getattr(args, name) <= 1.0:
            raise InputError(f"--{name} {getattr(args, name)}: a share from 0 to 1")
    if args.channel is not None and not 1 <= args.channel <= 16:
        raise InputError(f"--channel {args.channel}: a MIDI channel is 1 to 16")
    if args.device_id is not None and not 0 <= args.device_id <= 127:
        raise InputError(f"--device-id {args.device_id}: a device id is 0 to 127")
    if args.pty and profile.control == "midi":
        raise InputError(f"{profile.key} is a MIDI unit: it listens on a virtual MIDI port "
                         "(--midi-port NAME), not on a pseudo-terminal")
    base = profile.midi
    address = Address(channel=args.channel or (base.channel if base else 1),
                      device_id=args.device_id if args.device_id is not None
                      else (base.device_id if base else 0))
    unit = EmulatedUnit(profile, address=address, misbehaviour=Misbehaviour(
        drop=args.drop, garble=args.garble, silent=args.silent,
        delay_s=args.delay_ms / 1000.0))

    def changed(parameter_id: str, value: float) -> None:
        parameter = profile.parameter(parameter_id)
        if args.json:
            _emit({"event": "change", "parameter": parameter_id, "value": value,
                   "label": values.label(parameter, value)})
        else:
            print(f"{parameter_id} = {values.label(parameter, value)}", flush=True)

    if profile.control == "serial" and not args.midi_port:
        runner: Any = PtyEmulator(unit, on_change=changed)
        where = f"serial:{runner.port}"
    else:
        if profile.control != "midi":
            raise InputError(f"{profile.key} is a serial unit: use --pty")
        name = args.midi_port or f"Outboard {profile.model}"
        runner = MidiEmulator(unit, name, api=args.api, on_change=changed)
        where = f"midi:{name}"
    stop = threading.Event()
    with runner:
        if args.json:
            _emit({"event": "listening", "profile": profile.key, "address": where,
                   "channel": address.channel, "device_id": address.device_id})
        else:
            print(f"Emulating {profile.title} on {where} (channel {address.channel}, device "
                  f"id {address.device_id}). Ctrl-C stops.", flush=True)
        try:
            if args.disconnect_after is not None:
                stop.wait(args.disconnect_after)
                runner.close()
                if args.json:
                    _emit({"event": "disconnected"})
                else:
                    print("Disconnected.", flush=True)
                if args.seconds is not None:
                    stop.wait(max(0.0, args.seconds - args.disconnect_after))
            else:
                stop.wait(args.seconds)
        except KeyboardInterrupt:
            pass
        if runner.error is not None:
            raise DeviceError(f"the emulated unit failed: {runner.error}")
    return EXIT_OK


def _driver(args: argparse.Namespace) -> tuple[Profile, Driver, Any]:
    profile = _profile(args.profile)
    address = parse_address(args.address)
    transport = open_transport(address, profile)
    if args.spy:
        transport = SpyTransport(transport, echo=sys.stderr)
    transport.open()
    return profile, Driver(profile, transport, unit_address(address, profile)), transport


def _parameter(profile: Profile, name: str) -> Parameter:
    try:
        return profile.parameter(name)
    except KeyError as err:
        raise InputError(str(err.args[0])) from None


def _parse_value(parameter: Parameter, text: str) -> float:
    """A number in the parameter's units, or a detent or option label."""
    if parameter.kind == "stepped":
        for detent in parameter.detents:
            if text == detent.label:
                return detent.value
    if parameter.kind in ("switch", "choice") and text in parameter.labels:
        return float(parameter.labels.index(text))
    try:
        return float(text)
    except ValueError:
        raise InputError(f"{parameter.id}: '{text}' is neither a number nor one of its "
                         "labels") from None


def run_send(args: argparse.Namespace) -> int:
    profile, driver, transport = _driver(args)
    try:
        parameter = _parameter(profile, args.parameter)
        sent = driver.set(parameter.id, _parse_value(parameter, args.value))
    finally:
        transport.close()
    wire = [m.hex(" ").upper() for m in sent.messages]
    if args.json:
        _emit({"parameter": sent.parameter, "value": sent.value,
               "label": values.label(parameter, sent.value), "sent": wire})
    else:
        print(f"{sent.parameter} = {values.label(parameter, sent.value)}  "
              f"({len(wire)} message{'s' if len(wire) != 1 else ''}: {'; '.join(wire[:4])}"
              f"{' …' if len(wire) > 4 else ''})")
    return EXIT_OK


def run_read(args: argparse.Namespace) -> int:
    profile, driver, transport = _driver(args)
    timeout = None if args.timeout_ms is None else args.timeout_ms / 1000.0
    failures: list[DeviceError] = []
    try:
        if args.parameter:
            targets = [_parameter(profile, args.parameter)]
        else:
            targets = [p for p in profile.parameters if driver.can_read(p.id)]
            if not targets:
                raise InputError(f"{profile.key}: none of its parameters can be read back")
        for parameter in targets:
            try:
                value = driver.read(parameter.id, timeout=timeout)
            except DeviceError as err:
                if len(targets) == 1:
                    raise
                failures.append(err)
                print(error_line(err.message), file=sys.stderr)
                continue
            if args.json:
                _emit({"parameter": parameter.id, "value": value,
                       "label": values.label(parameter, value)})
            else:
                print(f"{parameter.id} = {values.label(parameter, value)}", flush=True)
    finally:
        transport.close()
    return max((f.exit_code for f in failures), default=EXIT_OK)


def run_import(args: argparse.Namespace) -> int:
    from devices.importer import import_midi_guide

    result = import_midi_guide(args.csv)
    if args.output is not None:
        if args.output.exists():
            raise InputError(f"{args.output}: already exists; choose another name")
        try:
            args.output.write_text(result.toml, encoding="utf-8")
        except OSError as err:
            raise InputError(f"{args.output}: cannot write ({err.strerror})") from err
    if args.json:
        _emit({"csv": str(args.csv), "output": str(args.output) if args.output else None,
               "parameters": result.parameters, "skipped": list(result.skipped)})
    elif args.output is None:
        print(result.toml)
    else:
        print(f"{args.output}: {result.parameters} parameters; {len(result.skipped)} rows left "
              "out (listed at the top of the file)")
    return EXIT_OK
