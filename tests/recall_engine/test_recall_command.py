"""`outboard recall`, `recall log` and `capture` against emulated units on a real JACK server
(MIDI) and a pseudo-terminal (serial), with the manual checklist answered on stdin."""

from __future__ import annotations

import io
import json
import os
import re
import select
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest

from controller.demo import build_demo
from devices.emulator import EmulatedUnit, Misbehaviour
from devices.emulator.runners import MidiEmulator, PtyEmulator
from recall.library import Library
from recall.studio import Studio
from tui.cli import main

from .conftest import (
    COMP,
    FADERS,
    PULTEC,
    SERIAL,
    SETTINGS,
    SONG,
    STEPPED,
    build_song,
    profile_of,
    write_studio,
)


def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


@contextmanager
def gear(on_serial_change: Callable[[PtyEmulator], None] | None = None,
         on_comp_change: Callable[[MidiEmulator], None] | None = None
         ) -> Iterator[tuple[dict[str, EmulatedUnit], dict[str, str], PtyEmulator]]:
    """The three remote units running on their ports; yields them, their addresses and the
    serial runner. The ``on_..._change`` hooks see the runner after each change it makes."""
    tag = uuid.uuid4().hex[:6]
    units = {name: EmulatedUnit(profile_of(name), seed=3) for name in (FADERS, COMP, SERIAL)}
    with ExitStack() as stack:
        addresses = {}
        runners: dict[str, MidiEmulator] = {}

        def comp_changed(parameter: str, value: float) -> None:
            if on_comp_change is not None:
                on_comp_change(runners[COMP])

        for name, channel in ((FADERS, 1), (COMP, 2)):
            port = f"Emu {name} {tag}"
            runners[name] = stack.enter_context(MidiEmulator(
                units[name], port, api="jack", on_change=comp_changed if name == COMP else None))
            addresses[name] = f"midi:{port}?api=jack&channel={channel}"
        holder: list[PtyEmulator] = []

        def changed(parameter: str, value: float) -> None:
            if on_serial_change is not None:
                on_serial_change(holder[0])

        serial = stack.enter_context(PtyEmulator(units[SERIAL], on_change=changed))
        holder.append(serial)
        addresses[SERIAL] = f"serial:{serial.port}"
        yield units, addresses, serial


def run(capsys: pytest.CaptureFixture[str], *argv: str, stdin: str = "") -> tuple[int, str, str]:
    import sys

    saved = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        code = main(list(argv))
    finally:
        sys.stdin = saved
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.jack
def test_a_five_unit_recall_over_jack_and_a_serial_line(jack_server: str, tmp_path: Path,
                                                        capsys, monkeypatch) -> None:
    library_path = tmp_path / "library.sqlite"
    monkeypatch.setenv("OUTBOARD_LIBRARY", str(library_path))
    with gear() as (units, addresses, _):
        studio = write_studio(tmp_path, addresses)
        monkeypatch.setenv("OUTBOARD_STUDIO", studio.source)
        with Library(library_path) as library:
            build_song(library, studio)
        # The manual units: confirm the Pultec's first control, type what was really set for
        # the second, skip the third, then stop (end of input).
        code, out, err = run(capsys, "recall", SONG, stdin="\n4\ns\n")
        assert code == 1, err
        assert "ok Faders: 1 sent, 12 verified" in out and "ok Comp: 4 verified" in out
        assert "ok Serial EQ: 3 verified" in out and "incomplete:" in out
        for unit in (FADERS, COMP, SERIAL):  # every control reached its unit
            assert {parameter for parameter, _ in units[unit].changes} == set(SETTINGS[unit])
        assert units[SERIAL].value("gain") == -3.5 and units[SERIAL].value("frequency") == 4000
        assert units[COMP].value("ratio") == 4.0 and units[COMP].value("link") == 1.0
        assert units[FADERS].value("preset") == 2.0
        assert abs(units[FADERS].value("fader_3") - (-9.0)) <= 0.2
        # Resume: the remote units are all done and are left alone; the checklist goes on.
        before = {name: unit.received for name, unit in units.items()}
        answers = "\n" * (9 - 2 + 24)
        code, out, err = run(capsys, "recall", SONG, "--resume", stdin=answers)
        assert code == 0, out + err
        assert {name: unit.received for name, unit in units.items()} == before
        assert "complete:" in out
    with Library(library_path) as library:
        first, second = library.attempts(SONG)
        assert (first.outcome, second.outcome, second.resumed_from) == (
            "incomplete", "complete", first.id)
        boost = next(o for o in second.outcomes if o.unit == PULTEC and o.parameter == "low_boost")
        assert (boost.state, boost.actual) == ("manual_confirmed", 4.0)
        assert all(o.state == "manual_confirmed" for o in second.outcomes if o.unit == STEPPED)
    code, out, _ = run(capsys, "recall", "log", SONG)
    assert code == 0 and f"#{first.id} rev 1" in out and f"(resumed #{first.id})" in out
    code, out, _ = run(capsys, "recall", "log", SONG, "--json")
    assert [json.loads(line)["outcome"] for line in out.splitlines()] == ["incomplete",
                                                                         "complete"]


