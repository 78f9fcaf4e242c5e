"""The demo: an emulated studio (two MIDI units, one serial, two set by hand, all of shipped
profiles) and an album of three songs with generated mixes, two revisions each, differences
and notes, so that every part of Outboard has something real to show."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import soundfile as sf

from devices.codec import Address
from devices.emulator import EmulatedUnit
from devices.loader import find_profile
from devices.transport import MemoryTransport, parse_address
from devices.transport.address import unit_address
from devices.transport.base import Transport
from recall.library import Library
from recall.records import Revision
from recall.studio import Studio, Unit, load_studio

from .chain import definitions
from .recall_engine.plan import UnitPlan
from .signals import music_like
from .sources import source_record

SESSION, ARTIST = "Night Drive", "The Demo Band"
MIX_SECONDS, MIX_RATE = 20.0, 48_000

# name, profile, address, loop
UNITS = (
    ("Finalizer", "tc-finalizer-96k", "emulated:?channel=1", "A"),
    ("System 6000", "tc-system-6000-faders", "emulated:?channel=2", "A"),
    ("Serial EQ", "generic-serial-ascii", "emulated:", "A"),
    ("Pultec", "pultec-eqp-1a", "manual:", "A"),
    ("Stepped EQ", "stepped-mastering-eq", "manual:", "A"),
)

# Each song: its revision 1 settings, what revision 2 changed, and the conversation.
SONGS = {
    "Opener": (
        {"Pultec": {"low_freq": 60.0, "low_boost": 3.0, "high_freq": 10000.0,
                    "high_boost": 2.0},
         "Stepped EQ": {"low_gain_l": 1.0, "low_gain_r": 1.0, "high_gain_l": 1.5,
                        "high_gain_r": 1.5},
         "Serial EQ": {"gain": -1.5, "frequency": 4000.0},
         "System 6000": {"fader_1": -3.0, "fader_2": -3.0}},
        {"Pultec": {"low_boost": 4.5, "low_freq": 100.0}, "Serial EQ": {"gain": -2.5}},
        (("Kick feels soft in the chorus", "reaction", "artist", 62.5, True),
         ("Sibilance on the second verse", "technical", "engineer", 95.0, True),
         ("Love the new low end", "reaction", "artist", 63.0, False)),
    ),
    "Slow Burn": (
        {"Pultec": {"low_freq": 30.0, "low_boost": 2.0, "bandwidth": 6.0},
         "Stepped EQ": {"high_pass_l": 20.0, "high_pass_r": 20.0},
         "Serial EQ": {"gain": 0.5, "frequency": 10000.0},
         "System 6000": {"fader_1": -6.0}},
        {"Stepped EQ": {"high_gain_l": 1.0, "high_gain_r": 1.0},
         "System 6000": {"fader_1": -4.5}},
        (("Can the vocal sit a little further forward?", "request", "artist", 41.0, True),
         ("Tape hiss audible in the intro fade", "technical", "engineer", 3.5, False)),
    ),
    "Closer": (
        {"Pultec": {"high_freq": 12000.0, "high_boost": 3.0, "atten_select": 10000.0,
                    "high_atten": 1.0},
         "Stepped EQ": {"low_mid_gain_l": -1.0, "low_mid_gain_r": -1.0},
         "Serial EQ": {"gain": -3.0, "frequency": 250.0},
         "System 6000": {"fader_1": -2.0, "fader_2": -2.0}},
        {"Pultec": {"high_boost": 2.0}, "Serial EQ": {"bypass": 1.0}},
        (("The last chorus should lift more", "request", "artist", 151.0, True),
         ("This is the one. Goosebumps at the key change.", "reaction", "engineer", 133.0,
          False)),
    ),
}


@dataclass
class DemoRack:
    """The emulated units of the demo studio, each kept alive across recalls, reached
    through in-memory transports that speak the units' real protocol bytes."""

    studio: Studio
    units: dict[str, EmulatedUnit] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for unit in self.studio.units:
            if unit.scheme != "emulated":
                continue
            profile = find_profile(unit.profile)
            address = unit_address(parse_address(unit.address), profile)
            self.units[unit.name] = EmulatedUnit(profile, address=Address(
                channel=address.channel, device_id=address.device_id))

    def unit_values(self, revision: Revision) -> Callable[[Unit], Mapping[str, float] | None]:
        """What the simulated loop hears: an emulated unit as its state stands (what the last
        recall left there), a manual one as the revision says it was set by hand."""

        def values(unit: Unit) -> Mapping[str, float] | None:
            chain_unit = next((c for c in revision.chain if c.unit == unit.name), None)
            if chain_unit is None or chain_unit.bypassed:
                return None
            emulated = self.units.get(unit.name)
            if emulated is None:
                return chain_unit.settings
            return {p.id: emulated.value(p.id) for p in emulated.profile.parameters}

        return values

    def opener(self, plan: UnitPlan) -> Transport:
        """The recall engine's opener: the emulated unit standing in for ``plan``."""
        name = plan.studio_unit or plan.unit
        unit = self.units[name]
        transport = MemoryTransport(unit, kind=unit.profile.control)
        transport.open()
        return transport


