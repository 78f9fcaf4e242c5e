"""Importing a midi.guide chart: parameters kept, junk rows left out, the draft loads."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from devices.errors import ProfileError
from devices.importer import import_midi_guide
from devices.loader import profile_from_document

CHART = Path(__file__).parent / "data" / "analog-heat-mkii.csv"


def test_chart_becomes_a_profile() -> None:
    result = import_midi_guide(CHART)
    profile = profile_from_document(tomllib.loads(result.toml), Path("heat.toml"))
    ids = [p.id for p in profile.parameters]
    assert ids == ["drive", "wet_level", "eq_high", "vcf_frequency_pan", "circuit",
                   "preset_volume"]
    drive = profile.parameter("drive")
    assert (drive.midi.type, drive.midi.msb, drive.midi.lsb) == ("cc14", 12, 37)
    eq_high = profile.parameter("eq_high")
    assert eq_high.centre == 8192.0 and eq_high.midi.wire_centre == 8192
    assert profile.parameter("preset_volume").default == 100.0
    assert profile.verified is False and profile.sections[0] == "Distortion"
    assert len(result.skipped) == 3
    assert any("ACTIVE MODE 13" in s and "text from the manual" in s for s in result.skipped)
    assert any("CC 12:37 is already used" in s for s in result.skipped)


def test_headerless_chart(tmp_path: Path) -> None:
    path = tmp_path / "h9.csv"
    path.write_text("Eventide,H9,,Bypass,,11,,0,127,,,,,,,0-based,,\n"
                    "Eventide,H9,,Tuner,,13,,0,127,,,,,,,0-based,,\n")
    result = import_midi_guide(path)
    assert result.parameters == 2 and "model = \"H9\"" in result.toml


def test_nrpn_rows(tmp_path: Path) -> None:
    path = tmp_path / "heat1.csv"
    path.write_text("Elektron,Analog Heat,,Drive,,,,,,,0,12,0,16383,,0-based,,\n")
    result = import_midi_guide(path)
    assert 'type = "nrpn"' in result.toml and "bits = 14" in result.toml


def test_a_file_with_nothing_usable(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("a,b,,c\n")
    with pytest.raises(ProfileError, match="no row carries a usable CC or NRPN number"):
        import_midi_guide(path)