def recall_json(capsys, studio: Studio, *flags: str) -> tuple[int, dict, dict]:
    """`outboard recall SONG --json` on ``studio``: the exit code, the report, and each
    (unit, parameter)'s state."""
    code, out, err = run(capsys, "recall", SONG, "--studio", studio.source, "--json", *flags)
    report = json.loads(out) if out else {"error": err}
    states = {(o["unit"], o["parameter"]): o["state"] for o in report.get("outcomes", [])}
    return code, report, states


@pytest.mark.jack
def test_a_serial_unit_unplugged_mid_recall_is_a_fault_and_resume_finishes(
        jack_server: str, tmp_path: Path, capsys, monkeypatch) -> None:
    library_path = tmp_path / "library.sqlite"
    monkeypatch.setenv("OUTBOARD_LIBRARY", str(library_path))

    def unplug(runner: PtyEmulator) -> None:  # after its first change, from another thread
        threading.Thread(target=runner.disconnect, daemon=True).start()

    with gear(on_serial_change=unplug) as (units, addresses, _):
        studio = write_studio(tmp_path, addresses)
        with Library(library_path) as library:
            build_song(library, studio)
        code, report, states = recall_json(capsys, studio)
        assert code == 3, report
        assert report["outcome"] == "fault"
        assert {states[(SERIAL, p)] for p in SETTINGS[SERIAL]} == {"failed"}, report["faults"]
        assert {states[(COMP, p)] for p in SETTINGS[COMP]} == {"verified"}
        assert report["faults"] and report["faults"][0].startswith(SERIAL)
    # Plugged in again (a new port): resume sends the serial unit only.
    with gear() as (units, addresses, _):
        studio = write_studio(tmp_path, addresses)
        code, report, states = recall_json(capsys, studio, "--resume")
        assert {states[(SERIAL, p)] for p in SETTINGS[SERIAL]} == {"verified"}
        assert units[COMP].received == 0 and units[SERIAL].value("gain") == -3.5
        assert code == 1  # the manual units are still to do (--json leaves the checklist)


@pytest.mark.jack
def test_a_midi_unit_unplugged_mid_recall_is_a_fault_and_resume_finishes(
        jack_server: str, tmp_path: Path, capsys, monkeypatch) -> None:
    library_path = tmp_path / "library.sqlite"
    monkeypatch.setenv("OUTBOARD_LIBRARY", str(library_path))

    def unplug(runner: MidiEmulator) -> None:  # after its first change, from another thread
        threading.Thread(target=runner.close, daemon=True).start()

    with gear(on_comp_change=unplug) as (units, addresses, _):
        studio = write_studio(tmp_path, addresses)
        with Library(library_path) as library:
            build_song(library, studio)
        code, report, states = recall_json(capsys, studio)
        assert code == 3, report
        assert report["outcome"] == "fault"
        assert "failed" in {states[(COMP, p)] for p in SETTINGS[COMP]}, report["faults"]
        assert {states[(SERIAL, p)] for p in SETTINGS[SERIAL]} == {"verified"}
        assert report["faults"] and report["faults"][0].startswith(COMP)
    # Plugged in again: resume sends the compressor only.
    with gear() as (units, addresses, _):
        studio = write_studio(tmp_path, addresses)
        code, report, states = recall_json(capsys, studio, "--resume")
        assert {states[(COMP, p)] for p in SETTINGS[COMP]} == {"verified"}
        assert units[SERIAL].received == 0
        assert code == 1  # the manual units are still to do (--json leaves the checklist)


@pytest.mark.jack
def test_capture_reads_the_gear_into_a_new_revision(jack_server: str, tmp_path: Path,
                                                    capsys, monkeypatch) -> None:
    library_path = tmp_path / "library.sqlite"
    monkeypatch.setenv("OUTBOARD_LIBRARY", str(library_path))
    with gear() as (units, addresses, _):
        studio = write_studio(tmp_path, addresses)
        with Library(library_path) as library:
            build_song(library, studio)
        # Someone tweaked the hardware: the compressor's threshold and the serial EQ's gain.
        units[COMP].wire["threshold"] = 60  # -30 dB
        units[SERIAL].units["gain"] = 2.5
        code, out, err = run(capsys, "capture", SONG, "--studio", studio.source, "--json")
        assert code == 0, err
        report = json.loads(out)
        assert (report["revision"], report["parent"]) == (2, 1)
    with Library(library_path) as library:
        revision = library.revision(SONG, 2)
        assert revision.unit(COMP).settings["threshold"] == -30.0
        assert revision.unit(SERIAL).settings["gain"] == 2.5
        # The faders' preset cannot be read back: it keeps revision 1's value.
        assert revision.unit(FADERS).settings["preset"] == 2.0
        assert revision.unit(PULTEC).settings == library.revision(SONG, 1).unit(PULTEC).settings


