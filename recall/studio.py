"""The studio file: interface, insert loops, converter calibration and gear, validated at load."""

from __future__ import annotations

import hashlib
import json
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from .errors import StudioError
from .studio_table import (
    MAX_CHANNEL,
    Table,
    is_int,
    is_list,
    is_table,
    shown,
)

SPEC_VERSION = 1
# "simulated": no interface, the insert loops modelled (the embedded default).
SIMULATED = "simulated"
HOST_APIS = (SIMULATED, "ALSA", "ASIO", "AudioScience HPI", "Core Audio",
             "JACK Audio Connection Kit", "MME", "OSS", "PulseAudio", "Windows DirectSound",
             "Windows WASAPI",
             "Windows WDM-KS", "sndio")
DIRECTIONS = ("output", "input")
# Schemes whose units are not one physical connection, so several units may share one.
SHARED_SCHEMES = ("manual", "emulated")
# Address options that say which unit answers; the others (baud rate, MIDI API) do not.
_IDENTITY_OPTIONS = ("channel", "device_id")


@dataclass(frozen=True, slots=True)
class Interface:
    """The audio interface: PortAudio host API, device name, sample rate and buffer size."""

    host_api: str
    device: str
    sample_rate: int
    buffer_frames: int

    @property
    def simulated(self) -> bool:
        """No interface: the loops are modelled, their gear as set (see docs/audio.md)."""
        return self.host_api == SIMULATED


# A studio file with no [interface] table prints through the simulated insert loops.
SIMULATED_INTERFACE = Interface(host_api=SIMULATED, device="simulated", sample_rate=48_000,
                                buffer_frames=256)


@dataclass(frozen=True, slots=True)
class InsertLoop:
    """A hardware insert: ``outputs[i]`` feeds the gear that returns on ``inputs[i]`` (1-based)."""

    name: str
    outputs: tuple[int, ...]
    inputs: tuple[int, ...]
    send_trim_db: float = 0.0
    return_trim_db: float = 0.0


@dataclass(frozen=True, slots=True)
class ChannelCalibration:
    """One converter channel's level: the dBFS that reads as +4 dBu at its jack."""

    direction: str  # "output" (D/A) or "input" (A/D)
    channel: int
    dbfs_at_plus4_dbu: float

    @property
    def dbu_at_full_scale(self) -> float:
        """The analog level, in dBu, of 0 dBFS on this channel."""
        return 4.0 - self.dbfs_at_plus4_dbu

    def to_dbu(self, dbfs: float) -> float:
        """The analog level at the jack, in dBu, of a digital level in dBFS."""
        return dbfs + self.dbu_at_full_scale

    def to_dbfs(self, dbu: float) -> float:
        """The digital level, in dBFS, of an analog level at the jack in dBu."""
        return dbu - self.dbu_at_full_scale


@dataclass(frozen=True, slots=True)
class Unit:
    """One piece of gear: its name, its profile, how it is reached, and where it is patched."""

    name: str
    profile: str  # a shipped profile's key, or a .toml path relative to the studio file
    address: str  # midi:PORT?channel=N, serial:PATH?baudrate=N, manual: or emulated:
    loop: str | None = None
    position: int | None = None  # 1-based place in its loop's chain; None outside a loop

    @property
    def scheme(self) -> str:
        return self.address.partition(":")[0]


