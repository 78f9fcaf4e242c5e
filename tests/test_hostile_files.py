"""Hostile and malformed files, fuzzed: a studio file, a device profile or an audio file is
used, or refused with one line naming the file (exit code 2 through the command line); never
a traceback, a hang or a huge allocation, and a damaged source mix never reaches the library."""

from __future__ import annotations

import copy
import math
import os
import resource
import sqlite3
import struct
import subprocess
import sys
import tomllib
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from controller.audio.wavfile import Bext, PrintFileInfo, PrintWriter, read_info
from controller.demo import build_demo
from controller.errors import InputError
from controller.measure import MAX_RATE, MIN_RATE, measure_file
from controller.meter import MAX_CHANNELS, Measurement
from devices import values
from devices.errors import ProfileError
from devices.loader import PROFILE_DIR, find_profile, load_profile
from devices.profile import Profile
from recall.errors import StudioError
from recall.studio import Studio, fingerprint, load_studio
from recall.studio_table import NAME_LENGTH
from tests.signals import tone
from tests.test_studio import BASE as STUDIO_TEXT
from tui.cli import main
from tui.studio_cmd import show_lines

ROOT = Path(__file__).resolve().parent.parent
OUTBOARD = Path(sys.executable).with_name("outboard")
RATE = 48_000
# Loading a TOML file takes a millisecond, measuring an audio file ten: the budgets differ.
# The same temporary folder serves every example; each writes its file afresh.
FUZZ = settings(max_examples=100, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])
AUDIO_FUZZ = settings(FUZZ, max_examples=60)
# A message quoting a hostile value is cut short; the longest honest one lists every shipped
# profile or every key of a MIDI binding.
LONGEST_MESSAGE = 700


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def one_line(text: str) -> bool:
    """No line break and no control character (a terminal shows it as one line)."""
    return not any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in text)


def assert_one_line(message: str, path: Path | str) -> None:
    """One line, naming the file first, of a readable length."""
    assert message.startswith(f"{path}: "), message
    assert one_line(message), repr(message)
    assert len(message) < LONGEST_MESSAGE, message[:200]


def assert_refused_on_stderr(code: int, out: str, err: str, path: Path | str) -> None:
    """What the command line shows for bad input: exit 2, one line naming the file."""
    assert (code, out) == (2, ""), (code, out, err)
    assert "Traceback" not in err
    assert err.startswith("outboard: ") and err.endswith("\n") and err.count("\n") == 1, err
    assert_one_line(err.removeprefix("outboard: ").rstrip("\n"), path)


def loaded_or_refused(load: Callable[[Path], Any], path: Path,
                      error: type[Exception]) -> Any | None:
    """What ``load`` made of ``path``, or None once its refusal is checked; anything but
    ``error`` escapes and fails the test."""
    try:
        return load(path)
    except error as refused:
        assert_one_line(refused.message, path)  # type: ignore[attr-defined]
        return None


@contextmanager
def no_huge_allocation(limit_mb: int = 400) -> Iterator[None]:
    """The process's peak memory grows by less than ``limit_mb`` inside the block."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    yield
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < limit_mb, f"peak memory grew by {grown_mb:.0f} MB"


# ---------------------------------------------------------------------------- TOML, written


def toml_text(document: dict[str, Any]) -> str:
    """``document`` as TOML, one top-level key a line, everything below it inline."""
    return "".join(f"{_toml_string(key)} = {_toml_value(value)}\n"
                   for key, value in document.items())


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        return ("inf" if value > 0 else "-inf") if math.isinf(value) else repr(value)
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    return "{" + ", ".join(f"{_toml_string(k)} = {_toml_value(v)}"
                           for k, v in value.items()) + "}"


def _toml_string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + "".join(f"\\u{ord(c):04X}" if ord(c) < 0x20 or c == "\x7f" else c
                         for c in escaped) + '"'


# ---------------------------------------------------------------------------- strategies

# Characters that break lines, hide, reverse, end strings or go beyond Latin.
NASTY_CHARACTERS = "\x00\t\n\r\x0b\x1b\x7f\x85\xa0\u200b\u202e\u2028\u2029\ufeff/\\'\"é中ß🎛 "
hostile_text = st.one_of(
    st.text(max_size=24),
    st.text(alphabet=st.sampled_from(NASTY_CHARACTERS), min_size=1, max_size=12),
    st.builds(lambda piece, count: piece * count,
              st.sampled_from(["x", "é", "中", "🎛", "ab\n"]), st.integers(30, 3000)),
)
absurd_numbers = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, -1, 1, 16, 8192, 768_001, 2**31, 2**32 - 1, 2**63 - 1, -(2**63)]),
    st.floats(),  # NaN, infinities, subnormals and the largest floats among them
)
toml_scalars = st.one_of(st.booleans(), absurd_numbers, hostile_text, st.dates(),
                         st.datetimes(), st.times())
toml_values = st.recursive(
    toml_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(hostile_text, inner,
                                                                max_size=3),
    max_leaves=8)


def places(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """The path of every value in a parsed TOML document, containers before their items."""
    items = node.items() if isinstance(node, dict) else enumerate(node)
    for key, value in items:
        yield (*path, key)
        if isinstance(value, dict | list):
            yield from places(value, (*path, key))


def tables(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """The path of every table in a parsed TOML document, the document itself first."""
    if isinstance(node, dict):
        yield path
    items = node.items() if isinstance(node, dict) else enumerate(node)
    for key, value in items:
        if isinstance(value, dict | list):
            yield from tables(value, (*path, key))


def at(document: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        document = document[key]
    return document


def mutated(data: st.DataObject, document: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``document`` with one to three values replaced, removed or added."""
    document = copy.deepcopy(document)
    keys = sorted({p[-1] for p in places(document) if isinstance(p[-1], str)})
    for _ in range(data.draw(st.integers(1, 3), label="changes")):
        action = data.draw(st.sampled_from(["replace", "remove", "add"]), label="action")
        where = list(places(document))
        if action == "add" or not where:
            table = at(document, data.draw(st.sampled_from(list(tables(document))),
                                           label="table"))
            key = data.draw(st.sampled_from(keys) | hostile_text, label="key")
            table[key] = data.draw(toml_values, label="value")
            continue
        path = data.draw(st.sampled_from(where), label="path")
        if action == "remove":
            del at(document, path[:-1])[path[-1]]
        else:
            at(document, path[:-1])[path[-1]] = data.draw(toml_values, label="value")
    return document


