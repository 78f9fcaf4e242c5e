"""An album in a real library file, as the diff, sheet and archive tests need one: two songs,
two revisions each with a chain of shipped profiles, differences, notes and a photo."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from controller.chain import definitions
from devices.loader import find_profile
from recall.library import Library
from recall.studio import load_studio

STUDIO = Path(__file__).parents[2] / "config" / "studio.example.toml"


def png(path: Path, colour: tuple[int, int, int] = (200, 40, 40)) -> Path:
    """A real 4×4 PNG of one colour."""
    raw = b"".join(b"\x00" + bytes(colour) * 4 for _ in range(4))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 4, 8, 2,
                                                                      0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    return path


def add(library: Library, song: str, number: int, unit: str, profile: str,
        **settings: float) -> None:
    found = find_profile(profile)
    library.add_unit(song, number, unit, profile=found.key, definitions=definitions(found),
                     settings=settings)


def build_album(library: Library, photo_folder: Path) -> None:
    """"Night Drive" by The Band: "Opener" with revisions 1 (printed) and 2, "Closer" with 1."""
    studio = load_studio(STUDIO)
    library.new_session("Night Drive", artist="The Band", notes="Vinyl and streaming masters")
    library.add_song("Night Drive", "Opener", targets=("spotify", "apple-music"))
    library.add_song("Night Drive", "Closer")
    song = "Night Drive/Opener"
    library.new_revision(song, studio=studio)
    add(library, song, 1, "Serial EQ", "generic-serial-ascii", gain=1.5, frequency=4000.0)
    add(library, song, 1, "Pultec", "pultec-eqp-1a", low_freq=60.0, low_boost=3.0)
    add(library, song, 1, "System 6000", "tc-system-6000-faders", fader_1=-3.0)
    library.attach(song, 1, png(photo_folder / "pultec-front.png"), unit="Pultec",
                   caption="Pultec front panel")
    library.add_note(song, "Kick feels soft in the chorus", kind="reaction", author="artist",
                     revision=1, at_seconds=62.5)
    library.add_note(song, "Sibilance on the second verse", kind="technical",
                     author="engineer", revision=1, at_seconds=95.0)
    library.record_print(song, 1, path="prints/opener-r1-t1.wav", sha256="0" * 64)
    library.new_revision(song)
    library.set_values(song, 2, "Pultec", {"low_boost": 4.5, "low_freq": 100.0})
    library.set_values(song, 2, "Serial EQ", {"bypass": 1.0})
    library.set_bypass(song, 2, "System 6000", True)
    library.move_unit(song, 2, "System 6000", 1)
    add(library, song, 2, "Stepped EQ", "stepped-mastering-eq", low_gain_l=1.5, low_gain_r=1.5)
    library.resolve_note(1, addressed_in=2)
    library.add_note(song, "Love the new low end", kind="reaction", author="artist",
                     revision=2, at_seconds=63.0)
    library.new_revision("Night Drive/Closer", studio=studio)
    add(library, "Night Drive/Closer", 1, "Pultec", "pultec-eqp-1a", high_boost=2.0)


@pytest.fixture
def album(tmp_path: Path) -> Iterator[Library]:
    """A library holding the album of :func:`build_album`."""
    library = Library(tmp_path / "library.sqlite")
    photos = tmp_path / "photos"
    photos.mkdir()
    build_album(library, photos)
    yield library
    library.close()