@dataclass(frozen=True, slots=True)
class Studio:
    """The whole studio as read from one file; ``source`` is that file (not part of the value)."""

    name: str
    interface: Interface
    loops: tuple[InsertLoop, ...] = ()
    calibration: tuple[ChannelCalibration, ...] = ()
    units: tuple[Unit, ...] = ()
    source: str = field(default="", compare=False)

    @property
    def sample_rate(self) -> int:
        return self.interface.sample_rate

    @property
    def buffer_frames(self) -> int:
        return self.interface.buffer_frames

    def loop(self, name: str) -> InsertLoop:
        for loop in self.loops:
            if loop.name == name:
                return loop
        raise KeyError(f"no loop '{name}' (loops: {_names(self.loops)})")

    def units_in(self, loop: str | None) -> tuple[Unit, ...]:
        """The units patched into ``loop`` in chain order (``None``: units in no loop)."""
        found = [u for u in self.units if u.loop == loop]
        return tuple(sorted(found, key=lambda u: u.position or 0))

    def calibration_for(self, direction: str, channel: int) -> ChannelCalibration | None:
        for entry in self.calibration:
            if entry.direction == direction and entry.channel == channel:
                return entry
        return None

    def profile_path(self, unit: Unit) -> Path | None:
        """The profile file ``unit`` names, relative to the studio file; None for a shipped key."""
        if not (unit.profile.endswith(".toml") or "/" in unit.profile or "\\" in unit.profile):
            return None
        path = Path(unit.profile).expanduser()
        return path if path.is_absolute() else Path(self.source).parent / path


# ---------------------------------------------------------------------------- loading