@st.composite
def damaged_bytes(draw: st.DrawFn, original: bytes) -> bytes:
    """``original`` cut short, or with bytes overwritten or slipped in (often not UTF-8)."""
    kind = draw(st.sampled_from(["cut", "overwrite", "insert"]))
    if kind == "cut":
        return original[:draw(st.integers(0, len(original) - 1))]
    damaged = bytearray(original)
    for _ in range(draw(st.integers(1, 6))):
        where = draw(st.integers(0, len(damaged) - 1))
        junk = draw(st.binary(min_size=1, max_size=4) | st.sampled_from(
            [b"\xff", b"\xc3", b"\x00", b"[", b'"', b"=", b"\n", b"\xe2\x80\xa8"]))
        if kind == "overwrite":
            damaged[where:where + len(junk)] = junk
        else:
            damaged[where:where] = junk
    return bytes(damaged)


# ---------------------------------------------------------------------------- studio files

STUDIO = tomllib.loads(STUDIO_TEXT)


def check_studio(studio: Studio) -> None:
    """What every loaded studio satisfies, whatever its file held."""
    for name in (studio.name, *(lp.name for lp in studio.loops),
                 *(u.name for u in studio.units)):
        assert one_line(name) and len(name) <= NAME_LENGTH, repr(name)
    assert 8_000 <= studio.sample_rate <= 768_000 and 16 <= studio.buffer_frames <= 8192
    for loop in studio.loops:
        assert math.isfinite(loop.send_trim_db) and math.isfinite(loop.return_trim_db)
    assert all(math.isfinite(c.dbfs_at_plus4_dbu) for c in studio.calibration)
    assert len(fingerprint(studio)) == 64  # canonical JSON: no NaN slipped through
    assert all(one_line(line) for line in show_lines(studio))


def test_the_fuzzers_toml_writer_round_trips_the_valid_files() -> None:
    assert tomllib.loads(toml_text(STUDIO)) == STUDIO
    for document, _ in PROFILES:
        assert tomllib.loads(toml_text(document)) == document


@FUZZ
@given(data=st.data())
def test_a_mutated_studio_file_loads_or_is_refused_in_one_line(tmp_path: Path,
                                                               data: st.DataObject) -> None:
    path = tmp_path / "studio.toml"
    path.write_text(toml_text(mutated(data, STUDIO)), encoding="utf-8")
    studio = loaded_or_refused(load_studio, path, StudioError)
    if studio is not None:
        check_studio(studio)


@FUZZ
@given(text=damaged_bytes(STUDIO_TEXT.encode()))
def test_a_damaged_studio_file_loads_or_is_refused_in_one_line(tmp_path: Path,
                                                               text: bytes) -> None:
    path = tmp_path / "studio.toml"
    path.write_bytes(text)
    studio = loaded_or_refused(load_studio, path, StudioError)
    if studio is not None:
        check_studio(studio)


NAMES = [("studio", "name"), ("loop", 0, "name"), ("loop", 1, "name"), ("unit", 0, "name"),
         ("unit", 1, "profile"), ("unit", 0, "address")]


