"""Recall verified by audio on the simulated loop: the chain's fingerprint (which bands moved,
at which levels, and the control that explains it) and an excerpt nulled against the print."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from controller.audio.fingerprint import fingerprint_shifts, take_fingerprint
from controller.audio.loops import loop_setup
from controller.demo import build_demo
from recall.library import Library
from recall.studio import studio_from_document
from tui.cli import main

SONG = "Night Drive/Opener"


def studio():
    return studio_from_document({
        "spec": 1, "studio": {"name": "Sim"},
        "interface": {"host_api": "simulated", "sample_rate": 48_000, "buffer_frames": 256},
        "loop": [{"name": "A", "outputs": [1, 2], "inputs": [1, 2]}],
        "unit": [{"name": "Pultec", "profile": "pultec-eqp-1a", "address": "manual:",
                  "loop": "A"},
                 {"name": "API", "profile": "api-2500", "address": "manual:", "loop": "A"}]},
        "sim.toml")


SETTINGS = {"Pultec": {"low_freq": 100.0, "low_boost": 3.0, "high_boost": 2.0},
            "API": {"threshold": 0.0, "ratio": 4.0}}


def fingerprint(changes: dict[str, dict[str, float]] | None = None):
    settings = {u: {**v, **(changes or {}).get(u, {})} for u, v in SETTINGS.items()}
    return take_fingerprint(loop_setup(studio(), "A",
                                       unit_values=lambda unit: settings[unit.name]))


def test_the_same_settings_give_the_same_fingerprint() -> None:
    first, second = fingerprint(), fingerprint()
    assert first.levels_dbfs == (-30.0, -18.0, -6.0) and len(first.centres_hz) == 56
    assert fingerprint_shifts(first, second, threshold_db=0.05) == ()


def test_an_eq_knob_moves_its_bands_at_every_level() -> None:
    shifts = fingerprint_shifts(fingerprint(), fingerprint({"Pultec": {"low_boost": 5.0}}))
    assert shifts and max(s.centre_hz for s in shifts) < 300
    assert {s.level_dbfs for s in shifts} == {-30.0, -18.0, -6.0}
    assert all(s.delta_db > 0 for s in shifts)


def test_a_threshold_moves_the_loud_sweeps_not_the_quiet_one() -> None:
    shifts = fingerprint_shifts(fingerprint(), fingerprint({"API": {"threshold": -6.0}}))
    levels = {s.level_dbfs for s in shifts}
    assert -6.0 in levels and -30.0 not in levels
    assert all(s.delta_db < 0 for s in shifts)


# ---------------------------------------------------------------------------- the command


@pytest.fixture
def printed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The demo with Opener revision 2 printed (and fingerprinted)."""
    library, _ = build_demo(tmp_path)
    monkeypatch.setenv("OUTBOARD_LIBRARY", str(library))
    monkeypatch.setenv("OUTBOARD_STUDIO", str(tmp_path / "demo-studio.toml"))
    assert main(["print", SONG, "--tail", "0"]) == 0
    return tmp_path


def run(capsys, *argv: str, stdin: str = "") -> tuple[int, str, str]:
    capsys.readouterr()
    sys.stdin = io.StringIO(stdin)
    try:
        code = main(list(argv))
    finally:
        sys.stdin = sys.__stdin__
    out, err = capsys.readouterr()
    return code, out, err


def recall_with_low_boost(capsys, value: str) -> None:
    """Recall Opener, the Pultec's Low Boost (its second control) set by hand to ``value``."""
    code, out, _ = run(capsys, "recall", SONG, stdin="\n" + value + "\n" + "\n" * 60)
    assert code == 0, out


def test_print_keeps_the_chains_fingerprint(printed: Path) -> None:
    with Library(printed / "library.sqlite") as library:
        stored = library.latest_fingerprint(SONG, 2)
    assert stored is not None and stored.loop == "A"
    assert len(stored.document["magnitude_db"]) == 3


def test_a_faithful_recall_verifies_by_fingerprint_and_by_null(printed: Path, capsys) -> None:
    recall_with_low_boost(capsys, "")
    code, out, _ = run(capsys, "verify", SONG, "--fingerprint")
    assert code == 0 and out.startswith("verified:")
    code, out, _ = run(capsys, "verify", SONG, "--json")
    verdict = json.loads(out)
    assert code == 0 and verdict["verified"] and verdict["differing_bands"] == []
    assert verdict["comparison"]["null_depth_db"] < -60


def test_one_knob_off_is_caught_and_named(printed: Path, capsys) -> None:
    recall_with_low_boost(capsys, "3")  # the revision has 4.5
    code, out, _ = run(capsys, "verify", SONG, "--fingerprint", "--json")
    verdict = json.loads(out)
    assert code == 1 and not verdict["verified"]
    assert max(s["centre_hz"] for s in verdict["shifts"]) < 300
    top = verdict["suspects"][0]
    assert (top["unit"], top["parameter"]) == ("Pultec", "low_boost")
    assert top["estimate"] == pytest.approx(3.0, abs=0.2) and top["setting"] == 4.5
    code, out, _ = run(capsys, "verify", SONG, "--fingerprint")
    assert code == 1 and "Pultec: Low Boost (100 %): sounds like 3, the revision has 4.5" in out
    code, out, _ = run(capsys, "verify", SONG, "--json")
    verdict = json.loads(out)
    assert code == 1 and verdict["comparison"]["null_depth_db"] > -40
    assert set(verdict["differing_bands"]) & {63.0, 125.0}
    assert not set(verdict["differing_bands"]) & {4000.0, 8000.0, 16000.0}


def test_nothing_to_verify_against_is_one_line(tmp_path: Path, capsys,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    library, _ = build_demo(tmp_path)
    monkeypatch.setenv("OUTBOARD_LIBRARY", str(library))
    monkeypatch.setenv("OUTBOARD_STUDIO", str(tmp_path / "demo-studio.toml"))
    code, _, err = run(capsys, "verify", SONG, "--fingerprint")
    assert code == 2 and err == ("outboard: Night Drive/Opener revision 2 has no fingerprint "
                                 "to verify against: print it first (outboard print keeps "
                                 "one)\n")
    code, _, err = run(capsys, "verify", SONG)
    assert code == 2 and err == ("outboard: Night Drive/Opener revision 2 has no complete "
                                 "print to verify against: print it first\n")