def test_dry_run_shows_the_plan_and_sends_nothing(tmp_path: Path, capsys, monkeypatch) -> None:
    library_path = tmp_path / "library.sqlite"
    studio = write_studio(tmp_path, {FADERS: "emulated:?channel=1&device_id=16",
                                     COMP: "emulated:?channel=2&device_id=5",
                                     SERIAL: "emulated:"})
    with Library(library_path) as library:
        build_song(library, studio)
    code, out, _ = run(capsys, "recall", SONG, "--dry-run", "--studio", studio.source,
                       "--library", str(library_path))
    assert code == 0
    assert re.search(r"Preset +Bright +C0 02", out)
    assert "'SET GAIN -3.5\\r'" in out and "position 4 of 4" in out
    code, out, _ = run(capsys, "recall", SONG, "--dry-run", "--json", "--studio",
                       studio.source, "--library", str(library_path))
    plan = json.loads(out)
    assert plan["units"][0]["steps"][0]["messages"] == ["c002"]
    with Library(library_path) as library:
        assert library.attempts(SONG) == []


def test_recall_refuses_bad_input_in_one_line(tmp_path: Path, capsys, monkeypatch) -> None:
    library_path = tmp_path / "library.sqlite"
    monkeypatch.delenv("OUTBOARD_STUDIO", raising=False)
    with Library(library_path) as library:
        build_song(library)
    code, _, err = run(capsys, "recall", SONG, "--library", str(library_path))
    assert code == 2 and "no studio file given" in err and err.count("\n") == 1
    studio = write_studio(tmp_path, {})
    code, _, err = run(capsys, "recall", SONG, "--resume", "--studio", studio.source,
                       "--library", str(library_path))
    assert code == 2 and "has no recall to resume" in err
    code, _, err = run(capsys, "recall", "Night", "Drive", "--studio", studio.source,
                       "--library", str(library_path))
    assert code == 2 and "quote a name with spaces" in err


def test_misbehaviour_is_importable() -> None:
    assert Misbehaviour(drop=0.5).drop == 0.5



def _read_prompts(stream: int, count: int, seen: bytearray, seconds: float = 30.0) -> None:
    """Read the child's output into ``seen`` until it has asked ``count`` questions."""
    deadline = time.monotonic() + seconds
    while seen.count(b"  > ") < count:
        left = deadline - time.monotonic()
        assert left > 0, seen.decode(errors="replace")
        if select.select([stream], [], [], left)[0]:
            chunk = os.read(stream, 65536)
            assert chunk, seen.decode(errors="replace")
            seen.extend(chunk)


def test_ctrl_c_at_the_checklist_keeps_what_was_confirmed_for_resume(tmp_path: Path) -> None:
    library_file, _ = build_demo(tmp_path)
    env = dict(os.environ, OUTBOARD_LIBRARY=str(library_file),
               OUTBOARD_STUDIO=str(tmp_path / "demo-studio.toml"))
    outboard = str(Path(sys.executable).with_name("outboard"))
    song = "Night Drive/Opener"
    # As at a terminal: Ctrl-C interrupts (a shell's background job would ignore it).
    child = subprocess.Popen([outboard, "recall", song], env=env, stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert child.stdin is not None and child.stdout is not None and child.stderr is not None
    seen = bytearray()
    _read_prompts(child.stdout.fileno(), 1, seen)
    child.stdin.write(b"\n")  # the first control is set as asked
    child.stdin.flush()
    _read_prompts(child.stdout.fileno(), 2, seen)
    child.send_signal(signal.SIGINT)  # Ctrl-C at the second
    assert child.wait(timeout=30) == 130
    assert child.stderr.read().decode().strip().endswith("outboard: interrupted")
    with Library(library_file) as library:
        [attempt] = library.attempts(song)
        assert attempt.outcome == "incomplete" and attempt.finished
        confirmed = [o for o in attempt.outcomes if o.state == "manual_confirmed"]
        pending = [o for o in attempt.outcomes if o.state == "manual_pending"]
        assert len(confirmed) == 1 and pending
    # --resume asks only for what is left, and carries the confirmed control over.
    resumed = subprocess.run([outboard, "recall", song, "--resume"], env=env,
                             input="\n" * len(pending), capture_output=True, text=True,
                             timeout=60)
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stdout.count("  > ") == len(pending)
    with Library(library_file) as library:
        last = library.attempts(song)[-1]
        assert last.outcome == "complete" and last.resumed_from == attempt.id
        assert (confirmed[0].unit, confirmed[0].parameter) in {
            (o.unit, o.parameter) for o in last.outcomes if o.state == "manual_confirmed"}