@FUZZ
@given(where=st.sampled_from(NAMES), name=hostile_text)
def test_hostile_names_in_a_studio_file(tmp_path: Path, where: tuple[Any, ...],
                                        name: str) -> None:
    document = copy.deepcopy(STUDIO)
    at(document, where[:-1])[where[-1]] = name
    path = tmp_path / "studio.toml"
    path.write_text(toml_text(document), encoding="utf-8")
    studio = loaded_or_refused(load_studio, path, StudioError)
    if studio is not None:
        check_studio(studio)
        assert one_line(name)


NUMBERS = {("spec",): (1, 1), ("interface", "sample_rate"): (8_000, 768_000),
           ("interface", "buffer_frames"): (16, 8192), ("loop", 1, "send_trim_db"): (-24, 24),
           ("loop", 0, "outputs", 0): (1, 1024), ("calibration", 1, "channel"): (1, 1024),
           ("calibration", 0, "dbfs_at_plus4_dbu"): (-40, 10)}


@FUZZ
@given(where=st.sampled_from(sorted(NUMBERS, key=str)), number=absurd_numbers)
def test_absurd_numbers_in_a_studio_file(tmp_path: Path, where: tuple[Any, ...],
                                         number: int | float) -> None:
    document = copy.deepcopy(STUDIO)
    at(document, where[:-1])[where[-1]] = number
    path = tmp_path / "studio.toml"
    path.write_text(toml_text(document), encoding="utf-8")
    studio = loaded_or_refused(load_studio, path, StudioError)
    if studio is not None:
        low, high = NUMBERS[where]
        assert low <= number <= high
        check_studio(studio)


# Files no fuzzer above reaches: nesting deeper than the parser's recursion, numbers longer
# than Python converts, and a megabyte where a number goes.
OVERSIZED = {
    "nested arrays": "spec = 1\nx = " + "[" * 5000 + "]" * 5000 + "\n",
    "nested tables": "spec = 1\nx = " + "{a = " * 3000 + "1" + "}" * 3000 + "\n",
    "a 5000-digit number": "spec = 1\nx = " + "9" * 5000 + "\n",
    "a 5000-digit hex spec": "spec = 0x" + "f" * 5000 + "\n",
    "a megabyte spec": 'spec = "' + "x" * 2**20 + '"\n',
}


@pytest.mark.parametrize("text", OVERSIZED.values(), ids=OVERSIZED)
@pytest.mark.parametrize(("load", "error"), [(load_studio, StudioError),
                                             (load_profile, ProfileError)],
                         ids=["studio", "profile"])
def test_oversized_toml_is_refused_in_one_line(tmp_path: Path, text: str,
                                               load: Callable[[Path], Any],
                                               error: type[Exception]) -> None:
    path = tmp_path / "file.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(error) as refused:
        load(path)
    assert_one_line(refused.value.message, path)  # type: ignore[attr-defined]


HOSTILE_STUDIOS = {
    "nested too deeply": "spec = 1\nx = " + "[" * 5000 + "]" * 5000 + "\n",
    "a 5000-digit rate": STUDIO_TEXT.replace("48000", "0x" + "f" * 5000),
    "cut in a table": STUDIO_TEXT[:STUDIO_TEXT.index("[[loop]]") + 5],
    "a line break in a unit name": STUDIO_TEXT.replace('"Pultec"', '"Pul\\ntec"'),
    "a line separator in a loop name": STUDIO_TEXT.replace('name = "A"', 'name = "A\u2028B"'),
    "a NUL in a profile": STUDIO_TEXT.replace('"pultec-eqp-1a"', '"gear/\\u0000.toml"'),
}
HOSTILE_STUDIO_BYTES = {name: text.encode() for name, text in HOSTILE_STUDIOS.items()}
HOSTILE_STUDIO_BYTES["not UTF-8"] = STUDIO_TEXT.encode().replace(b"Test Room", b"Test \xff Room")


@pytest.mark.parametrize("action", ["check", "show"])
@pytest.mark.parametrize("content", HOSTILE_STUDIO_BYTES.values(), ids=HOSTILE_STUDIO_BYTES)
def test_studio_commands_refuse_a_hostile_file_in_one_line(capsys, tmp_path: Path,
                                                           content: bytes, action: str) -> None:
    path = tmp_path / "studio.toml"
    path.write_bytes(content)
    assert_refused_on_stderr(*run(capsys, "studio", action, str(path)), path)


@pytest.mark.parametrize("profile", ["x" * 5000, "x" * 300 + ".toml", "no-such-ünit ⚙",
                                     "gear/missing.toml", "."],
                         ids=["5000 characters", "a name too long", "unknown", "missing", "."])
