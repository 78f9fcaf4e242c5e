"""A five-unit chain to recall (two MIDI units, one serial, two manual), its studio file, and
the emulated units that stand in for the gear: in memory, or on JACK MIDI and a pseudo-terminal."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from controller.chain import definitions
from controller.recall_engine.plan import UnitPlan
from devices.codec import Address
from devices.emulator import EmulatedUnit, Misbehaviour
from devices.loader import find_profile, load_profile
from devices.profile import Profile
from devices.transport import MemoryTransport, SpyTransport
from devices.transport.base import Transport
from recall.library import Library
from recall.studio import Studio, load_studio

DATA = Path(__file__).parent / "data"
SONG = "Night Drive/Opener"
FADERS, COMP, SERIAL, PULTEC, STEPPED = "Faders", "Comp", "Serial EQ", "Pultec", "Stepped EQ"

# The revision to recall: every unit away from its defaults.
SETTINGS: dict[str, dict[str, float]] = {
    FADERS: {"preset": 2.0, **{f"fader_{i}": -12.0 + i for i in range(1, 13)}},
    COMP: {"threshold": -18.5, "ratio": 4.0, "attack": 10.0, "link": 1.0},
    SERIAL: {"gain": -3.5, "frequency": 4000.0, "bypass": 0.0},
    PULTEC: {"low_freq": 100.0, "low_boost": 4.5, "high_freq": 12000.0},
    STEPPED: {"low_gain_l": 1.5, "low_gain_r": 1.5},
}


def profile_of(unit: str) -> Profile:
    return {FADERS: load_profile(DATA / "motor-faders.toml"),
            COMP: load_profile(DATA / "dump-compressor.toml"),
            SERIAL: find_profile("generic-serial-ascii"),
            PULTEC: find_profile("pultec-eqp-1a"),
            STEPPED: find_profile("stepped-mastering-eq")}[unit]


def studio_text(addresses: dict[str, str], name: str = "Test Room") -> str:
    """A studio file with the five units at ``addresses`` (the manual ones at manual:)."""
    profiles = {FADERS: str(DATA / "motor-faders.toml"),
                COMP: str(DATA / "dump-compressor.toml"),
                SERIAL: "generic-serial-ascii", PULTEC: "pultec-eqp-1a",
                STEPPED: "stepped-mastering-eq"}
    text = (f'spec = 1\n[studio]\nname = "{name}"\n[interface]\n'
            'host_api = "JACK Audio Connection Kit"\ndevice = "system"\nsample_rate = 48000\n'
            'buffer_frames = 256\n[[loop]]\nname = "A"\noutputs = [1, 2]\ninputs = [1, 2]\n')
    for unit, profile in profiles.items():
        text += (f'[[unit]]\nname = "{unit}"\nprofile = "{profile}"\n'
                 f'address = "{addresses.get(unit, "manual:")}"\nloop = "A"\n')
    return text


def write_studio(folder: Path, addresses: dict[str, str], name: str = "Test Room") -> Studio:
    path = folder / f"{name.replace(' ', '-').lower()}.toml"
    path.write_text(studio_text(addresses, name))
    return load_studio(path)


def build_song(library: Library, studio: Studio | None = None) -> None:
    """Revision 1 of the song with the five-unit chain, and revision 2 with a few changes."""
    library.new_session("Night Drive", artist="The Band")
    library.add_song("Night Drive", "Opener")
    library.new_revision(SONG, studio=studio)
    for unit, settings in SETTINGS.items():
        profile = profile_of(unit)
        library.add_unit(SONG, 1, unit, profile=profile.key, definitions=definitions(profile),
                         settings=settings)


@dataclass
class Rig:
    """Emulated units in memory, reached through spy transports that log every byte."""

    units: dict[str, EmulatedUnit]
    transports: dict[str, SpyTransport]

    def opener(self, plan: UnitPlan) -> Transport:
        spy = SpyTransport(MemoryTransport(self.units[plan.unit],
                                           kind=self.units[plan.unit].profile.control))
        spy.open()
        self.transports[plan.unit] = spy
        return spy


def memory_rig(faults: dict[str, Misbehaviour] | None = None) -> Rig:
    units = {}
    for name in (FADERS, COMP, SERIAL):
        profile = profile_of(name)
        midi = profile.midi
        address = Address(channel=midi.channel if midi else 1,
                          device_id=midi.device_id if midi else 0)
        units[name] = EmulatedUnit(profile, address=address, seed=7)
    for name, behaviour in (faults or {}).items():
        units[name].misbehaviour = behaviour
    return Rig(units, {})


@pytest.fixture
def library(tmp_path: Path) -> Iterator[Library]:
    with Library(tmp_path / "library.sqlite") as lib:
        yield lib


@pytest.fixture
def studio(tmp_path: Path) -> Studio:
    return write_studio(tmp_path, {FADERS: "emulated:?channel=1&device_id=16",
                                   COMP: "emulated:?channel=2&device_id=5",
                                   SERIAL: "emulated:"})
