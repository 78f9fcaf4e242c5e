"""Recalling a revision onto emulated units in memory: states, bytes, faults and resume."""

from __future__ import annotations

import pytest

from controller.recall_engine import plan as planning
from controller.recall_engine.engine import within
from controller.recall_engine.session import Checklist, finish, plan_for, send, start
from devices import codec
from devices.emulator import Misbehaviour
from recall.library import Library
from recall.studio import Studio

from .conftest import COMP, FADERS, PULTEC, SERIAL, SETTINGS, SONG, STEPPED, build_song, memory_rig


def states(library: Library, attempt_id: int) -> dict[tuple[str, str], str]:
    return {(o.unit, o.parameter): o.state for o in library.attempt(attempt_id).outcomes}


def test_a_full_recall_lands_on_every_unit(library: Library, studio: Studio) -> None:
    build_song(library, studio)
    rig = memory_rig()
    plan = plan_for(library, SONG, studio)
    attempt = start(library, plan)
    assert set(states(library, attempt.id).values()) == {"pending", "manual_pending"}
    faults = send(library, attempt, plan, opener=rig.opener)
    assert faults == ()
    # In the emulators: every value where the revision says.
    # (The motor faders land within 0.5 % of their 40 dB travel; the compressor's log-taper
    # attack on a 7-bit CC holds the nearest value its wire can carry.)
    for unit in (FADERS, COMP, SERIAL):
        profile = rig.units[unit].profile
        for parameter, value in SETTINGS[unit].items():
            wire = codec.from_wire(profile.parameter(parameter),
                                   codec.to_wire(profile.parameter(parameter), value))
            tolerance = 0.2 + 1e-9 if unit == FADERS and parameter != "preset" else 1e-6
            assert rig.units[unit].value(parameter) == pytest.approx(
                value if unit == SERIAL else wire, abs=tolerance), (unit, parameter)
    got = states(library, attempt.id)
    assert got[(FADERS, "preset")] == "sent"  # a program change cannot be read back
    assert {got[(FADERS, f"fader_{i}")] for i in range(1, 13)} == {"verified"}
    assert {got[(COMP, p)] for p in SETTINGS[COMP]} == {"verified"}
    assert {got[(SERIAL, p)] for p in SETTINGS[SERIAL]} == {"verified"}
    assert {got[(PULTEC, p)] for p in SETTINGS[PULTEC]} == {"manual_pending"}
    # Bytes on the wire: the program change first, then the first fader's SysEx.
    sent = [m for d, m in rig.transports[FADERS].traffic if d == "out"]
    assert sent[0] == bytes([0xC0, 2])
    assert sent[1][:5] == bytes([0xF0, 0x7D, 16, 0x12, 1]) and sent[1][-1] == 0xF7
    serial = [m for d, m in rig.transports[SERIAL].traffic if d == "out"]
    assert serial[:3] == [b"SET GAIN -3.5\r", b"SET FREQ 4000\r", b"SET BYPASS 0\r"]
    # The comp was read back with one state dump.
    comp = [m for d, m in rig.transports[COMP].traffic if d == "out"]
    assert comp[-1] == bytes([0xF0, 0x7D, 5, 0x40, 0xF7])
    assert finish(library, attempt.id).outcome == "incomplete"  # the manual units remain


def test_the_checklist_records_what_was_set_and_completes(library: Library,
                                                          studio: Studio) -> None:
    build_song(library, studio)
    rig = memory_rig()
    plan = plan_for(library, SONG, studio)
    attempt = start(library, plan)
    send(library, attempt, plan, opener=rig.opener)
    checklist = Checklist(library, attempt.id, plan)
    items = checklist.items()
    assert [i.unit.unit for i in items[:3]] == [PULTEC] * 3
    assert len(items) == 9 + 24
    first = items[0]
    assert (first.step.parameter, first.step.text, first.step.detent) == (
        "low_freq", "100 Hz", "position 4 of 4")
    checklist.confirm(first)
    boost = checklist.items()[0]
    recorded = checklist.confirm(boost, "4")  # turned to 4, not 4.5
    assert (recorded.state, recorded.actual) == ("manual_confirmed", 4.0)
    with pytest.raises(Exception, match="outside 0 to 10"):
        checklist.confirm(checklist.items()[0], "11")
    for item in checklist.items():
        checklist.confirm(item)
    done = finish(library, attempt.id)
    assert done.outcome == "complete"
    outcome = next(o for o in done.outcomes if o.parameter == "low_boost")
    assert (outcome.actual, outcome.detail) == (4.0, "set by hand to another value")


def test_dropped_messages_are_sent_again_until_verified(library: Library,
                                                        studio: Studio) -> None:
    build_song(library, studio)
    rig = memory_rig({COMP: Misbehaviour(drop=0.3)})
    plan = plan_for(library, SONG, studio)
    attempt = start(library, plan)
    send(library, attempt, plan, opener=rig.opener)
    outcomes = {o.parameter: o for o in library.attempt(attempt.id).outcomes if o.unit == COMP}
    # With a third of its messages lost, every value ends verified or (if the dump request
    # itself was lost each time) failed; none is reported verified unless it is right.
    comp = rig.units[COMP]
    for parameter, outcome in outcomes.items():
        if outcome.state == "verified":
            assert within(comp.profile.parameter(parameter), SETTINGS[COMP][parameter],
                          comp.value(parameter), comp.profile)
    assert any(o.tries > 1 for o in outcomes.values())
    assert sum(o.state == "verified" for o in outcomes.values()) >= 3