def load_studio(path: Path | str) -> Studio:
    """Read and validate one studio file; StudioError naming the file and key if it is wrong."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise StudioError(f"{path}: no such studio file") from None
    except IsADirectoryError:
        raise StudioError(f"{path}: is a folder, not a studio file") from None
    except OSError as err:
        raise StudioError(f"{path}: cannot read ({err.strerror})") from None
    except UnicodeDecodeError:
        raise StudioError(f"{path}: not UTF-8 text") from None
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise StudioError(f"{path}: not valid TOML ({err})") from None
    except ValueError:  # tomllib leaves Python's limit on a number's digits to its caller
        raise StudioError(f"{path}: not valid TOML (a whole number of more than "
                          f"{sys.get_int_max_str_digits()} digits)") from None
    except RecursionError:
        raise StudioError(f"{path}: not valid TOML (arrays or tables nested too "
                          "deeply)") from None
    return studio_from_document(document, path)


def studio_from_document(document: dict[str, Any], path: Path | str) -> Studio:
    """Validate a parsed studio file (the TOML layout) into a Studio."""
    path = Path(path)
    top = Table(path, "", document)
    _check_spec(path, top)
    head = Table(path, "[studio] ", top.get("studio", is_table, "a [studio] table"))
    name = head.name("name")
    head.finish()
    raw_interface = top.get("interface", is_table, "an [interface] table", None)
    interface = SIMULATED_INTERFACE if raw_interface is None else _interface(path, raw_interface)
    loops = _loops(path, top.get("loop", is_list, "a list of [[loop]] tables", []))
    calibration = _calibration(path, top.get("calibration", is_list,
                                             "a list of [[calibration]] tables", []))
    units = _units(path, top.get("unit", is_list, "a list of [[unit]] tables", []), loops)
    top.finish()
    return Studio(name=name, interface=interface, loops=loops, calibration=calibration,
                  units=units, source=str(path))


def studio_from_dict(document: dict[str, Any], source: Path | str = "<studio>") -> Studio:
    """Read back what :func:`studio_dict` wrote (as the library stores it), validating it again.

    Units keep the order they are listed in; their positions in each loop follow from it.
    """
    try:
        layout = {
            "spec": document["spec"],
            "studio": {"name": document["name"]},
            "interface": document["interface"],
            "loop": document["loops"],
            "calibration": document["calibration"],
            "unit": [{k: v for k, v in u.items() if k != "position" and v is not None}
                     for u in document["units"]],
        }
    except KeyError as err:
        raise StudioError(f"{source}: not a stored studio (key {err} is missing)") from None
    except (TypeError, AttributeError):
        raise StudioError(f"{source}: not a stored studio (a part of it has the wrong "
                          "type)") from None
    return studio_from_document(layout, source)


def _check_spec(path: Path, top: Table) -> None:
    spec = top.get("spec", is_int, f"the whole number {SPEC_VERSION}")
    if spec > SPEC_VERSION:
        raise StudioError(f"{path}: key 'spec' is {shown(spec)}, newer than this Outboard reads "
                          f"({SPEC_VERSION}); update Outboard")
    if spec != SPEC_VERSION:
        raise top.fail("spec", str(SPEC_VERSION), spec)


def _interface(path: Path, raw: Any) -> Interface:
    table = Table(path, "[interface] ", raw)
    host_api = table.get("host_api", lambda v: v in HOST_APIS, "one of " + ", ".join(HOST_APIS))
    interface = Interface(
        host_api=host_api,
        device=table.get("device", lambda v: isinstance(v, str) and v.strip() != "",
                         "the device's name as the host API lists it",
                         SIMULATED if host_api == SIMULATED else ...),
        sample_rate=table.integer("sample_rate", 8_000, 768_000),
        buffer_frames=table.get("buffer_frames", lambda v: is_int(v) and 16 <= v <= 8192
                                and v & (v - 1) == 0, "a power of two from 16 to 8192"),
    )
    table.finish()
    return interface


def _loops(path: Path, raw: list[Any]) -> tuple[InsertLoop, ...]:
    loops: list[InsertLoop] = []
    owners: dict[tuple[str, int], str] = {}
    for index, item in enumerate(raw):
        table = Table(path, _where("loop", index, item), item)
        name = table.name("name")
        _unique(table, name, [loop.name for loop in loops], "loop")
        outputs = table.channels("outputs")
        inputs = table.channels("inputs")
        if len(inputs) != len(outputs):
            raise StudioError(f"{path}: {table.where}key 'inputs' lists {_count(len(inputs))} "
                              f"but 'outputs' lists {_count(len(outputs))}; a loop returns "
                              "as many channels as it sends")
        for direction, key, channels in (("output", "outputs", outputs),
                                         ("input", "inputs", inputs)):
            for channel in channels:
                owner = owners.setdefault((direction, channel), name)
                if owner != name:
                    raise StudioError(f"{path}: {table.where}key '{key}': {direction} {channel} "
                                      f"is already used by loop '{owner}'")
        loops.append(InsertLoop(name=name, outputs=outputs, inputs=inputs,
                                send_trim_db=table.number("send_trim_db", 0.0, -24.0, 24.0),
                                return_trim_db=table.number("return_trim_db", 0.0, -24.0, 24.0)))
        table.finish()
    return tuple(loops)


def _calibration(path: Path, raw: list[Any]) -> tuple[ChannelCalibration, ...]:
    entries: dict[tuple[str, int], ChannelCalibration] = {}
    for index, item in enumerate(raw):
        table = Table(path, f"calibration #{index + 1}: ", item)
        direction = table.get("direction", lambda v: v in DIRECTIONS, "output or input")
        if ("channel" in table.data) == ("channels" in table.data):
            raise StudioError(f"{path}: {table.where}give either key 'channel' (one channel) "
                              "or key 'channels' (a list), not both and not neither")
        if "channel" in table.data:
            channels: tuple[int, ...] = (table.integer("channel", 1, MAX_CHANNEL),)
        else:
            channels = table.channels("channels")
        level = table.number("dbfs_at_plus4_dbu", ..., -40.0, 10.0)
        table.finish()
        for channel in channels:
            if (direction, channel) in entries:
                raise StudioError(f"{path}: {table.where}{direction} {channel} is calibrated "
                                  "twice; give each channel one level")
            entries[direction, channel] = ChannelCalibration(direction, channel, level)
    order = {d: i for i, d in enumerate(DIRECTIONS)}
    return tuple(sorted(entries.values(), key=lambda c: (order[c.direction], c.channel)))


def _units(path: Path, raw: list[Any], loops: tuple[InsertLoop, ...]) -> tuple[Unit, ...]:
    units: list[Unit] = []
    taken: dict[tuple[str, ...], str] = {}
    filled: dict[str, int] = {}
    for index, item in enumerate(raw):
        table = Table(path, _where("unit", index, item), item)
        name = table.name("name")
        _unique(table, name, [unit.name for unit in units], "unit")
        profile = table.line("profile",
                             "a shipped profile's key or a .toml file (relative to this file)")
        address = table.line("address", "an address such as midi:PORT?channel=N, "
                             "serial:PATH, manual: or emulated:")
        loop = table.get("loop", lambda v: isinstance(v, str), "a loop's name", None)
        table.finish()
        if loop is not None and loop not in {lp.name for lp in loops}:
            raise StudioError(f"{path}: {table.where}key 'loop' names no loop "
                              f"(loops: {_names(loops)})")
        identity = address_identity(address)
        if identity is not None:
            owner = taken.setdefault(identity, name)
            if owner != name:
                raise StudioError(f"{path}: {table.where}key 'address' {address!r} reaches the "
                                  f"same unit as unit '{owner}'; one physical unit cannot be "
                                  "two units")
        position = None
        if loop is not None:
            position = filled[loop] = filled.get(loop, 0) + 1
        units.append(Unit(name=name, profile=profile, address=address, loop=loop,
                          position=position))
    return tuple(units)


def address_identity(address: str) -> tuple[str, ...] | None:
    """What makes an address one physical unit, as written (None for manual: and emulated:).

    The scheme, the port or device, and the channel and device id; the baud rate and the MIDI
    API do not tell units apart. Defaults from a unit's profile are not applied here.
    """
    scheme, _, rest = address.partition(":")
    if scheme in SHARED_SCHEMES:
        return None
    if "://" in rest and "?" in rest.split("://", 1)[1]:
        target, _, query = rest.rpartition("?")
    else:
        target, _, query = rest.partition("?")
    options = dict(parse_qsl(query, keep_blank_values=True))
    return (scheme, target, *(f"{k}={options[k]}" for k in _IDENTITY_OPTIONS if k in options))


# ---------------------------------------------------------------------------- output


def studio_dict(studio: Studio) -> dict[str, Any]:
    """The studio as plain JSON-ready data; :func:`studio_from_dict` reads it back."""
    return {
        "spec": SPEC_VERSION,
        "name": studio.name,
        "interface": {"host_api": studio.interface.host_api, "device": studio.interface.device,
                      "sample_rate": studio.sample_rate,
                      "buffer_frames": studio.buffer_frames},
        "loops": [{"name": lp.name, "outputs": list(lp.outputs), "inputs": list(lp.inputs),
                   "send_trim_db": lp.send_trim_db, "return_trim_db": lp.return_trim_db}
                  for lp in studio.loops],
        "calibration": [{"direction": c.direction, "channel": c.channel,
                         "dbfs_at_plus4_dbu": c.dbfs_at_plus4_dbu} for c in studio.calibration],
        "units": [{"name": u.name, "profile": u.profile, "address": u.address,
                   "loop": u.loop, "position": u.position} for u in studio.units],
    }


def fingerprint(studio: Studio) -> str:
    """sha256 (hex) of the studio's canonical JSON.

    Stable across key order, calibration order, the order of loops and of units outside a
    loop, and the file's location; it changes when any setting, name, address or a loop's
    chain order changes.
    """
    document = studio_dict(studio)
    document["loops"].sort(key=lambda lp: lp["name"])
    document["units"].sort(key=lambda u: (u["loop"] is not None, u["loop"] or "",
                                          u["position"] or 0, u["name"]))
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True,
                           allow_nan=False)
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


# ---------------------------------------------------------------------------- reading tables


def _unique(table: Table, name: str, earlier: list[str], noun: str) -> None:
    clash = next((n for n in earlier if n.casefold() == name.casefold()), None)
    if clash is not None:
        same = "" if clash == name else f" (as '{clash}'; names ignore case)"
        raise StudioError(f"{table.path}: {table.where}key 'name': another {noun} already has "
                          f"this name{same}; give each {noun} its own")


def _where(noun: str, index: int, item: Any) -> str:
    name = item.get("name") if isinstance(item, dict) else None
    return f"{noun} {shown(name)}: " if isinstance(name, str) else f"{noun} #{index + 1}: "


def _names(items: tuple[Any, ...]) -> str:
    return ", ".join(item.name for item in items) or "none"


def _count(n: int) -> str:
    return f"{n} channel{'' if n == 1 else 's'}"
