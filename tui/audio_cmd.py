"""`outboard audio devices`: the interfaces Outboard can print through."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from typing import Any

from controller.errors import EXIT_OK


def register(commands: Any) -> None:
    audio = commands.add_parser("audio", help="audio interfaces")
    sub = audio.add_subparsers(dest="audio_command", metavar="ACTION",
                               parser_class=type(audio))
    sub.required = True
    devices = sub.add_parser(
        "devices", help="host APIs and devices, with their channels",
        description="Every host API PortAudio offers here and its devices: input and output "
        "channels, default sample rate and lowest latencies. Printing through an insert "
        "needs a full-duplex device (inputs and outputs on one device). JACK is listed only "
        "while a JACK server runs.")
    devices.add_argument("--json", action="store_true", help="print JSON")
    devices.set_defaults(handler=run_devices)


def run_devices(args: argparse.Namespace) -> int:
    from controller.audio.devices import host_apis

    apis = host_apis()
    if args.json:
        print(json.dumps({"host_apis": [
            {"name": api.name, "devices": [asdict(d) for d in api.devices]} for api in apis]}))
        return EXIT_OK
    for api in apis:
        print(api.name + ("" if api.devices else "  (no devices)"))
        for d in api.devices:
            marks = ", ".join(m for m, on in (("default in", d.default_input),
                                               ("default out", d.default_output)) if on)
            print(f"  {d.index:>3}  {d.name}: {d.inputs} in, {d.outputs} out, "
                  f"{d.default_rate:g} Hz, lowest latency {d.low_output_latency * 1000:.1f} ms"
                  + (f"  [{marks}]" if marks else "")
                  + ("" if d.full_duplex else "  (not full duplex)"))
    return EXIT_OK
