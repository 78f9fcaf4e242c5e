"""The studio file: loading and validation, `outboard studio show|check`, and the fingerprint."""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from recall.errors import StudioError
from recall.studio import (
    ChannelCalibration,
    fingerprint,
    load_studio,
    studio_dict,
    studio_from_dict,
)
from tui.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "config" / "studio.example.toml"

BASE = """\
spec = 1

[studio]
name = "Test Room"

[interface]
host_api = "JACK Audio Connection Kit"
device = "system"
sample_rate = 48000
buffer_frames = 256

[[loop]]
name = "A"
outputs = [3, 4]
inputs = [3, 4]

[[loop]]
name = "B"
outputs = [5, 6]
inputs = [5, 6]
send_trim_db = -1.5

[[calibration]]
direction = "output"
channels = [3, 4, 5, 6]
dbfs_at_plus4_dbu = -18.0

[[calibration]]
direction = "input"
channel = 3
dbfs_at_plus4_dbu = -16.0

[[unit]]
name = "Finalizer"
profile = "tc-finalizer-96k"
address = "midi:Port?channel=3"
loop = "A"

[[unit]]
name = "Pultec"
profile = "pultec-eqp-1a"
address = "manual:"
loop = "B"
"""

# The same studio, written with keys, tables and calibration entries in another order.
REORDERED = """\
spec = 1

[[unit]]
loop = "A"
address = "midi:Port?channel=3"
profile = "tc-finalizer-96k"
name = "Finalizer"

[[calibration]]
dbfs_at_plus4_dbu = -16.0
channel = 3
direction = "input"

[[calibration]]
direction = "output"
channels = [6, 5]
dbfs_at_plus4_dbu = -18

[[calibration]]
direction = "output"
channel = 4
dbfs_at_plus4_dbu = -18.0

[[calibration]]
direction = "output"
channel = 3
dbfs_at_plus4_dbu = -18.0

[[loop]]
send_trim_db = -1.5
inputs = [5, 6]
outputs = [5, 6]
name = "B"

[[loop]]
inputs = [3, 4]
outputs = [3, 4]
name = "A"

[[unit]]
name = "Pultec"
loop = "B"
address = "manual:"
profile = "pultec-eqp-1a"

[interface]
buffer_frames = 256
sample_rate = 48000
device = "system"
host_api = "JACK Audio Connection Kit"

[studio]
name = "Test Room"
"""

