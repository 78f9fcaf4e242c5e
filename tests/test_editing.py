"""Editing a chain, headless: stepping controls, the chain as the Rack shows it, and edits
landing in a real library file (the demo album)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from controller.demo import build_demo
from controller.editing import (
    MoveUnit,
    RemoveUnit,
    SetBypass,
    SetValue,
    TypeValue,
    add_unit_edit,
    addable_units,
    apply_edit,
    chain_view,
    load_chain_view,
    moved_to,
    position_text,
    preview,
    range_text,
    start_revision,
    step,
    typed_value,
)
from recall.errors import LibraryError
from recall.library import Library
from recall.studio import Studio

SONG = "Night Drive/Opener"
BOOST = {"name": "Low Boost", "section": "Low Frequency", "kind": "continuous", "unit": "",
         "default": 0.0, "min": 0.0, "max": 10.0, "resolution": 0.1}
FREQ = {"name": "Low Frequency", "section": "Low Frequency", "kind": "stepped", "unit": "Hz",
        "default": 60.0, "detents": [{"label": f"{v} Hz", "value": float(v)}
                                     for v in (20, 30, 60, 100)]}
SWITCH = {"name": "EQ In/Out", "kind": "switch", "default": 1.0, "labels": ["out", "in"]}


@pytest.fixture
def demo(tmp_path: Path) -> tuple[Path, Studio]:
    return build_demo(tmp_path / "demo", mixes=False)


def test_a_continuous_control_steps_on_its_resolution_grid_within_its_range() -> None:
    assert step(BOOST, 4.5, 1) == 4.6  # no float residue: 4.6, not 4.6000000000000005
    assert step(BOOST, 4.5, -1) == 4.4
    assert step(BOOST, 4.5, 10) == 5.5
    assert step(BOOST, 4.55, 1) == 4.6 and step(BOOST, 4.55, -1) == 4.5  # onto the grid
    assert step(BOOST, 9.95, 1) == 10.0 and step(BOOST, 10.0, 1) == 10.0
    assert step(BOOST, 0.0, -1) == 0.0
    assert step(BOOST, None, 1) == 0.1  # a missing value starts from the default


def test_without_a_resolution_a_step_is_a_hundredth_of_the_range() -> None:
    fader = {"kind": "continuous", "min": -80.0, "max": 20.0, "default": 0.0}
    assert step(fader, 0.0, 1) == 1.0
    assert step(fader, -80.0, -1) == -80.0
    assert step({**fader, "resolution": None}, 0.0, -3) == -3.0


def test_stepped_controls_move_between_detents_and_options_between_labels() -> None:
    assert step(FREQ, 60.0, 1) == 100.0
    assert step(FREQ, 60.0, -1) == 30.0
    assert step(FREQ, 100.0, 1) == 100.0 and step(FREQ, 20.0, -5) == 20.0
    assert step(FREQ, 55.0, 1) == 100.0  # off every detent: from the nearest one
    assert step(SWITCH, 1.0, 1) == 1.0 and step(SWITCH, 1.0, -1) == 0.0
    choice = {"kind": "choice", "labels": ["a", "b", "c"]}
    assert step(choice, 0.0, 5) == 2.0


def test_positions_ranges_and_typed_values() -> None:
    assert position_text(FREQ, 60.0) == "position 3 of 4"
    assert position_text(FREQ, 61.0) == "" and position_text(BOOST, 1.0) == ""
    assert range_text(BOOST) == "0 to 10, steps of 0.1"
    assert range_text(FREQ) == "detents: 20 Hz, 30 Hz, 60 Hz, 100 Hz"
    assert range_text(SWITCH) == "options: out (0), in (1)"
    assert typed_value(FREQ, "Pultec", "low_freq", "30 Hz") == 30.0
    assert typed_value(BOOST, "Pultec", "low_boost", " 7.5 ") == 7.5
    assert typed_value(SWITCH, "Pultec", "eq_in", "out") == 0.0
    with pytest.raises(LibraryError, match="outside 0 to 10"):
        typed_value(BOOST, "Pultec", "low_boost", "11")
    with pytest.raises(LibraryError, match="neither a number"):
        typed_value(BOOST, "Pultec", "low_boost", "loud")
    with pytest.raises(LibraryError, match="not one of its detents"):
        typed_value(FREQ, "Pultec", "low_freq", "45")


def test_the_chain_view_groups_by_section_and_marks_changes_since_the_parent(
        demo: tuple[Path, Studio]) -> None:
    path, studio = demo
    with Library(path) as library:
        view = load_chain_view(library, SONG, 2, studio=studio)
        first = load_chain_view(library, SONG, 1, studio=studio)
    assert [u.unit for u in view.units] == ["Finalizer", "System 6000", "Serial EQ", "Pultec",
                                            "Stepped EQ"]
    pultec = view.unit("Pultec")
    assert [s.title for s in pultec.sections] == ["Low Frequency", "High Boost", "High Atten",
                                                  "Main"]
    marks = {(c.unit, c.parameter): c.mark for u in view.units for c in u.controls if c.mark}
    assert marks == {("Pultec", "low_boost"): "● was 3", ("Pultec", "low_freq"): "● was 60 Hz",
                     ("Serial EQ", "gain"): "● was -1.5 dB"}
    freq = pultec.sections[0].controls[0]
    assert (freq.text, freq.position) == ("100 Hz", "position 4 of 4")
    assert view.summary == (f"{SONG} · rev 2 (from rev 1) · draft · editable · "
                            "studio Demo Room · 3 changes since rev 1")
    assert not any(c.mark for u in first.units for c in u.controls)  # no parent to compare
    assert "rev 1 · draft" in first.summary and "since" not in first.summary


def test_a_unit_new_since_the_parent_is_marked_as_a_whole(
        demo: tuple[Path, Studio]) -> None:
    path, _ = demo
    with Library(path) as library:
        first, second = library.revision(SONG, 1), library.revision(SONG, 2)
    view = chain_view(SONG, second, replace(first, chain=first.chain[:-1]))
    stepped = view.unit("Stepped EQ")
    assert stepped.marks == ("new since rev 1",)
    assert not any(c.mark for c in stepped.controls)
    assert view.summary.endswith("4 changes since rev 1")


def test_a_preview_shows_an_edit_before_the_library_has_it(
        demo: tuple[Path, Studio]) -> None:
    path, studio = demo
    with Library(path) as library:
        view = load_chain_view(library, SONG, 2, studio=studio)
    back = preview(view, SetValue("Pultec", "low_boost", 3.0))
    assert back.unit("Pultec").controls[1].mark == ""  # back where the parent had it
    assert "2 changes" in back.summary
    moved = preview(view, MoveUnit("Pultec", 1))
    assert [u.unit for u in moved.units][:2] == ["Pultec", "Finalizer"]
    assert moved.unit("Pultec").marks == ("moved from 4",)
    assert preview(view, SetBypass("Serial EQ", True)).unit("Serial EQ").marks == (
        "bypassed since rev 1",)
    assert [u.unit for u in preview(view, RemoveUnit("Finalizer")).units][0] == "System 6000"
    assert preview(view, TypeValue("Pultec", "low_boost", "5")) is view
    assert moved_to(view, "Finalizer", -1) is None and moved_to(view, "Finalizer", 1) == 2
    assert moved_to(view, "Stepped EQ", 1) is None


def test_edits_land_in_the_library(demo: tuple[Path, Studio]) -> None:
    path, studio = demo
    with Library(path) as library:
        assert apply_edit(library, SONG, 2, SetValue("Pultec", "low_boost", 4.6)) == 2
        apply_edit(library, SONG, 2, TypeValue("Serial EQ", "frequency", "1 kHz"))
        apply_edit(library, SONG, 2, SetBypass("Pultec", True))
        apply_edit(library, SONG, 2, MoveUnit("Pultec", 1))
        apply_edit(library, SONG, 2, RemoveUnit("Stepped EQ"))
        revision = library.revision(SONG, 2)
        assert revision.unit("Pultec").settings["low_boost"] == 4.6
        assert revision.unit("Pultec").bypassed
        assert revision.unit("Serial EQ").settings["frequency"] == 1000.0
        assert [u.unit for u in revision.chain] == ["Pultec", "Finalizer", "System 6000",
                                                    "Serial EQ"]
        view = load_chain_view(library, SONG, 2, studio=studio)
        [missing] = addable_units(studio, view)
        assert missing.name == "Stepped EQ"
        apply_edit(library, SONG, 2, add_unit_edit(studio, missing, position=2))
        revision = library.revision(SONG, 2)
        assert [u.unit for u in revision.chain][:2] == ["Pultec", "Stepped EQ"]
        assert revision.unit("Stepped EQ").settings["low_freq_l"] == 60.0  # its defaults
        assert addable_units(None, view) == ()


def test_a_refused_typed_value_changes_nothing(demo: tuple[Path, Studio]) -> None:
    path, _ = demo
    with Library(path) as library:
        library.record_print(SONG, 2, path="x.wav", sha256="0" * 64)
        with pytest.raises(LibraryError, match="outside"):
            apply_edit(library, SONG, 2, TypeValue("Pultec", "low_boost", "12"), fork=True)
        assert [r.number for r in library.revisions(SONG)] == [1, 2]  # no revision started
        assert library.revision(SONG, 2).unit("Pultec").settings["low_boost"] == 4.5


def test_a_printed_revision_is_changed_by_starting_a_new_one(
        demo: tuple[Path, Studio]) -> None:
    path, studio = demo
    with Library(path) as library:
        library.record_print(SONG, 2, path="x.wav", sha256="0" * 64)
        with pytest.raises(LibraryError, match="frozen"):
            apply_edit(library, SONG, 2, SetValue("Pultec", "low_boost", 5.0))
        assert apply_edit(library, SONG, 2, SetValue("Pultec", "low_boost", 5.0),
                          fork=True) == 3
        assert library.revision(SONG, 2).unit("Pultec").settings["low_boost"] == 4.5
        new = library.revision(SONG, 3)
        assert (new.parent_number, new.status, new.frozen) == (2, "draft", False)
        assert new.unit("Pultec").settings["low_boost"] == 5.0
        assert start_revision(library, SONG, 1) == 4
        assert library.revision(SONG, 4).unit("Pultec").settings["low_boost"] == 3.0
        view = load_chain_view(library, SONG, 2, studio=studio)
        assert "rev 2 (from rev 1) · printed · frozen · studio" in view.summary and view.frozen


def test_a_revision_made_in_another_setup_says_so(demo: tuple[Path, Studio]) -> None:
    path, studio = demo
    moved = replace(studio, units=studio.units[:-1])
    with Library(path) as library:
        view = load_chain_view(library, SONG, 2, studio=moved)
        assert "studio Demo Room (not as set up now)" in view.summary
        bare = chain_view(SONG, library.revision(SONG, 1), None)
    assert "no studio recorded" in bare.summary