def test_studio_check_refuses_a_unit_whose_profile_cannot_be_found(capsys, tmp_path: Path,
                                                                   profile: str) -> None:
    path = tmp_path / "studio.toml"
    path.write_text(STUDIO_TEXT.replace('"pultec-eqp-1a"', _toml_string(profile)),
                    encoding="utf-8")
    code, out, err = run(capsys, "studio", "check", str(path))
    assert_refused_on_stderr(code, out, err, path)
    assert "unit 'Pultec': key 'profile': " in err


# A digit Python counts as one ('²'), 5000 digits, and line breaks in an option's name or
# value: one line each.
@pytest.mark.parametrize("address", ["midi:Port?channel=²", "midi:Port?channel=" + "1" * 5000,
                                     "midi:Port?channel=1%0Ax", "midi:Port?chan%0Anel=1"],
                         ids=["superscript digit", "5000 digits", "value", "option name"])
def test_studio_check_refuses_a_hostile_address_in_one_line(capsys, tmp_path: Path,
                                                            address: str) -> None:
    path = tmp_path / "studio.toml"
    path.write_text(STUDIO_TEXT.replace("midi:Port?channel=3", address), encoding="utf-8")
    assert_refused_on_stderr(*run(capsys, "studio", "check", str(path)), path)


def test_the_studio_console_script_refuses_a_file_nested_too_deeply(tmp_path: Path) -> None:
    path = tmp_path / "studio.toml"
    path.write_text(HOSTILE_STUDIOS["nested too deeply"], encoding="utf-8")
    done = subprocess.run([str(OUTBOARD), "studio", "check", str(path)], capture_output=True,
                          text=True, timeout=60, cwd=ROOT)
    assert_refused_on_stderr(done.returncode, done.stdout, done.stderr, path)
    assert done.stderr == (f"outboard: {path}: not valid TOML (arrays or tables nested too "
                           "deeply)\n")


# ---------------------------------------------------------------------------- device profiles

BINARY_SERIAL_WITH_DUMP = """
spec = 1
[unit]
manufacturer = "Test"
model = "Binary"
kind = "eq"
layout = "stereo"
control = "serial"
provenance = "tests"
verified = false
[serial]
binary = true
ack = "06"
[dump]
request = "02 44 03"
reply = "02 44 {param=gain:u16be} {param=mode} {checksum:xor@1} 03"
[[parameter]]
id = "gain"
name = "Gain"
kind = "continuous"
min = -12.0
max = 12.0
centre = 0.0
resolution = 0.5
[parameter.serial]
set = "02 47 {value:u16be} {checksum:xor@1} 03"
wire_max = 1000
wire_centre = 500
[[parameter]]
id = "mode"
name = "Mode"
kind = "stepped"
detents = [{label = "A", value = 1}, 2, 3.5]
[parameter.serial]
set = "02 4D {value} 03"
wire_values = [1, 5, 9]
"""
PROFILES = [(tomllib.loads((PROFILE_DIR / f"{key}.toml").read_text()), key)
            for key in ("generic-midi-cc", "generic-serial-ascii", "stepped-attenuator",
                        "diy-motor-fader-mcu", "tc-finalizer-96k")]
PROFILES.append((tomllib.loads(BINARY_SERIAL_WITH_DUMP), "binary-serial-with-dump"))


def check_profile(profile: Profile) -> None:
    """A loaded profile can be used: every parameter's range goes to the wire and back, and
    what it shows is one line."""
    for text in (profile.manufacturer, profile.model, profile.kind):
        assert one_line(text)
    for parameter in profile.parameters:
        binding = parameter.midi or parameter.serial
        wire = {"wire_min": 0, "wire_max": 127} if binding is None else {
            "wire_min": binding.wire_min, "wire_max": binding.wire_max,
            "wire_values": binding.wire_values, "wire_centre": binding.wire_centre}
        for value in (parameter.minimum, parameter.default, parameter.maximum):
            assert math.isfinite(value)
            sent = values.to_wire(parameter, value, **wire)
            assert math.isfinite(values.from_wire(parameter, sent, **wire))
            assert one_line(values.label(parameter, value))


@FUZZ
@given(base=st.sampled_from(PROFILES), data=st.data())
def test_a_mutated_profile_loads_or_is_refused_in_one_line(
        tmp_path: Path, base: tuple[dict[str, Any], str], data: st.DataObject) -> None:
    document, key = base
    path = tmp_path / f"{key}.toml"
    path.write_text(toml_text(mutated(data, document)), encoding="utf-8")
    profile = loaded_or_refused(load_profile, path, ProfileError)
    if profile is not None:
        check_profile(profile)


@FUZZ
@given(base=st.sampled_from(PROFILES), data=st.data())
def test_a_damaged_profile_file_loads_or_is_refused_in_one_line(
        tmp_path: Path, base: tuple[dict[str, Any], str], data: st.DataObject) -> None:
    document, key = base
    path = tmp_path / f"{key}.toml"
    path.write_bytes(data.draw(damaged_bytes(toml_text(document).encode())))
    profile = loaded_or_refused(load_profile, path, ProfileError)
    if profile is not None:
        check_profile(profile)