def test_a_garbled_reply_is_never_taken_as_verified(library: Library, studio: Studio) -> None:
    build_song(library, studio)
    rig = memory_rig({SERIAL: Misbehaviour(garble=1.0)})
    plan = plan_for(library, SONG, studio)
    attempt = start(library, plan)
    send(library, attempt, plan, opener=rig.opener)
    got = states(library, attempt.id)
    assert {got[(SERIAL, p)] for p in SETTINGS[SERIAL]} == {"failed"}
    assert {got[(COMP, p)] for p in SETTINGS[COMP]} == {"verified"}


def test_a_unit_unplugged_mid_recall_leaves_the_others_and_resume_finishes(
        library: Library, studio: Studio) -> None:
    build_song(library, studio)
    rig = memory_rig()
    plan = plan_for(library, SONG, studio)
    attempt = start(library, plan)

    def unplug_after_some(plan_unit):  # the fader bank goes away after 5 messages
        spy = rig.opener(plan_unit)
        if plan_unit.unit == FADERS:
            inner = spy.inner
            original = inner._send

            def flaky(message: bytes) -> None:
                if len(inner.sent) >= 5:
                    inner.disconnect()
                original(message)
            inner._send = flaky
        return spy

    faults = send(library, attempt, plan, opener=unplug_after_some)
    assert len(faults) == 1 and faults[0].startswith(f"{FADERS}: the port went away")
    got = states(library, attempt.id)
    assert {got[(COMP, p)] for p in SETTINGS[COMP]} == {"verified"}
    assert {got[(SERIAL, p)] for p in SETTINGS[SERIAL]} == {"verified"}
    # Four faders were sent before the plug came out, but none was read back: all twelve
    # are unconfirmed; the preset (a program change, never read back) counts as sent.
    left = [p for (u, p), s in got.items() if u == FADERS and s == "failed"]
    assert len(left) == 12 and got[(FADERS, "preset")] == "sent"
    assert finish(library, attempt.id, faults).outcome == "fault"
    # Plugged back in: --resume sends only what is not yet done.
    rig.transports.clear()
    resumed = start(library, plan, resume=True)
    assert resumed.resumed_from == attempt.id
    send(library, resumed, plan, opener=rig.opener)
    sent_again = [m for d, m in rig.transports[FADERS].traffic if d == "out"
                  and m[:4] == bytes([0xF0, 0x7D, 16, 0x12])]
    assert len(sent_again) == len(left)
    assert COMP not in rig.transports  # all verified before: not touched
    got = states(library, resumed.id)
    assert {got[(FADERS, f"fader_{i}")] for i in range(1, 13)} == {"verified"}


def test_a_slow_unit_is_waited_for(library: Library, studio: Studio) -> None:
    build_song(library, studio)
    rig = memory_rig({SERIAL: Misbehaviour(delay_s=0.1)})
    plan = plan_for(library, SONG, studio)
    attempt = start(library, plan)
    send(library, attempt, plan, opener=rig.opener)
    got = states(library, attempt.id)
    assert {got[(SERIAL, p)] for p in SETTINGS[SERIAL]} == {"verified"}


def test_a_silent_unit_fails_quickly_without_stopping_the_rest(library: Library,
                                                               studio: Studio) -> None:
    build_song(library, studio)
    rig = memory_rig({SERIAL: Misbehaviour(silent=True)})
    plan = plan_for(library, SONG, studio)
    attempt = start(library, plan)
    faults = send(library, attempt, plan, opener=rig.opener)
    assert faults == (f"{SERIAL}: stopped answering after 2 timeouts",)
    got = states(library, attempt.id)
    assert {got[(SERIAL, p)] for p in SETTINGS[SERIAL]} == {"failed"}
    assert {got[(FADERS, f"fader_{i}")] for i in range(1, 13)} == {"verified"}


def test_resume_without_an_attempt_is_refused(library: Library, studio: Studio) -> None:
    build_song(library, studio)
    with pytest.raises(planning.RecallError, match="no recall to resume"):
        start(library, plan_for(library, SONG, studio), resume=True)


def test_stepped_units_are_all_in_the_checklist(library: Library, studio: Studio) -> None:
    build_song(library, studio)
    plan = plan_for(library, SONG, studio)
    assert len(plan.units[4].steps) == 24 and plan.units[4].unit == STEPPED


def test_a_control_that_will_not_go_there_ends_as_a_mismatch(library: Library,
                                                             studio: Studio) -> None:
    """A sticking fader lands 2 dB off whatever it is sent: sent three times, then reported
    with what the unit says it is at."""
    build_song(library, studio)
    rig = memory_rig()
    faders = rig.units[FADERS]
    moved = faders.set_wire

    def sticky(parameter, wire):  # 2 dB is 20 wire steps on this 400-step fader
        moved(parameter, wire + 20 if parameter.id == "fader_3" else wire)

    faders.set_wire = sticky  # type: ignore[method-assign]
    plan = plan_for(library, SONG, studio)
    attempt = start(library, plan)
    assert send(library, attempt, plan, opener=rig.opener) == ()
    outcome = next(o for o in library.attempt(attempt.id).outcomes if o.parameter == "fader_3")
    assert (outcome.state, outcome.tries) == ("mismatch", 3)
    assert outcome.actual == pytest.approx(SETTINGS[FADERS]["fader_3"] + 2.0, abs=0.2)
    sent = [m for d, m in rig.transports[FADERS].traffic
            if d == "out" and m[:5] == bytes([0xF0, 0x7D, 16, 0x12, 3])]
    assert len(sent) == 3
    assert finish(library, attempt.id).outcome == "incomplete"
