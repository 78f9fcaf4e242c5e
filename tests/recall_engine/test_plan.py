"""Recall plans: remote, manual and unavailable units, order of messages, other studios."""

from __future__ import annotations

from pathlib import Path

import pytest

from controller.recall_engine.plan import MANUAL, REMOTE, UNAVAILABLE, RecallError
from controller.recall_engine.session import plan_for
from recall.library import Library
from recall.studio import Studio

from .conftest import (
    COMP,
    FADERS,
    PULTEC,
    SERIAL,
    SETTINGS,
    SONG,
    STEPPED,
    build_song,
    write_studio,
)


def test_a_plan_sorts_units_into_remote_and_manual(library: Library, studio: Studio) -> None:
    build_song(library, studio)
    plan = plan_for(library, SONG, studio)
    assert plan.same_studio and plan.revision == 1
    assert [(u.unit, u.kind) for u in plan.units] == [
        (FADERS, REMOTE), (COMP, REMOTE), (SERIAL, REMOTE), (PULTEC, MANUAL), (STEPPED, MANUAL)]
    faders = plan.units[0]
    # A preset's program change goes first: it would overwrite the faders sent before it.
    assert faders.steps[0].parameter == "preset"
    assert all(s.readable for s in faders.steps[1:]) and not faders.steps[0].readable
    assert all(s.readable for s in plan.units[1].steps)  # through the state dump
    stepped = plan.units[4]
    low = next(s for s in stepped.steps if s.parameter == "low_gain_l")
    assert (low.text, low.detent) == ("1.5", "position 24 of 41")
    assert len(stepped.steps) == 24  # every control, not only those away from default
    assert {u.port for u in plan.of_kind(REMOTE)} == {f"emulated:{FADERS}", f"emulated:{COMP}",
                                                     f"emulated:{SERIAL}"}


def test_changes_since_the_previous_revision_are_marked(library: Library,
                                                        studio: Studio) -> None:
    build_song(library, studio)
    library.new_revision(SONG)
    library.set_values(SONG, 2, PULTEC, {"low_boost": 6.0})
    plan = plan_for(library, SONG, studio)
    boost = next(s for s in plan.units[3].steps if s.parameter == "low_boost")
    assert (boost.text, boost.previous) == ("6", "4.5")
    assert all(s.previous is None for s in plan.units[3].steps if s.parameter != "low_boost")


def test_another_studio_maps_units_by_profile(library: Library, studio: Studio,
                                              tmp_path: Path) -> None:
    build_song(library, studio)
    other = tmp_path / "other"
    other.mkdir()
    text = (other / "x").parent
    elsewhere = write_studio(text, {FADERS: "emulated:?channel=1&device_id=16"}, "Room B")
    # Room B calls its compressor something else and has no serial EQ at all.
    source = Path(elsewhere.source).read_text()
    source = source.replace('name = "Comp"', 'name = "Bus Comp"')
    cut = source.index('name = "Serial EQ"')
    source = source[:source.rindex("[[unit]]", 0, cut)] + source[
        source.index("[[unit]]", cut):]
    Path(elsewhere.source).write_text(source)
    from recall.studio import load_studio

    room_b = load_studio(elsewhere.source)
    plan = plan_for(library, SONG, room_b)
    assert not plan.same_studio
    comp = plan.units[1]
    assert (comp.kind, comp.studio_unit) == (MANUAL, "Bus Comp")
    assert "same profile" in comp.reason
    serial = plan.units[2]
    assert serial.kind == UNAVAILABLE
    assert serial.reason == "this studio has no unit of profile generic-serial-ascii"


def test_one_physical_unit_twice_is_refused(library: Library, studio: Studio) -> None:
    """A chain made elsewhere with two fader banks cannot be recalled on this studio's one."""
    build_song(library, studio)
    library.new_revision(SONG)
    from controller.chain import definitions

    from .conftest import profile_of

    faders = profile_of(FADERS)
    library.add_unit(SONG, 2, "Faders 2", profile=faders.key, definitions=definitions(faders))
    with pytest.raises(RecallError, match="one physical unit cannot sit in a chain twice"):
        plan_for(library, SONG, studio)


def test_settings_cover_the_chain() -> None:
    assert set(SETTINGS) == {FADERS, COMP, SERIAL, PULTEC, STEPPED}
