"""`outboard measure` through the command: reports, JSON, targets and every bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from tests.signals import tone
from tui.cli import main

RATE = 48_000


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def json_lines(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines() if line.strip()]


@pytest.fixture
def master(tmp_path: Path) -> Path:
    path = tmp_path / "master.wav"
    sf.write(str(path), tone(-23.0, 10.0, RATE), RATE, subtype="PCM_24")
    return path


def test_json_has_every_key_of_the_contract(capsys, master: Path) -> None:
    code, out, err = run(capsys, "measure", str(master), "--json")
    assert code == 0 and err == ""
    [doc] = json_lines(out)
    for key in ("file", "sample_rate", "channels", "duration_s", "integrated_lufs",
                "loudness_range_lu", "momentary_max_lufs", "short_term_max_lufs",
                "true_peak_dbtp", "sample_peak_dbfs", "rms_dbfs", "plr_db", "correlation",
                "clipped_samples", "status", "per_channel"):
        assert key in doc, key
    assert doc["integrated_lufs"] == pytest.approx(-23.0, abs=0.1)
    assert doc["sample_rate"] == RATE and doc["channels"] == 2
    assert doc["duration_s"] == pytest.approx(10.0)
    for channel in doc["per_channel"]:
        assert set(channel) >= {"true_peak_dbtp", "sample_peak_dbfs", "rms_dbfs", "dc_offset"}


def test_human_report(capsys, master: Path) -> None:
    code, out, _ = run(capsys, "measure", str(master))
    assert code == 0
    assert "Integrated      -23.0 LUFS" in out and "True peak" in out


def test_silence_is_null_in_json(capsys, tmp_path: Path) -> None:
    path = tmp_path / "silence.wav"
    sf.write(str(path), np.zeros((5 * RATE, 2)), RATE)
    code, out, _ = run(capsys, "measure", str(path), "--json")
    [doc] = json_lines(out)
    assert code == 0
    assert doc["status"] == "silent"
    assert doc["integrated_lufs"] is None and doc["true_peak_dbtp"] is None


def test_short_file_is_a_valid_report(capsys, tmp_path: Path) -> None:
    path = tmp_path / "blip.flac"
    sf.write(str(path), tone(-12.0, 0.2, RATE), RATE)
    code, out, _ = run(capsys, "measure", str(path), "--json")
    [doc] = json_lines(out)
    assert code == 0 and doc["status"] == "too_short"
    assert doc["integrated_lufs"] is None
    assert doc["sample_peak_dbfs"] == pytest.approx(-12.0, abs=0.01)


@pytest.mark.parametrize("fmt", [("WAV", "PCM_16"), ("WAV", "FLOAT"), ("AIFF", "PCM_24"),
                                 ("FLAC", "PCM_24")])
def test_formats_and_bit_depths(capsys, tmp_path: Path, fmt: tuple[str, str]) -> None:
    path = tmp_path / f"tone.{fmt[0].lower()}"
    sf.write(str(path), tone(-20.0, 5.0, RATE), RATE, format=fmt[0], subtype=fmt[1])
    code, out, _ = run(capsys, "measure", str(path), "--json")
    assert code == 0
    assert json_lines(out)[0]["integrated_lufs"] == pytest.approx(-20.0, abs=0.05)


def test_clipping_in_a_16_bit_file_counts_the_largest_code(capsys, tmp_path: Path) -> None:
    x = tone(-20.0, 2.0, RATE)
    x[1000:1010, 0] = 1.0  # written as 32767, the largest code
    path = tmp_path / "hot.wav"
    sf.write(str(path), x, RATE, subtype="PCM_16")
    _, out, _ = run(capsys, "measure", str(path), "--json")
    doc = json_lines(out)[0]
    assert doc["clipped_samples"] == 10
    assert doc["per_channel"][0]["clipped_runs"] == 1 and doc["per_channel"][1]["clipped_runs"] == 0


def bad_inputs(tmp: Path) -> dict[str, tuple[Path, str]]:
    cases: dict[str, tuple[Path, str]] = {}
    cases["missing"] = (tmp / "nowhere.wav", "no such file")
    folder = tmp / "folder.wav"
    folder.mkdir()
    cases["folder"] = (folder, "is a folder")
    garbage = tmp / "garbage.wav"
    garbage.write_bytes(b"RIFF\x10\x00\x00\x00WAVEjunkjunkjunk" * 10)
    cases["corrupt"] = (garbage, "not a readable audio file")
    empty = tmp / "empty.wav"
    empty.write_bytes(b"")
    cases["empty"] = (empty, "not a readable audio file")
    full = tmp / "full.wav"
    sf.write(str(full), tone(-20.0, 3.0, RATE), RATE, subtype="PCM_24")
    cut = tmp / "cut.wav"
    cut.write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    cases["truncated wav"] = (cut, "truncated")
    flac = tmp / "full.flac"
    sf.write(str(flac), np.random.default_rng(0).standard_normal((3 * RATE, 2)) * 0.1, RATE)
    cut_flac = tmp / "cut.flac"
    cut_flac.write_bytes(flac.read_bytes()[: flac.stat().st_size // 2])
    cases["truncated flac"] = (cut_flac, "cut.flac")
    nan = tone(-20.0, 2.0, RATE)
    nan[RATE, 1] = np.nan
    nan_path = tmp / "nan.wav"
    sf.write(str(nan_path), nan, RATE, subtype="FLOAT")
    cases["nan"] = (nan_path, "non-finite sample (NaN or infinity) in channel 2 at frame 48000")
    inf = tone(-20.0, 2.0, RATE)
    inf[10, 0] = np.inf
    inf_path = tmp / "inf.wav"
    sf.write(str(inf_path), inf, RATE, subtype="DOUBLE")
    cases["inf"] = (inf_path, "channel 1 at frame 10")
    wide = tmp / "eight.wav"
    sf.write(str(wide), np.zeros((RATE, 8)), RATE)
    cases["channels"] = (wide, "8 channels is not supported")
    slow = tmp / "slow.wav"
    sf.write(str(slow), np.zeros((4000, 2)), 4000)
    cases["rate"] = (slow, "sample rate 4000 Hz")
    return cases


def test_every_bad_input_is_one_line_exit_2(capsys, tmp_path: Path) -> None:
    for name, (path, message) in bad_inputs(tmp_path).items():
        code, out, err = run(capsys, "measure", str(path))
        assert code == 2, name
        assert out == "", name
        lines = err.strip().splitlines()
        assert len(lines) == 1, (name, err)
        assert str(path) in lines[0] and message in lines[0], (name, lines[0])
        assert "Traceback" not in err


def test_a_bad_file_does_not_stop_the_others(capsys, tmp_path: Path, master: Path) -> None:
    code, out, err = run(capsys, "measure", str(master), str(tmp_path / "gone.wav"),
                         str(master), "--json")
    docs = json_lines(out)
    assert code == 2
    assert [d["status"] for d in docs] == ["ok", "error", "ok"]
    assert "gone.wav: no such file" in docs[1]["error"]
    assert err.count("\n") == 1


def test_target_pass_and_fail_with_the_gain_to_meet_it(capsys, master: Path) -> None:
    code, out, _ = run(capsys, "measure", str(master), "--json", "--target", "ebu-r128")
    [doc] = json_lines(out)
    assert code == 0 and doc["targets"][0]["passed"] is True
    code, out, _ = run(capsys, "measure", str(master), "--json", "--target", "spotify")
    [doc] = json_lines(out)
    result = doc["targets"][0]
    assert code == 1 and result["passed"] is False
    integrated = next(c for c in result["criteria"] if c["criterion"] == "integrated")
    assert integrated["gain_db"] == pytest.approx(9.0, abs=0.1)
    assert result["gain_db"] == pytest.approx(9.0, abs=0.1)


def test_unknown_target_is_bad_input(capsys, master: Path) -> None:
    code, _, err = run(capsys, "measure", str(master), "--target", "vinyl")
    assert code == 2 and "--target vinyl: no such target" in err


def test_cross_check_with_pyloudnorm(capsys, master: Path) -> None:
    code, out, _ = run(capsys, "measure", str(master), "--json", "--cross-check")
    [doc] = json_lines(out)
    check = doc["cross_check"]
    assert code == 0
    assert abs(check["integrated_difference_lu"]) < 0.01
    assert check["integrated_lufs"] == pytest.approx(-23.0, abs=0.1)
    code, out, _ = run(capsys, "measure", str(master), "--cross-check")
    assert "Cross-check (pyloudnorm, De Man filters)" in out


def test_curves_in_json(capsys, master: Path) -> None:
    _, out, _ = run(capsys, "measure", str(master), "--json", "--curves")
    curves = json_lines(out)[0]["curves"]
    assert curves["momentary"][0] == [0.4, pytest.approx(-23.0, abs=0.1)]
    assert len(curves["short_term"]) == 71  # 3.0 s to 10.0 s at 10 Hz


def test_curves_without_json_is_bad_usage(capsys, master: Path) -> None:
    code, out, err = run(capsys, "measure", str(master), "--curves")
    assert code == 2 and out == "" and "--curves needs --json" in err


def test_demo_writes_and_measures_a_mix(capsys, tmp_path: Path) -> None:
    path = tmp_path / "demo.wav"
    code, out, _ = run(capsys, "demo", "--output", str(path), "--json")
    [doc] = json_lines(out)
    assert code == 0 and sf.info(str(path)).duration == pytest.approx(30.0)
    assert -20.0 < doc["integrated_lufs"] < -10.0 and doc["loudness_range_lu"] > 2.0
    assert {t["target"] for t in doc["targets"]} == {"spotify", "apple-music"}


def test_usage_error_is_exit_2(capsys) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["measure"])
    assert stop.value.code == 2
    assert "outboard:" in capsys.readouterr().err


def test_the_console_script_runs(master: Path) -> None:
    exe = Path(sys.executable).with_name("outboard")
    done = subprocess.run([str(exe), "measure", str(master), "--json"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0
    assert json.loads(done.stdout)["status"] == "ok"


def test_demo_to_a_folder_that_does_not_exist_is_bad_input(capsys, tmp_path: Path) -> None:
    code, out, err = run(capsys, "demo", "--output", str(tmp_path / "no" / "such" / "d.wav"))
    assert code == 2 and "cannot write the demo mix there" in err and "Traceback" not in err