THIRD_UNIT = """loop = "B"

[[unit]]
name = "Second"
profile = "generic-midi-cc"
address = "midi:Port?api=jack&channel=3"
"""


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def write(folder: Path, text: str, name: str = "studio.toml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def edited(old: str, new: str, text: str = BASE) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


# ---------------------------------------------------------------------------- the example


def test_the_example_checks_clean(capsys) -> None:
    code, out, err = run(capsys, "studio", "check", str(EXAMPLE))
    assert (code, err) == (0, "")
    assert out == (f"{EXAMPLE}: ok: studio 'Example Room': 2 loops, 4 units "
                   "(2 remote, 2 manual)\n")


def test_the_example_is_the_documented_room() -> None:
    studio = load_studio(EXAMPLE)
    assert studio.interface.host_api == "JACK Audio Connection Kit"
    assert (studio.sample_rate, studio.buffer_frames) == (48_000, 256)
    assert [(lp.name, lp.outputs, lp.inputs) for lp in studio.loops] == [
        ("A", (3, 4), (3, 4)), ("B", (5, 6), (5, 6))]
    assert {u.scheme for u in studio.units} == {"midi", "serial", "manual"}
    assert all(studio.calibration_for(d, c) for lp in studio.loops
               for d, cs in (("output", lp.outputs), ("input", lp.inputs)) for c in cs)


def test_the_file_comes_from_the_environment(capsys, monkeypatch) -> None:
    monkeypatch.setenv("OUTBOARD_STUDIO", str(EXAMPLE))
    code, out, _ = run(capsys, "studio", "check")
    assert code == 0 and "ok: studio 'Example Room'" in out


@pytest.mark.parametrize("action", ["show", "check"])
def test_without_a_file_it_says_how_to_give_one(capsys, monkeypatch, action: str) -> None:
    monkeypatch.delenv("OUTBOARD_STUDIO", raising=False)
    code, out, err = run(capsys, "studio", action)
    assert code == 2 and out == ""
    assert err == (f"outboard: no studio file given: name one (outboard studio {action} FILE) "
                   "or set OUTBOARD_STUDIO to its path; config/studio.example.toml is an "
                   "example to copy\n")


# ---------------------------------------------------------------------------- validation

BAD = [
    ("unknown key", 'loop = "B"', 'loop = "B"\ncolour = "red"',
     "unit 'Pultec': key 'colour' is not a studio setting here "
     "(expected one of: address, loop, name, profile)"),
    ("unknown table", "spec = 1", "spec = 1\nrooms = 2",
     "key 'rooms' is not a studio setting here "
     "(expected one of: calibration, interface, loop, spec, studio, unit)"),
    ("missing key", 'device = "system"\n', "",
     "[interface] key 'device' is missing (expected the device's name as the host API lists it)"),
    ("wrong type", "sample_rate = 48000", 'sample_rate = "48k"',
     "[interface] key 'sample_rate' must be a whole number from 8000 to 768000, got '48k'"),
    ("boolean for a number", "sample_rate = 48000", "sample_rate = true",
     "[interface] key 'sample_rate' must be a whole number from 8000 to 768000, got True"),
    ("rate too low", "sample_rate = 48000", "sample_rate = 7999",
     "[interface] key 'sample_rate' must be a whole number from 8000 to 768000, got 7999"),
    ("rate too high", "sample_rate = 48000", "sample_rate = 768001",
     "[interface] key 'sample_rate' must be a whole number from 8000 to 768000, got 768001"),
    ("buffer not a power of two", "buffer_frames = 256", "buffer_frames = 100",
     "[interface] key 'buffer_frames' must be a power of two from 16 to 8192, got 100"),
    ("buffer too small", "buffer_frames = 256", "buffer_frames = 8",
     "[interface] key 'buffer_frames' must be a power of two from 16 to 8192, got 8"),
    ("buffer too large", "buffer_frames = 256", "buffer_frames = 16384",
     "[interface] key 'buffer_frames' must be a power of two from 16 to 8192, got 16384"),
    ("unknown host API", 'host_api = "JACK Audio Connection Kit"', 'host_api = "JACK"',
     "[interface] key 'host_api' must be one of simulated, ALSA, ASIO, AudioScience HPI, "
     "Core Audio, JACK Audio Connection Kit, MME, OSS, PulseAudio, Windows DirectSound, "
     "Windows WASAPI, Windows WDM-KS, sndio, got 'JACK'"),
    ("outputs and inputs differ", "inputs = [3, 4]", "inputs = [3]",
     "loop 'A': key 'inputs' lists 1 channel but 'outputs' lists 2 channels; a loop returns "
     "as many channels as it sends"),
    ("channel below 1", "outputs = [5, 6]", "outputs = [0, 6]",
     "loop 'B': key 'outputs' must be a list of channel numbers from 1 to 1024, got [0, 6]"),
    ("calibration channel below 1", "channel = 3", "channel = 0",
     "calibration #2: key 'channel' must be a whole number from 1 to 1024, got 0"),
    ("channel twice in a loop", "outputs = [3, 4]", "outputs = [3, 3]",
     "loop 'A': key 'outputs' must be a list naming each channel once, got [3, 3]"),
    ("channel in two loops", "inputs = [5, 6]", "inputs = [4, 5]",
     "loop 'B': key 'inputs': input 4 is already used by loop 'A'"),
    ("duplicate loop", 'name = "B"', 'name = "A"',
     "loop 'A': key 'name': another loop already has this name; give each loop its own"),
    ("duplicate unit", 'name = "Pultec"', 'name = "Finalizer"',
     "unit 'Finalizer': key 'name': another unit already has this name; give each unit its own"),
    ("duplicate unit ignoring case", 'name = "Pultec"', 'name = "FINALIZER"',
     "unit 'FINALIZER': key 'name': another unit already has this name (as 'Finalizer'; "
     "names ignore case); give each unit its own"),
    ("unit in no loop", 'loop = "B"', 'loop = "C"',
     "unit 'Pultec': key 'loop' names no loop (loops: A, B)"),
    ("slash in a unit name", 'name = "Pultec"', 'name = "Pul/tec"',
     "unit 'Pul/tec': key 'name' must be a name without / or \\ (names may become folder "
     "names), got 'Pul/tec'"),
    ("backslash in a loop name", 'name = "B"', 'name = "B\\\\1"',
     "loop 'B\\\\1': key 'name' must be a name without / or \\ (names may become folder "
     "names), got 'B\\\\1'"),
    ("control character in the studio name", 'name = "Test Room"', 'name = "Test\\tRoom"',
     "[studio] key 'name' must be a name without control characters, got 'Test\\tRoom'"),
    ("blank name", 'name = "Test Room"', 'name = "  "',
     "[studio] key 'name' must be a name that is not blank, got '  '"),
    ("two units, one address", 'loop = "B"\n', THIRD_UNIT,
     "unit 'Second': key 'address' 'midi:Port?api=jack&channel=3' reaches the same unit as "
     "unit 'Finalizer'; one physical unit cannot be two units"),
    ("unknown calibration key", "channel = 3", "channel = 3\nchanel = 4",
     "calibration #2: key 'chanel' is not a studio setting here "
     "(expected one of: channel, dbfs_at_plus4_dbu, direction)"),
    ("channel calibrated twice", 'direction = "input"', 'direction = "output"',
     "calibration #2: output 3 is calibrated twice; give each channel one level"),
    ("calibration level out of range", "dbfs_at_plus4_dbu = -16.0", "dbfs_at_plus4_dbu = 16.0",
     "calibration #2: key 'dbfs_at_plus4_dbu' must be a number from -40 to 10, got 16.0"),
    ("calibration direction", 'direction = "input"', 'direction = "return"',
     "calibration #2: key 'direction' must be output or input, got 'return'"),
    ("trim out of range", "send_trim_db = -1.5", "send_trim_db = -30",
     "loop 'B': key 'send_trim_db' must be a number from -24 to 24, got -30"),
    ("newer spec", "spec = 1", "spec = 2",
     "key 'spec' is 2, newer than this Outboard reads (1); update Outboard"),
    ("missing spec", "spec = 1\n", "",
     "key 'spec' is missing (expected the whole number 1)"),
]


@pytest.mark.parametrize(("old", "new", "message"), [case[1:] for case in BAD],
                         ids=[case[0] for case in BAD])
def test_a_bad_file_is_refused_naming_file_and_key(capsys, tmp_path: Path, old: str, new: str,
                                                  message: str) -> None:
    path = write(tmp_path, edited(old, new))
    with pytest.raises(StudioError) as caught:
        load_studio(path)
    assert caught.value.message == f"{path}: {message}"
    assert (caught.value.title, caught.value.exit_code) == ("Bad studio file", 2)
    for action in ("check", "show"):
        code, out, err = run(capsys, "studio", action, str(path))
        assert (code, out, err) == (2, "", f"outboard: {path}: {message}\n")


def test_a_file_that_is_not_toml(capsys, tmp_path: Path) -> None:
    path = write(tmp_path, edited("[studio]", "[studio"))
    code, _, err = run(capsys, "studio", "check", str(path))
    assert code == 2 and err.startswith(f"outboard: {path}: not valid TOML (")


def test_a_missing_file(capsys, tmp_path: Path) -> None:
    code, _, err = run(capsys, "studio", "show", str(tmp_path / "nope.toml"))
    assert code == 2 and err == f"outboard: {tmp_path / 'nope.toml'}: no such studio file\n"


def test_manual_and_emulated_units_may_share_an_address(tmp_path: Path) -> None:
    text = edited('address = "midi:Port?channel=3"', 'address = "emulated:"')
    text += '\n[[unit]]\nname = "EQ"\nprofile = "api-2500"\naddress = "manual:"\n'
    text += '\n[[unit]]\nname = "Fx"\nprofile = "generic-midi-cc"\naddress = "emulated:"\n'
    studio = load_studio(write(tmp_path, text))
    assert [u.address for u in studio.units] == ["emulated:", "manual:", "manual:", "emulated:"]


def test_positions_follow_the_order_in_each_loop(tmp_path: Path) -> None:
    text = BASE + '\n[[unit]]\nname = "EQ"\nprofile = "api-2500"\naddress = "manual:"\n' \
        'loop = "A"\n\n[[unit]]\nname = "Spare"\nprofile = "api-2500"\naddress = "manual:"\n'
    studio = load_studio(write(tmp_path, text))
    assert [(u.name, u.position) for u in studio.units_in("A")] == [("Finalizer", 1), ("EQ", 2)]
    assert [(u.name, u.position) for u in studio.units_in("B")] == [("Pultec", 1)]
    assert [(u.name, u.loop, u.position) for u in studio.units_in(None)] == [
        ("Spare", None, None)]


def test_calibration_converts_between_dbfs_and_dbu() -> None:
    entry = ChannelCalibration("output", 3, -18.0)
    assert entry.dbu_at_full_scale == 22.0
    assert entry.to_dbu(-18.0) == 4.0 and entry.to_dbu(0.0) == 22.0
    assert entry.to_dbfs(4.0) == -18.0 and entry.to_dbfs(-6.0) == -28.0


# ---------------------------------------------------------------------------- check against gear


def test_check_reports_every_problem_at_once(capsys, tmp_path: Path) -> None:
    text = (BASE.replace('"tc-finalizer-96k"', '"tc-finaliser-96k"')
            .replace('address = "manual:"', 'address = "midi:Rack"'))
    text += ('\n[[unit]]\nname = "Serial EQ"\nprofile = "generic-serial-ascii"\n'
             'address = "serial:/dev/ttyUSB0?baud=9600"\n')
    path = write(tmp_path, text)
    load_studio(path)  # a sound file: only the gear check finds these
    code, out, err = run(capsys, "studio", "check", str(path))
    assert code == 2 and out == ""
    problems = err.splitlines()
    assert len(problems) == 3
    assert problems[0].startswith(f"outboard: {path}: unit 'Finalizer': key 'profile': no "
                                  "profile 'tc-finaliser-96k' (shipped: api-2500, ")
    assert problems[1] == (f"outboard: {path}: unit 'Pultec': key 'address' 'midi:Rack' does "
                           "not fit pultec-eqp-1a, a unit set by hand: use manual:")
    assert problems[2] == (f"outboard: {path}: unit 'Serial EQ': key 'address': "
                           "'serial:/dev/ttyUSB0?baud=9600': 'baud' is not an option of "
                           "serial: addresses (baudrate, device_id)")
    code, out, _ = run(capsys, "studio", "check", str(path), "--json")
    document = json.loads(out)
    assert code == 2 and document["ok"] is False
    assert [f"outboard: {p}" for p in document["problems"]] == problems


@pytest.mark.parametrize(("address", "problem"), [
    ("mdi:Port", "key 'address': 'mdi:Port': an address starts with one of midi:, serial:, "
                 "manual:, emulated:"),
    ("midi:Port?channel=17", "key 'address': 'midi:Port?channel=17': channel=17 must be 1 "
                             "to 16"),
    ("midi:", "key 'address': 'midi:': name the port"),
    ("serial:/dev/ttyUSB0", "key 'address' 'serial:/dev/ttyUSB0' does not fit "
                            "tc-finalizer-96k, a MIDI unit: use midi: or emulated:"),
    ("manual:", "key 'address' 'manual:' does not fit tc-finalizer-96k, a MIDI unit: use midi: "
                "or emulated:"),
])
def test_check_catches_a_bad_address(capsys, tmp_path: Path, address: str, problem: str) -> None:
    path = write(tmp_path, edited('"midi:Port?channel=3"', json.dumps(address)))
    code, _, err = run(capsys, "studio", "check", str(path))
    assert code == 2 and err == f"outboard: {path}: unit 'Finalizer': {problem}\n"


def test_check_catches_a_missing_profile_file(capsys, tmp_path: Path) -> None:
    path = write(tmp_path, edited('"pultec-eqp-1a"', '"gear/pultec.toml"'))
    code, _, err = run(capsys, "studio", "check", str(path))
    assert code == 2
    assert err == (f"outboard: {path}: unit 'Pultec': key 'profile': "
                   f"{tmp_path / 'gear' / 'pultec.toml'}: no such profile file\n")


def test_a_profile_file_is_found_beside_the_studio_file(capsys, tmp_path: Path,
                                                        monkeypatch) -> None:
    (tmp_path / "gear").mkdir()
    shutil.copy(ROOT / "config" / "devices" / "generic-serial-ascii.toml",
                tmp_path / "gear" / "my-eq.toml")
    text = BASE + ('\n[[unit]]\nname = "My EQ"\nprofile = "gear/my-eq.toml"\n'
                   'address = "emulated:"\n')
    path = write(tmp_path, text)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    code, out, err = run(capsys, "studio", "check", str(path))
    assert (code, err) == (0, "")
    assert out.endswith("ok: studio 'Test Room': 2 loops, 3 units (2 remote, 1 manual; "
                        "1 emulated)\n")


def test_check_sees_one_unit_behind_two_spellings(capsys, tmp_path: Path) -> None:
    # Written differently, but the Finalizer's profile listens on channel 1 by default.
    text = edited('"midi:Port?channel=3"', '"midi:Port"') + THIRD_UNIT.replace(
        "api=jack&channel=3", "channel=1").replace('loop = "B"\n', "\n")
    path = write(tmp_path, text)
    load_studio(path)
    code, _, err = run(capsys, "studio", "check", str(path))
    assert code == 2
    assert err == (f"outboard: {path}: unit 'Second': key 'address' 'midi:Port?channel=1' "
                   "reaches the same unit as unit 'Finalizer': both are channel 1, device id 0 "
                   "(an address without them takes its profile's)\n")


# ---------------------------------------------------------------------------- output


def test_the_fingerprint_ignores_layout_and_follows_content(tmp_path: Path) -> None:
    base = load_studio(write(tmp_path, BASE))
    again = load_studio(write(tmp_path, REORDERED, "other-name.toml"))
    assert [lp.name for lp in again.loops] == ["B", "A"]
    assert fingerprint(again) == fingerprint(base)
    assert len(fingerprint(base)) == 64 and int(fingerprint(base), 16) >= 0
    changes = [('"midi:Port?channel=3"', '"midi:Port?channel=4"'),
               ('name = "Pultec"', 'name = "Pultec EQ"'),
               ('"pultec-eqp-1a"', '"api-2500"'),
               ('loop = "B"', 'loop = "A"'),
               ("dbfs_at_plus4_dbu = -16.0", "dbfs_at_plus4_dbu = -15.0"),
               ("buffer_frames = 256", "buffer_frames = 512")]
    seen = {fingerprint(base)}
    for old, new in changes:
        seen.add(fingerprint(load_studio(write(tmp_path, edited(old, new)))))
    assert len(seen) == len(changes) + 1


def test_chain_order_in_a_loop_is_part_of_the_fingerprint(tmp_path: Path) -> None:
    pultec = ('\n[[unit]]\nname = "Pultec"\nprofile = "pultec-eqp-1a"\naddress = "manual:"\n'
              'loop = "B"\n')
    eq = '\n[[unit]]\nname = "EQ"\nprofile = "api-2500"\naddress = "manual:"\nloop = "B"\n'
    rest = edited(pultec, "")
    before = load_studio(write(tmp_path, rest + pultec + eq))
    after = load_studio(write(tmp_path, rest + eq + pultec))
    assert [u.name for u in before.units_in("B")] == ["Pultec", "EQ"]
    assert [u.name for u in after.units_in("B")] == ["EQ", "Pultec"]
    assert fingerprint(before) != fingerprint(after)


def test_the_dict_round_trips(tmp_path: Path) -> None:
    studio = load_studio(EXAMPLE)
    document = json.loads(json.dumps(studio_dict(studio)))
    assert studio_from_dict(document) == studio
    assert fingerprint(studio_from_dict(document)) == fingerprint(studio)


def test_a_stored_studio_is_validated_again() -> None:
    document = studio_dict(load_studio(EXAMPLE))
    document["units"][1]["loop"] = "Z"
    with pytest.raises(StudioError, match=r"^<studio>: unit 'Massive Passive': key 'loop' "
                                          r"names no loop \(loops: A, B\)$"):
        studio_from_dict(document)
    del document["interface"]
    with pytest.raises(StudioError, match=r"^<studio>: not a stored studio \(key 'interface' "
                                          r"is missing\)$"):
        studio_from_dict(document)


def test_show_json_is_the_studio(capsys) -> None:
    code, out, _ = run(capsys, "studio", "show", str(EXAMPLE), "--json")
    document = json.loads(out)
    assert code == 0 and out.count("\n") == 1
    assert document["file"] == str(EXAMPLE)
    assert document["fingerprint"] == fingerprint(load_studio(EXAMPLE))
    assert [lp["name"] for lp in document["loops"]] == ["A", "B"]
    assert document["loops"][0] == {"name": "A", "outputs": [3, 4], "inputs": [3, 4],
                                    "send_trim_db": 0.0, "return_trim_db": 0.0}
    assert {u["name"]: (u["loop"], u["position"]) for u in document["units"]} == {
        "Serial EQ": ("A", 1), "Massive Passive": ("A", 2), "API 2500": ("B", 1),
        "Finalizer": ("B", 2)}
    assert {"direction": "input", "channel": 3, "dbfs_at_plus4_dbu": -16.0} in \
        document["calibration"]


def test_show_gives_levels_in_dbfs_and_dbu(capsys, tmp_path: Path) -> None:
    code, out, _ = run(capsys, "studio", "show", str(write(tmp_path, BASE)))
    assert code == 0
    assert "Loop A: outputs 3-4 → inputs 3-4" in out
    assert "output 3: -18.0 dBFS = +4.0 dBu; 0 dBFS = +22.0 dBu" in out
    assert "input 3: -16.0 dBFS = +4.0 dBu; 0 dBFS = +20.0 dBu" in out
    assert "input 4: not calibrated" in out
    assert "send trim -1.5 dB" in out
    assert "1. Finalizer  (tc-finalizer-96k, midi:Port?channel=3)" in out


# ---------------------------------------------------------------------------- layering

PROBE = """
import json, sys
before = set(sys.modules)
import recall.studio
print(json.dumps(sorted({name.split('.')[0] for name in set(sys.modules) - before})))
"""


def test_the_studio_model_imports_only_the_standard_library() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                          check=True, cwd=ROOT)
    loaded = set(json.loads(done.stdout))
    assert "recall" in loaded
    assert loaded - {"recall"} <= set(sys.stdlib_module_names)


@pytest.mark.parametrize("module", ["studio.py", "errors.py"])
def test_the_studio_model_names_only_the_standard_library(module: str) -> None:
    tree = ast.parse((ROOT / "recall" / module).read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [] if node.level else [node.module or ""]
        else:
            continue
        for name in names:
            assert name.split(".")[0] in sys.stdlib_module_names | {"__future__"}, name