def studio_text() -> str:
    text = ('# The demo studio: emulated units Outboard starts for itself, in one insert loop\n'
            '# that Outboard simulates (no audio interface needed).\nspec = 1\n'
            '[studio]\nname = "Demo Room"\n[interface]\nhost_api = "simulated"\n'
            'sample_rate = 48000\nbuffer_frames = 256\n'
            '[[loop]]\nname = "A"\noutputs = [1, 2]\ninputs = [1, 2]\n'
            '[[calibration]]\ndirection = "output"\nchannels = [1, 2]\n'
            'dbfs_at_plus4_dbu = -18.0\n'
            '[[calibration]]\ndirection = "input"\nchannels = [1, 2]\n'
            'dbfs_at_plus4_dbu = -18.0\n')
    for name, profile, address, loop in UNITS:
        text += (f'[[unit]]\nname = "{name}"\nprofile = "{profile}"\naddress = "{address}"\n'
                 f'loop = "{loop}"\n')
    return text


def build_demo(folder: Path, *, mixes: bool = True) -> tuple[Path, Studio]:
    """A demo library and studio file in ``folder``; returns the library's path and the
    studio. ``mixes`` writes the three songs' generated mixes now (about half a second);
    without, :func:`write_mixes` does it later (the app runs it once it has painted)."""
    folder.mkdir(parents=True, exist_ok=True)
    studio_path = folder / "demo-studio.toml"
    studio_path.write_text(studio_text(), encoding="utf-8")
    studio = load_studio(studio_path)
    library_path = folder / "library.sqlite"
    with Library(library_path) as library:
        library.new_session(SESSION, artist=ARTIST, notes="The demo album")
        for title, (first, second, notes) in SONGS.items():
            song = f"{SESSION}/{title}"
            library.add_song(SESSION, title, targets=("spotify", "apple-music"))
            library.new_revision(song, studio=studio)
            for name, profile_key, _, _ in UNITS:
                profile = find_profile(profile_key)
                library.add_unit(song, 1, name, profile=profile.key,
                                 definitions=definitions(profile),
                                 settings=first.get(name, {}))
            opened = [library.add_note(song, body, kind=kind, author=author, revision=1,
                                       at_seconds=at)
                      for body, kind, author, at, _ in notes[:-1]]
            library.new_revision(song)
            for name, values in second.items():
                library.set_values(song, 2, name, values)
            for note, (_, _, _, _, addressed) in zip(opened, notes, strict=False):
                if addressed:
                    library.resolve_note(note.id, addressed_in=2)
            body, kind, author, at, _ = notes[-1]
            library.add_note(song, body, kind=kind, author=author, revision=2, at_seconds=at)
    if mixes:
        write_mixes(folder, library_path)
    return library_path, studio


def write_mixes(folder: Path, library_path: Path) -> None:
    """Generate each demo song's mix (a 24-bit WAV) and record it as the song's source."""
    with Library(library_path) as library:
        for index, title in enumerate(SONGS, start=1):
            mix = folder / f"{index:02d} {title}.wav"
            partial = mix.with_name(mix.name + ".partial")
            sf.write(str(partial), music_like(duration_s=MIX_SECONDS, sample_rate=MIX_RATE,
                                              seed=index), MIX_RATE, subtype="PCM_24",
                     format="WAV")
            partial.replace(mix)
            library.set_song(f"{SESSION}/{title}", source=source_record(mix))