PROFILE_TEXTS = [("unit", "manufacturer"), ("unit", "model"), ("parameter", 0, "name"),
                 ("parameter", 0, "id"), ("parameter", 1, "section"), ("parameter", 1, "unit"),
                 ("parameter", 1, "detents", 0, "label"), ("parameter", 0, "serial", "set"),
                 ("dump", "reply"), ("serial", "ack")]


@FUZZ
@given(where=st.sampled_from(PROFILE_TEXTS), text=hostile_text)
def test_hostile_text_in_a_profile_loads_or_is_refused_in_one_line(
        tmp_path: Path, where: tuple[Any, ...], text: str) -> None:
    document = tomllib.loads(BINARY_SERIAL_WITH_DUMP)
    document["parameter"][1] |= {"unit": "dB", "section": "Main"}  # for the text to replace
    at(document, where[:-1])[where[-1]] = text
    path = tmp_path / "unit.toml"
    path.write_text(toml_text(document), encoding="utf-8")
    profile = loaded_or_refused(load_profile, path, ProfileError)
    if profile is not None:
        check_profile(profile)


@pytest.mark.parametrize(("detents", "shown"), [
    ("[nan, 2]", "detents[0]' must be a finite number or a {label"),
    ("[1, inf]", "detents[1]' must be a finite number"),
    ("[1, -inf]", "detents[1]' must be a finite number"),
    ("[true, 2]", "detents[0]' must be a finite number"),
    ('[{label = "a", value = nan}, 2]', "detents[0]' must be a finite number"),
    ('[{label = "a", value = false}, 2]', "detents[0]' must be a finite number"),
])
def test_a_detent_that_is_not_a_finite_number_is_refused(tmp_path: Path, detents: str,
                                                         shown: str) -> None:
    path = tmp_path / "unit.toml"
    path.write_text(BINARY_SERIAL_WITH_DUMP.replace(
        'detents = [{label = "A", value = 1}, 2, 3.5]', f"detents = {detents}").replace(
        "wire_values = [1, 5, 9]", "wire_values = [1, 5]"))
    with pytest.raises(ProfileError) as refused:
        load_profile(path)
    assert_one_line(refused.value.message, path)
    assert f"parameter 'mode': key '{shown}" in refused.value.message


@pytest.mark.parametrize(("change", "message"), [
    ("min = -1.7e308\nmax = 1.7e308\n", "key 'max' must be less than 1.8e+308 above min, "
     "got 1.7e+308"),
    ("min = 5e-324\nmax = 1.0\ntaper = 'log'\n", "key 'min' must be above max / 1.8e+308 "
     "for a log taper, got 5e-324"),
    ("min = 0.0\nmax = 1e300\nresolution = 1e-300\n", "key 'resolution' must be 0 or above "
     "(max - min) / 1.8e+308, got 1e-300"),
])
def test_a_range_too_wide_to_compute_is_refused(tmp_path: Path, change: str,
                                                message: str) -> None:
    path = tmp_path / "unit.toml"
    path.write_text(BINARY_SERIAL_WITH_DUMP.replace(
        "min = -12.0\nmax = 12.0\ncentre = 0.0\nresolution = 0.5\n", change).replace(
        "wire_centre = 500\n", ""))
    with pytest.raises(ProfileError) as refused:
        load_profile(path)
    assert refused.value.message == f"{path}: parameter 'gain': {message}"


@settings(max_examples=150, deadline=None)
@given(name=hostile_text)
def test_any_profile_name_is_found_or_refused_in_one_line(name: str) -> None:
    try:
        find_profile(name)
    except ProfileError as refused:
        assert one_line(refused.message) and len(refused.message) < LONGEST_MESSAGE


# ---------------------------------------------------------------------------- audio files

FORMATS = {"wav": ("WAV", "PCM_16"), "float wav": ("WAV", "FLOAT"), "aiff": ("AIFF", "PCM_24"),
           "flac": ("FLAC", "PCM_24")}


def audio_file(folder: Path, name: str, *, seconds: float = 0.25) -> Path:
    """Stereo noise in the format ``name`` (a key of FORMATS), whole."""
    container, subtype = FORMATS[name]
    path = folder / f"whole.{container.lower()}"
    noise = np.random.default_rng(7).uniform(-0.5, 0.5, (int(seconds * RATE), 2))
    sf.write(str(path), noise, RATE, format=container, subtype=subtype)
    return path


def check_measurement(measured: Measurement, most_frames: int) -> None:
    assert MIN_RATE <= measured.sample_rate <= MAX_RATE
    assert 1 <= measured.channels <= MAX_CHANNELS
    assert 0 <= measured.frames <= most_frames
    assert measured.sample_peak_dbfs is None or not math.isnan(measured.sample_peak_dbfs)


