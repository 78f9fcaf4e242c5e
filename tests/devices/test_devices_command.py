"""`outboard devices` through the command: profiles, import, ports, emulate, send and read."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.devices.test_importer import CHART
from tui.cli import main

OUTBOARD = str(Path(sys.executable).with_name("outboard"))


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def lines(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def test_list_and_show(capsys) -> None:
    code, out, _ = run(capsys, "devices", "list", "--json")
    rows = lines(out)
    assert code == 0 and len(rows) >= 12
    assert {"key", "manufacturer", "model", "control", "verified"} <= set(rows[0])
    code, out, _ = run(capsys, "devices", "show", "tc-system-6000-faders", "--json")
    [doc] = lines(out)
    fader = doc["parameters"][0]
    assert fader["midi"] == {"type": "cc14", "number": None, "msb": 16, "lsb": 48}
    code, out, _ = run(capsys, "devices", "show", "behringer-dsp1100")
    assert code == 0 and "31 detents" in out


def test_check_a_good_and_a_bad_profile(capsys, tmp_path: Path) -> None:
    good = tmp_path / "mine.toml"
    run(capsys, "devices", "import", str(CHART), "-o", str(good))
    code, out, _ = run(capsys, "devices", "check", str(good))
    assert code == 0 and "ok: Elektron Analog Heat MKII, 6 parameters" in out
    bad = tmp_path / "bad.toml"
    bad.write_text(good.read_text().replace("msb = 12", "msb = 300"))
    code, out, err = run(capsys, "devices", "check", str(bad))
    assert code == 2 and out == ""
    assert err.strip() == (f"outboard: {bad}: parameter 'drive': midi key 'msb' must be a "
                           "whole number from 0 to 127, got 300")


def test_import_refuses_to_overwrite(capsys, tmp_path: Path) -> None:
    target = tmp_path / "x.toml"
    target.write_text("mine")
    code, _, err = run(capsys, "devices", "import", str(CHART), "-o", str(target))
    assert code == 2 and "already exists" in err and target.read_text() == "mine"


def test_send_and_read_on_an_emulated_unit(capsys) -> None:
    code, out, _ = run(capsys, "devices", "send", "emulated:", "gain", "-3.5",
                       "--profile", "generic-serial-ascii", "--json")
    [doc] = lines(out)
    assert code == 0 and doc["value"] == -3.5 and doc["sent"] == [
        "53 45 54 20 47 41 49 4E 20 2D 33 2E 35 0D"]
    code, out, err = run(capsys, "devices", "send", "emulated:", "gain", "99",
                         "--profile", "generic-serial-ascii")
    assert code == 2 and "outside" in err
    code, _, err = run(capsys, "devices", "send", "emulated:", "colour", "1",
                       "--profile", "generic-serial-ascii")
    assert code == 2 and "no parameter 'colour'" in err


def test_manual_units_are_not_sent_to(capsys) -> None:
    manual = next(row["key"] for row in lines(run(capsys, "devices", "list", "--json")[1])
                  if row["control"] == "manual")
    code, _, err = run(capsys, "devices", "send", "manual:", "x", "1", "--profile", manual)
    assert code == 2 and "set by hand" in err


def start_emulator(*args: str) -> tuple[subprocess.Popen[str], dict]:
    process = subprocess.Popen([OUTBOARD, "devices", "emulate", *args, "--json"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=dict(os.environ))
    first = process.stdout.readline()  # type: ignore[union-attr]
    if not first:
        process.kill()
        raise AssertionError(process.stderr.read())  # type: ignore[union-attr]
    return process, json.loads(first)


def stop(process: subprocess.Popen[str]) -> list[dict]:
    process.terminate()
    out, _ = process.communicate(timeout=10)
    return lines(out)


def test_emulate_on_a_pty_then_send_and_read_through_it() -> None:
    process, hello = start_emulator("generic-serial-ascii", "--pty")
    try:
        address = hello['address']
        done = subprocess.run([OUTBOARD, "devices", "send", address, "frequency", "4 kHz",
                               "--profile", "generic-serial-ascii"],
                              capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
        done = subprocess.run([OUTBOARD, "devices", "read", address, "frequency", "--json",
                               "--profile", "generic-serial-ascii"],
                              capture_output=True, text=True, check=False)
        assert json.loads(done.stdout)["label"] == "4 kHz"
    finally:
        events = stop(process)
    assert {"event": "change", "parameter": "frequency", "value": 4000.0,
            "label": "4 kHz"} in events


@pytest.mark.jack
def test_emulate_on_jack_midi_with_ports_listed(jack_server: str) -> None:
    process, hello = start_emulator("tc-system-6000-faders", "--midi-port", "Emu Faders",
                                    "--api", "jack")
    try:
        assert hello["address"] == "midi:Emu Faders"
        ports = subprocess.run([OUTBOARD, "devices", "ports", "--api", "jack", "--json"],
                               capture_output=True, text=True, check=True)
        assert any("Emu Faders" in n for n in json.loads(ports.stdout)["midi_outputs"])
        done = subprocess.run([OUTBOARD, "devices", "send", "midi:Emu Faders?api=jack",
                               "fader_3", "-6", "--profile", "tc-system-6000-faders", "--json"],
                              capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
        assert len(json.loads(done.stdout)["sent"]) == 2  # LSB, then the committing MSB
    finally:
        events = stop(process)
    assert [e for e in events if e["event"] == "change"] == [
        {"event": "change", "parameter": "fader_3", "value": pytest.approx(-6.0, abs=0.01),
         "label": "-6.0 dB"}]


def test_spy_prints_every_byte(capsys) -> None:
    code, out, err = run(capsys, "devices", "send", "emulated:", "output_level_l", "-11.5",
                         "--profile", "drawmer-m500", "--spy")
    wire = err.strip().splitlines()
    assert code == 0
    assert wire[0] == "emulated:drawmer-m500 -> B0 47 7F"  # the OUTPUT page key first
    assert all(line.startswith("emulated:drawmer-m500 -> B0 6") for line in wire[1:])
    assert f"({len(wire)} messages" in out


def test_an_emulated_unit_can_be_unplugged() -> None:
    process, hello = start_emulator("generic-serial-ascii", "--pty", "--disconnect-after",
                                    "0.5", "--seconds", "30")
    try:
        assert process.stdout.readline().strip() == '{"event": "disconnected"}'  # type: ignore[union-attr]
        done = subprocess.run([OUTBOARD, "devices", "send", hello['address'],
                               "gain", "1", "--profile", "generic-serial-ascii"],
                              capture_output=True, text=True, check=False)
        assert done.returncode == 3, done.stderr
        assert "outboard: serial:" in done.stderr and "Traceback" not in done.stderr
    finally:
        stop(process)


@pytest.mark.parametrize(("argv", "message"), [
    (["generic-midi-cc", "--channel", "17"], "--channel 17: a MIDI channel is 1 to 16"),
    (["generic-midi-cc", "--pty"], "is a MIDI unit: it listens on a virtual MIDI port"),
    (["generic-midi-cc", "--drop", "2"], "--drop 2.0: a share from 0 to 1"),
    (["api-2500"], "a manual unit has no protocol to emulate"),
])
def test_emulate_refuses_bad_options(capsys, argv: list[str], message: str) -> None:
    code, _, err = run(capsys, "devices", "emulate", *argv, "--seconds", "0")
    assert code == 2 and message in err


def test_read_goes_on_past_a_unit_that_does_not_answer(capsys) -> None:
    code, out, err = run(capsys, "devices", "read", "emulated:", "bypass", "--json",
                         "--profile", "generic-serial-ascii")
    assert code == 0 and lines(out)[0]["label"] == "in"
    code, _, err = run(capsys, "devices", "read", "emulated:", "output_level_l",
                       "--profile", "drawmer-m500")
    assert code == 2 and "cannot be read back" in err
