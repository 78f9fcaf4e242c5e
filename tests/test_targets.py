"""Delivery targets: the shipped file, validation, and the gain arithmetic."""

from __future__ import annotations

from pathlib import Path

import pytest

from controller.errors import InputError
from controller.meter import analyse
from controller.targets import check, load_targets
from tests.signals import tone

RATE = 48_000


def test_shipped_targets_load_and_name_their_sources() -> None:
    targets = load_targets()
    for key in ("spotify", "apple-music", "youtube", "ebu-r128", "atsc-a85", "aes-streaming",
                "cd", "club"):
        assert key in targets
        assert targets[key].source


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("spec = 2\n", "key 'spec' must be 1"),
        ("spec = 1\n[x]\nname='X'\nsource='s'\ntrue_peak_max_dbtp='-1'\n",
         "key 'x.true_peak_max_dbtp' must be a number"),
        ("spec = 1\n[x]\nname='X'\nsource='s'\nloudness=-14\n",
         "key 'x.loudness' is not a target setting"),
        ("spec = 1\n[x]\nsource='s'\n", "target 'x' needs both 'name' and 'source'"),
        ("spec = 1\n[x]\nname='X'\nsource='s'\nintegrated_min_lufs=-10\n"
         "integrated_max_lufs=-20\n", "integrated_min_lufs is above"),
        ("spec = 1\n[x\n", "not valid TOML"),
        ("spec = 1\n[x]\nname='X'\nsource='s'\n", "target 'x' sets no criterion"),
    ],
)
def test_bad_targets_file_names_file_and_key(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "targets.toml"
    path.write_text(text)
    with pytest.raises(InputError) as err:
        load_targets(path)
    assert str(path) in str(err.value) and message in str(err.value)


def test_a_quiet_master_needs_gain_and_its_peaks_allow_it() -> None:
    m = analyse(tone(-20.0, 5.0, RATE), sample_rate=RATE)  # -20 LUFS, -20 dBTP
    result = check(m, load_targets()["spotify"])
    assert not result.passed
    assert result.gain_db == pytest.approx(6.0, abs=0.05)  # to -14 LUFS, peaks at -14 dBTP


def test_when_no_gain_meets_every_criterion_limiting_is_needed() -> None:
    m = analyse(tone(-3.0, 5.0, RATE), sample_rate=RATE)  # -3 LUFS, -3 dBTP
    loud_and_peaky = check(m, load_targets()["aes-streaming"])
    assert loud_and_peaky.gain_db == pytest.approx(-13.0, abs=0.05)
    # A master at -16 LUFS with -0.5 dBTP peaks cannot reach -14 LUFS under -1 dBTP.
    x = tone(-16.0, 5.0, RATE)
    x[RATE, :] = 10 ** (-0.5 / 20)
    result = check(analyse(x, sample_rate=RATE), load_targets()["spotify"])
    assert result.gain_db is None and "limiting is needed" in result.detail


def test_peak_only_target() -> None:
    m = analyse(tone(-0.1, 5.0, RATE), sample_rate=RATE)
    result = check(m, load_targets()["cd"])
    assert not result.passed
    assert result.gain_db == pytest.approx(-0.2, abs=0.02)


def test_negative_tolerance_names_its_key(tmp_path: Path) -> None:
    path = tmp_path / "targets.toml"
    path.write_text("spec = 1\n[x]\nname='X'\nsource='s'\nintegrated_lufs=-14\ntolerance_lu=-1\n")
    with pytest.raises(InputError, match="x.tolerance_lu' must be 0 or more"):
        load_targets(path)


def test_exactly_at_the_limit_passes_with_no_gain() -> None:
    m = analyse(tone(-1.0, 5.0, RATE), sample_rate=RATE)
    result = check(m, load_targets()["club"])
    assert result.passed and result.gain_db == 0.0
    assert all(c.gain_db == 0.0 for c in result.criteria)