@AUDIO_FUZZ
@given(name=st.sampled_from(sorted(FORMATS)), data=st.data())
def test_a_cut_audio_file_is_refused_in_one_line(tmp_path: Path, name: str,
                                                 data: st.DataObject) -> None:
    whole = audio_file(tmp_path, name).read_bytes()
    path = tmp_path / f"cut.{FORMATS[name][0].lower()}"
    path.write_bytes(whole[:data.draw(st.integers(0, len(whole) - 1), label="length")])
    with pytest.raises(InputError) as refused:
        measure_file(path)
    assert_one_line(refused.value.message, path)


@AUDIO_FUZZ
@given(cut=st.integers(0, 12_000))
def test_a_cut_wav_whose_header_leaves_the_size_open_is_measured(tmp_path: Path,
                                                                 cut: int) -> None:
    # A recorder that streams leaves the sizes at 0xFFFFFFFF until it stops: what is there
    # is the file, and its measurement covers exactly that.
    whole = bytearray(audio_file(tmp_path, "wav").read_bytes())
    data_at = whole.index(b"data")
    whole[4:8] = whole[data_at + 4:data_at + 8] = b"\xff\xff\xff\xff"
    path = tmp_path / "streamed.wav"
    path.write_bytes(bytes(whole[:data_at + 8 + cut]))
    measured = measure_file(path)
    assert measured.frames == cut // 4
    check_measurement(measured, cut // 4)


@AUDIO_FUZZ
@given(name=st.sampled_from(sorted(FORMATS)), data=st.data())
def test_random_bytes_in_an_audio_header_are_measured_or_refused_in_one_line(
        tmp_path: Path, name: str, data: st.DataObject) -> None:
    whole = bytearray(audio_file(tmp_path, name).read_bytes())
    for _ in range(data.draw(st.integers(1, 8), label="bytes")):
        where = data.draw(st.integers(0, 95), label="offset")
        whole[where] = data.draw(st.sampled_from([0, 1, 0x7F, 0x80, 0xFF]) | st.integers(0, 255),
                                 label="byte")
    path = tmp_path / f"damaged.{FORMATS[name][0].lower()}"
    path.write_bytes(bytes(whole))
    with no_huge_allocation():
        measured = loaded_or_refused(measure_file, path, InputError)
    if measured is not None:
        check_measurement(measured, len(whole))


def riff(*, rate: int = RATE, channels: int = 2, bits: int = 16, tag: int = 1,
         data_size: int | None = None, audio: bytes = bytes(4800)) -> bytes:
    """A plain RIFF WAV whose fmt and data fields say whatever they are told."""
    align = (channels * bits // 8) & 0xFFFF
    fmt = struct.pack("<HHIIHH", tag, channels, rate, (rate * align) & 0xFFFFFFFF, align, bits)
    size = len(audio) if data_size is None else data_size
    body = (b"WAVEfmt " + struct.pack("<I", len(fmt)) + fmt + b"data"
            + struct.pack("<I", size) + audio)
    return b"RIFF" + struct.pack("<I", len(body)) + body


@AUDIO_FUZZ
@given(rate=st.sampled_from([0, 1, 7_999, 768_001, 2**31, 2**32 - 1]) | st.integers(0, 2**32 - 1),
       channels=st.sampled_from([0, 1, 2, 7, 255, 65_535]) | st.integers(0, 65_535),
       bits=st.sampled_from([0, 8, 16, 24, 32, 64, 65_535]),
       tag=st.sampled_from([1, 3, 0, 0x55, 0xFFFE]),
       data_size=st.none() | st.integers(0, 2**32 - 1))
def test_a_forged_riff_header_is_measured_or_refused_in_one_line(
        tmp_path: Path, rate: int, channels: int, bits: int, tag: int,
        data_size: int | None) -> None:
    path = tmp_path / "forged.wav"
    path.write_bytes(riff(rate=rate, channels=channels, bits=bits, tag=tag, data_size=data_size))
    with no_huge_allocation():
        measured = loaded_or_refused(measure_file, path, InputError)
    if measured is not None:
        check_measurement(measured, 4800)


ABSURD_HEADERS = {
    "rate 0": (riff(rate=0), "not a readable audio file"),
    "rate 1": (riff(rate=1), "sample rate 1 Hz is outside 8000-768000 Hz"),
    "rate 2**32-1": (riff(rate=2**32 - 1), "not a readable audio file"),
    "0 channels": (riff(channels=0), "not a readable audio file"),
    "65535 channels": (riff(channels=65_535), "not a readable audio file"),
    "data beyond the end": (riff(data_size=2**32 - 2), "truncated: the WAV header promises "
                            "4294962494 more bytes of audio than the file holds"),
    "data a byte long": (riff(data_size=4801), "truncated: the WAV header promises 1 more"),
    "no bits": (riff(bits=0), "not a readable audio file"),
    "zero length": (b"", "not a readable audio file"),
    "RIFF alone": (b"RIFF", "not a readable audio file"),
}


def test_measure_refuses_each_absurd_header_in_one_line(capsys, tmp_path: Path) -> None:
    paths = []
    for index, (content, _) in enumerate(ABSURD_HEADERS.values()):
        paths.append(tmp_path / f"absurd-{index}.wav")
        paths[-1].write_bytes(content)
    code, out, err = run(capsys, "measure", "--json", *map(str, paths))
    assert code == 2 and "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == len(paths) and len(out.splitlines()) == len(paths)
    for line, path, (case, (_, message)) in zip(lines, paths, ABSURD_HEADERS.items(),
                                                strict=True):
        assert_one_line(line.removeprefix("outboard: "), path)
        assert message in line, (case, line)


def test_measure_of_a_pipe_or_a_device_is_refused_not_waited_on(tmp_path: Path) -> None:
    fifo = tmp_path / "mix.wav"
    os.mkfifo(fifo)  # nothing will ever write to it: reading it would wait for ever
    cut = tmp_path / "cut.flac"
    cut.write_bytes(audio_file(tmp_path, "flac").read_bytes()[:3000])
    done = subprocess.run([str(OUTBOARD), "measure", str(fifo), "/dev/zero", str(cut)],
                          capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert (done.returncode, done.stdout) == (2, ""), done.stderr
    assert "Traceback" not in done.stderr
    first, second, third = done.stderr.splitlines()
    assert first == f"outboard: {fifo}: not a regular file (a pipe or a device), not an audio file"
    assert second == ("outboard: /dev/zero: not a regular file (a pipe or a device), not an "
                      "audio file")
    assert third.startswith(f"outboard: {cut}: truncated or corrupt: the header promises 12000 "
                            "frames and the last cannot be read (")


@pytest.fixture(scope="module")
def print_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A short print as Outboard writes them: bext, iXML, 24-bit."""
    path = tmp_path_factory.mktemp("print") / "print.wav"
    with PrintWriter(path, sample_rate=RATE, channels=2, bext=Bext(
            description="take 1", origination_date="2025-01-31", origination_time="10:00:00",
            coding_history="A=PCM,F=48000,W=24,M=stereo\r\n"), ixml="<BWFXML/>") as writer:
        writer.write(tone(-20.0, 0.05, RATE))
    return path


@AUDIO_FUZZ
@given(data=st.data())
def test_a_damaged_print_header_reads_or_is_refused_naming_the_file(
        tmp_path: Path, print_file: Path, data: st.DataObject) -> None:
    whole = print_file.read_bytes()
    damaged = bytearray(whole)
    if data.draw(st.booleans(), label="cut"):
        del damaged[data.draw(st.integers(0, len(whole) - 1), label="length"):]
    else:
        for _ in range(data.draw(st.integers(1, 8), label="bytes")):
            damaged[data.draw(st.integers(0, 700), label="offset")] = data.draw(
                st.integers(0, 255), label="byte")
    path = tmp_path / "print.wav"
    path.write_bytes(bytes(damaged))
    try:
        info = read_info(path)
    except ValueError as refused:
        assert_one_line(str(refused), path)
        return
    assert isinstance(info, PrintFileInfo)
    assert 0 <= info.frames * info.channels <= len(damaged)


# ---------------------------------------------------------------------------- source mixes

SONG = "Night Drive/Opener"


@pytest.fixture(scope="module")
def demo_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One demo library and studio for the module: every test here leaves them as they were,
    which is what each asserts."""
    folder = tmp_path_factory.mktemp("demo")
    build_demo(folder)
    return folder


@pytest.fixture
def demo(demo_folder: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("OUTBOARD_LIBRARY", str(demo_folder / "library.sqlite"))
    monkeypatch.setenv("OUTBOARD_STUDIO", str(demo_folder / "demo-studio.toml"))
    return demo_folder


def library_state(folder: Path) -> tuple[int, int, list[tuple[str, str]]]:
    """Takes, pings, and each song's source path and checksum, read from the SQLite file."""
    with sqlite3.connect(f"file:{folder / 'library.sqlite'}?mode=ro", uri=True) as database:
        takes = database.execute("SELECT COUNT(*) FROM print").fetchone()[0]
        pings = database.execute("SELECT COUNT(*) FROM ping").fetchone()[0]
        sources = database.execute(
            "SELECT source_path, source_sha256 FROM song ORDER BY id").fetchall()
    return takes, pings, sources


@st.composite
def damaged_mix(draw: st.DrawFn, whole: bytes) -> tuple[str, bytes]:
    """How a mix file is damaged, and what it then holds: cut short, junk after "RIFF",
    emptied; or gone, or a folder in its place (holding nothing)."""
    kind = draw(st.sampled_from(["cut", "junk", "empty", "gone", "folder"]))
    if kind == "cut":
        return kind, whole[:draw(st.integers(0, len(whole) - 1))]
    if kind == "junk":
        return kind, whole[:4] + draw(st.binary(min_size=1, max_size=200))
    return kind, b""


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_damaged_source_mix_is_refused_before_the_library_changes(
        demo: Path, capsys, data: st.DataObject) -> None:
    mix = demo / "01 Opener.wav"
    whole = (demo / "02 Slow Burn.wav").read_bytes()  # the same kind of file, left alone
    before = library_state(demo)
    assert before[2][0][0] == str(mix.resolve())
    kind, content = data.draw(damaged_mix(whole), label="mix")
    if mix.is_dir():
        mix.rmdir()
    mix.unlink(missing_ok=True)
    if kind == "folder":
        mix.mkdir()
    elif kind != "gone":
        mix.write_bytes(content)
    code, out, err = run(capsys, "print", SONG)
    assert_refused_on_stderr(code, out, err, mix.resolve())
    assert library_state(demo) == before


@pytest.mark.parametrize("damage", ["cut", "junk", "empty", "folder", "flac cut"])
def test_a_damaged_mix_is_not_recorded_as_a_song_source(demo: Path, capsys,
                                                        damage: str) -> None:
    whole = (demo / "02 Slow Burn.wav").read_bytes()
    bad = demo / f"{damage}.wav"
    if damage == "folder":
        bad.mkdir()
    elif damage == "flac cut":
        bad = demo / "cut.flac"
        bad.write_bytes(audio_file(demo, "flac", seconds=2.0).read_bytes()[:20_000])
    else:
        bad.write_bytes({"cut": whole[:len(whole) // 2], "junk": whole[:4] + b"\x00" * 64,
                         "empty": b""}[damage])
    before = library_state(demo)
    code, out, err = run(capsys, "song", "set", SONG, "--source", str(bad))
    assert_refused_on_stderr(code, out, err, bad)
    assert library_state(demo) == before


@pytest.mark.parametrize("name", ["wav", "aiff"])
def test_a_mix_too_big_for_its_header_is_refused_not_cut(demo: Path, capsys, tmp_path: Path,
                                                         name: str) -> None:
    # Three hours at 96 kHz is 6.2 GB: a plain WAV or AIFF cannot say so, and a reader takes
    # its first 4 GiB for the whole mix. (The file is sparse: it takes no room on the disk.)
    big = audio_file(tmp_path, name)
    with big.open("r+b") as handle:
        handle.truncate(5 * 2**30)
    before = library_state(demo)
    code, out, err = run(capsys, "song", "set", SONG, "--source", str(big))
    assert_refused_on_stderr(code, out, err, big)
    assert "5.0 GiB is more than a" in err and "save it as RF64, W64 or FLAC" in err
    assert library_state(demo) == before
    code, out, err = run(capsys, "measure", str(big))
    assert_refused_on_stderr(code, out, err, big)


def test_a_file_name_with_a_line_break_is_shown_on_one_line(capsys, tmp_path: Path) -> None:
    bad = tmp_path / "mix\nfinal\x1b[2J.wav"
    bad.write_bytes(b"junk")
    code, out, err = run(capsys, "measure", str(bad))
    assert (code, out) == (2, "")
    assert err == (f"outboard: {tmp_path}/mix\\nfinal\\x1b[2J.wav: not a readable audio file "
                   "(Format not recognised.)\n")


def test_a_mix_saved_over_since_it_was_set_is_not_printed_under_its_name(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    # Another mix of the same length saved over the one the song was given: a print of it
    # would carry the old mix's checksum in its metadata. (A demo of its own: this one prints.)
    demo = tmp_path
    build_demo(demo)
    monkeypatch.setenv("OUTBOARD_LIBRARY", str(demo / "library.sqlite"))
    monkeypatch.setenv("OUTBOARD_STUDIO", str(demo / "demo-studio.toml"))
    mix = demo / "01 Opener.wav"
    audio, rate = sf.read(str(mix), dtype="float32")
    sf.write(str(mix), audio * 0.5, rate, subtype="PCM_24")
    before = library_state(demo)
    code, out, err = run(capsys, "print", SONG)
    assert_refused_on_stderr(code, out, err, mix.resolve())
    assert "the mix has changed since it was set for 'Night Drive/Opener'" in err
    assert library_state(demo) == before
    assert run(capsys, "song", "set", SONG, "--source", str(mix))[0] == 0
    code, out, err = run(capsys, "print", SONG, "--no-fingerprint")
    assert code == 0, err
    assert library_state(demo)[0] == before[0] + 1
