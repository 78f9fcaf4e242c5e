"""Diffs between revisions: the chain, every control, routing and calibration, the notes."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from recall.diff import diff_dict, diff_lines, diff_revisions
from recall.library import Library
from tui.cli import main

SONG = "Night Drive/Opener"


def test_every_kind_of_change_between_two_revisions(album: Library) -> None:
    a, b = album.revision(SONG, 1), album.revision(SONG, 2)
    diff = diff_revisions(SONG, a, b, album.notes(SONG))
    changes = {(c.unit, c.change): (c.old_position, c.new_position) for c in diff.units}
    assert changes == {("System 6000", "moved"): (3, 1), ("System 6000", "bypassed"): (3, 1),
                       ("Stepped EQ", "added"): (None, 4)}
    boost = diff.changed("Pultec", "low_boost")
    assert boost is not None and (boost.old, boost.new, boost.delta) == (3.0, 4.5, 1.5)
    freq = diff.changed("Pultec", "low_freq")
    assert freq is not None and (freq.old_text, freq.new_text) == ("60 Hz", "100 Hz")
    bypass = diff.changed("Serial EQ", "bypass")
    assert bypass is not None and bypass.delta is None
    assert (bypass.old_text, bypass.new_text) == ("in", "bypassed")
    # Unchanged controls are not listed; every control of the new unit is.
    assert diff.changed("Pultec", "high_boost") is None
    assert diff.changed("System 6000", "fader_1") is None
    added = [c for c in diff.parameters if c.unit == "Stepped EQ"]
    assert len(added) == len(b.unit("Stepped EQ").settings)
    assert all(c.old is None for c in added)
    assert [n.body for n in diff.notes_opened] == ["Love the new low end"]
    assert [n.body for n in diff.notes_addressed] == ["Kick feels soft in the chorus"]
    assert not diff.routing and not diff.calibration


def test_a_removed_unit_and_the_reverse_direction(album: Library) -> None:
    album.new_revision(SONG)
    album.remove_unit(SONG, 3, "Pultec")
    diff = diff_revisions(SONG, album.revision(SONG, 2), album.revision(SONG, 3))
    assert [(c.unit, c.change) for c in diff.units] == [("Pultec", "removed")]
    assert {c.new for c in diff.parameters} == {None}
    back = diff_revisions(SONG, album.revision(SONG, 2), album.revision(SONG, 1))
    assert ("Stepped EQ", "removed") in {(c.unit, c.change) for c in back.units}


def test_routing_and_calibration_changes(album: Library) -> None:
    a = album.revision(SONG, 1)
    calibration = [dict(e) for e in a.calibration]
    calibration[0]["dbfs_at_plus4_dbu"] = -20.0
    routing = json.loads(json.dumps(a.routing))
    routing["units"][0]["loop"] = "B"
    b = replace(a, number=2, calibration=calibration, routing=routing)
    diff = diff_revisions(SONG, a, b)
    assert [(c.key, c.old, c.new) for c in diff.calibration] == [("output 3", -18.0, -20.0)]
    assert [(c.key, c.old, c.new) for c in diff.routing] == [
        ("units.Serial EQ.loop", "A", "B")]
    assert not diff.empty


def test_an_identical_revision_has_no_changes(album: Library) -> None:
    album.new_revision(SONG)
    diff = diff_revisions(SONG, album.revision(SONG, 2), album.revision(SONG, 3))
    assert diff.empty
    assert diff_lines(diff)[-1] == "  no changes"


def test_the_diff_command(album: Library, capsys: pytest.CaptureFixture[str]) -> None:
    library = str(album.path)
    assert main(["diff", SONG, "1", "2", "--library", library]) == 0
    text = capsys.readouterr().out
    assert "moved      System 6000 3 → 1" in text
    assert "Low Boost                3 → 4.5  (+1.5)" in text
    assert "Stepped EQ (new):" in text and "Low Shelf Gain (L)       1.5" in text
    assert "#1 @1:02.5 [reaction, artist] Kick feels soft in the chorus" in text
    assert main(["diff", SONG, "1", "2", "--library", library, "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document == diff_dict(diff_revisions(SONG, album.revision(SONG, 1),
                                                album.revision(SONG, 2), album.notes(SONG)))
    # With no revisions named: the latest against its parent.
    assert main(["diff", SONG, "--library", library, "--json"]) == 0
    assert (lambda d: (d["a"], d["b"]))(json.loads(capsys.readouterr().out)) == (1, 2)


def test_the_diff_command_refuses_an_unknown_revision(album: Library, capsys) -> None:
    assert main(["diff", SONG, "1", "9", "--library", str(album.path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Night Drive/Opener has no revision 9 (revisions: 1, 2)" in err


def test_a_changed_profile_keeps_the_old_sheet_right(album: Library, tmp_path: Path) -> None:
    """The frozen definitions, not today's profile file, label the old values."""
    a = album.revision(SONG, 1)
    pultec = a.unit("Pultec")
    renamed = {**pultec.definitions,
               "low_freq": {**pultec.definitions["low_freq"], "detents": [
                   {"label": "sixty", "value": 60.0}, {"label": "hundred", "value": 100.0}]}}
    b = replace(a, number=2, chain=tuple(
        replace(u, definitions=renamed, settings={**u.settings, "low_freq": 100.0})
        if u.unit == "Pultec" else u for u in a.chain))
    change = diff_revisions(SONG, a, b).changed("Pultec", "low_freq")
    assert change is not None and (change.old_text, change.new_text) == ("60 Hz", "hundred")
