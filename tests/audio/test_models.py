"""The unit models and the simulated insert loop: every profile builds and runs, EQ, dynamics
and gain do what their settings say, output does not depend on block size, and the loop's
latency, polarity, gain and noise measure as set."""

from __future__ import annotations

import dataclasses
import json
import math
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from controller.audio.models import (
    ALIGNMENT_DBFS,
    AnalogLoop,
    ChainModel,
    LoopCharacter,
    unit_model,
)
from controller.audio.models.filters import (
    Biquads,
    high_shelf,
    peaking,
    response_db,
    sosfilt_inplace,
)
from controller.audio.models.loop import delay_design
from controller.audio.ping import measure, sweep
from controller.signals import music_like
from devices.loader import PROFILE_DIR, find_profile
from devices.profile import Profile
from tests.signals import tone

RATE = 48_000
PROFILES = sorted(p.stem for p in Path(PROFILE_DIR).glob("*.toml"))

# The demo studio's units (controller/demo.py) at the first song's settings.
DEMO_CHAIN = (
    ("tc-finalizer-96k", {}),
    ("tc-system-6000-faders", {"fader_1": -3.0, "fader_2": -3.0}),
    ("generic-serial-ascii", {"gain": -1.5, "frequency": 4000.0}),
    ("pultec-eqp-1a", {"low_freq": 60.0, "low_boost": 3.0, "high_freq": 10000.0,
                       "high_boost": 2.0}),
    ("stepped-mastering-eq", {"low_gain_l": 1.0, "low_gain_r": 1.0, "high_gain_l": 1.5,
                              "high_gain_r": 1.5}),
)

# Settings that put each model to work (dynamics driven, filters and drive engaged).
BUSY = {
    "api-2500": {"threshold": -10.0, "ratio": 4.0, "attack": 1.0, "release": 0.0,
                 "variable_release": 0.3, "knee": 1.0, "makeup_gain": 3.0},
    "behringer-dsp1100": {"filter_mode": 1.0, "frequency": 1000.0, "fine": 3.0,
                          "bandwidth": 30.0, "gain": -6.0},
    "bricasti-m7": {"program": 7.0},
    "diy-motor-fader-mcu": {"fader_1": 50.0},
    "drawmer-m500": {"output_level_l": -3.0},
    "elektron-analog-heat-mkii": {"drive": 80.0, "circuit": 3.0, "eq_low": 20.0,
                                  "eq_high": -10.0, "vcf_freq": 100.0, "vcf_freq_pan": 10.0,
                                  "resonance": 30.0, "dry_wet": 100.0},
    "eventide-h9": {"preset": 5.0, "hotknob": 50.0},
    "generic-midi-cc": {"input_gain": 6.0, "ratio": 4.0, "attack": 1.0, "detector": 2.0,
                        "sidechain_hpf": 100.0},
    "generic-serial-ascii": {"gain": 4.0, "frequency": 1000.0},
    "manley-massive-passive": {"band1_gain_l": 3.0, "band2_gain_r": -2.0, "band3_gain_l": 2.0,
                               "band3_shape_l": 1.0, "band4_gain_r": 4.0, "high_pass_l": 39.0,
                               "low_pass_r": 12000.0, "output_gain_l": -1.0},
    "pultec-eqp-1a": {"low_boost": 5.0, "low_atten": 3.0, "high_boost": 4.0,
                      "high_atten": 2.0},
    "shadow-hills-mastering-compressor": {
        "optical_threshold_l": 5.0, "optical_threshold_r": 5.0, "discrete_threshold_l": 6.0,
        "discrete_threshold_r": 4.0, "discrete_ratio_l": 4.0, "transformer_l": 2.0,
        "sidechain_filter_l": 90.0, "stereo_link": 0.0},
    "stepped-attenuator": {"attenuation": -6.0},
    "stepped-mastering-eq": {"high_pass_l": 30.0, "low_gain_l": 2.0, "high_mid_gain_r": -3.0},
    "tc-finalizer-96k": {"dynamics_ceiling": -6.0, "normalizer_gain": 6.0, "low_cut": 30.0,
                         "band2_gain": 3.0, "stereo_adjust_ms": 2.0, "balance": 1.0},
    "tc-system-6000-faders": {"fader_1": -3.0, "fader_2": -6.0},
}


def model(key: str, values: dict[str, float] | None = None, *, channels: int = 2):
    return unit_model(find_profile(key), values or {}, sample_rate=RATE, channels=channels)


def in_blocks(processor, signal: np.ndarray, size: int) -> np.ndarray:
    return np.concatenate([processor.process(signal[i:i + size])
                           for i in range(0, len(signal), size)])


def rms_db(x: np.ndarray) -> float:
    return float(10.0 * np.log10(np.mean(np.square(x))))


def steady_gain_db(unit, x: np.ndarray) -> float:
    """The unit's gain on ``x`` over its last half second, by RMS."""
    y = unit.process(x)
    return rms_db(y[-RATE // 2:]) - rms_db(x[-RATE // 2:])


def mix(seconds: float) -> np.ndarray:
    return music_like(duration_s=seconds, sample_rate=RATE).astype(np.float64)


# ---------------------------------------------------------------- every profile


def test_the_shipped_profiles_are_all_here() -> None:
    assert len(PROFILES) == 16 and "pultec-eqp-1a" in PROFILES and set(BUSY) == set(PROFILES)


@pytest.mark.parametrize("key", PROFILES)
def test_every_profile_runs_a_second_of_noise_at_its_defaults(key: str) -> None:
    noise = 0.1 * np.random.default_rng(3).standard_normal((RATE, 2))
    y = model(key).process(noise)
    assert y.shape == noise.shape
    assert np.all(np.isfinite(y))
    assert abs(rms_db(y) - rms_db(noise)) < 6.0  # defaults never mute or blow up the mix


@pytest.mark.parametrize("key", PROFILES)
def test_every_model_is_independent_of_block_size(key: str) -> None:
    x = mix(1.0)
    whole = model(key, BUSY[key]).process(x)
    for size in (64, 1000):
        assert np.max(np.abs(in_blocks(model(key, BUSY[key]), x, size) - whole)) < 1e-9
    if key != "diy-motor-fader-mcu":  # its faders are % of travel: no audio to change
        assert np.max(np.abs(whole - x)) > 1e-3


def test_an_unknown_profile_passes_audio_through() -> None:
    custom = dataclasses.replace(find_profile("pultec-eqp-1a"), key="my-own-eq")
    x = mix(0.2)
    assert np.array_equal(unit_model(custom, {"low_boost": 10.0}, sample_rate=RATE).process(x),
                          x)


# ---------------------------------------------------------------- equalisers


def test_a_pultec_low_boost_raises_its_frequency_by_what_the_design_says() -> None:
    # Boost 8 = a +10.8 dB RBJ low shelf turning over at 60 Hz; an RBJ shelf passes its
    # corner at exactly half its gain in dB: +5.4 dB.
    pultec = model("pultec-eqp-1a", {"low_freq": 60.0, "low_boost": 8.0})
    assert isinstance(pultec, Biquads)
    claimed = response_db(pultec.sections[0], frequency=60.0, sample_rate=RATE)
    assert claimed == pytest.approx(5.4, abs=1e-6)
    assert steady_gain_db(pultec, tone(-18.0, 2.0, RATE, freq=60.0)) == pytest.approx(5.4,
                                                                                     abs=0.05)
    # Far below the corner the whole shelf shows.
    assert response_db(pultec.sections[0], frequency=5.0, sample_rate=RATE) > 10.0


def test_a_bell_at_4k_cuts_a_4k_tone_by_its_gain() -> None:
    bell = model("generic-serial-ascii", {"gain": -2.5, "frequency": 4000.0})
    assert steady_gain_db(bell, tone(-12.0, 1.0, RATE, freq=4000.0)) == pytest.approx(-2.5,
                                                                                     abs=0.1)
    # An octave away it cuts far less.
    assert steady_gain_db(bell, tone(-12.0, 1.0, RATE, freq=500.0)) > -0.3


BYPASSED = [
    ("pultec-eqp-1a", {"low_boost": 6.0, "high_boost": 6.0, "eq_in": 0.0}),
    ("generic-serial-ascii", {"gain": 6.0, "bypass": 1.0}),
    ("tc-finalizer-96k", {"band2_gain": 6.0, "dynamics_ceiling": -10.0, "bypass": 1.0}),
    ("eventide-h9", {"hotknob": 100.0, "bypass": 0.0}),
    ("api-2500", {"threshold": -20.0, "makeup_gain": 6.0, "compressor_in": 0.0}),
    ("stepped-mastering-eq", {"low_gain_l": 5.0, "low_gain_r": 5.0, "eq_in_l": 0.0,
                              "eq_in_r": 0.0}),
    ("generic-midi-cc", {"input_gain": 12.0, "bypass": 1.0}),
]


@pytest.mark.parametrize(("key", "values"), BYPASSED, ids=[k for k, _ in BYPASSED])
def test_a_unit_switched_out_passes_audio_identically(key: str, values: dict) -> None:
    x = mix(0.5)
    assert np.array_equal(model(key, values).process(x), x)
    switched_in = {k: v for k, v in values.items()
                   if k not in ("eq_in", "bypass", "compressor_in", "eq_in_l", "eq_in_r")}
    assert np.max(np.abs(model(key, switched_in).process(x) - x)) > 1e-3


def test_a_dual_mono_unit_sets_each_side_apart() -> None:
    x = mix(0.5)
    left_only = model("stepped-mastering-eq", {"low_gain_l": 4.0}).process(x)
    assert np.array_equal(left_only[:, 1], x[:, 1])
    assert np.max(np.abs(left_only[:, 0] - x[:, 0])) > 1e-2
    right_out = model("stepped-mastering-eq", {"low_gain_l": 4.0, "low_gain_r": 4.0,
                                               "eq_in_r": 0.0}).process(x)
    assert np.array_equal(right_out[:, 1], x[:, 1])
    assert np.array_equal(right_out[:, 0], left_only[:, 0])


def mid_side(profile: Profile) -> Profile:
    """A mid-side version of a dual-mono profile: _l controls act on M, _r on S."""
    renamed = []
    for p in profile.parameters:
        if p.side:
            side = {"L": "M", "R": "S"}[p.side]
            renamed.append(dataclasses.replace(p, id=p.id[:-1] + side.lower(), side=side))
        else:
            renamed.append(p)
    return dataclasses.replace(profile, key=profile.key, layout="mid-side",
                               parameters=tuple(renamed))


def test_a_mid_side_unit_acts_on_mid_and_side() -> None:
    unit = mid_side(find_profile("stepped-mastering-eq"))
    mono = tone(-12.0, 1.0, RATE, freq=100.0)
    side_eq = unit_model(unit, {"low_gain_s": 6.0}, sample_rate=RATE)
    assert np.max(np.abs(side_eq.process(mono) - mono)) < 1e-12  # no side to boost
    wide = mono * np.array([1.0, -1.0])  # all side
    boost = unit_model(unit, {"low_gain_s": 6.0, "low_freq_s": 300.0}, sample_rate=RATE)
    assert steady_gain_db(boost, wide) > 3.0  # below the corner: more than half the shelf
    mid_eq = unit_model(unit, {"low_gain_m": 6.0}, sample_rate=RATE)
    assert np.max(np.abs(mid_eq.process(wide) - wide)) < 1e-12


# ---------------------------------------------------------------- dynamics


@pytest.mark.parametrize(("ratio", "expected_db"), [(2.0, 6.0), (4.0, 9.0), (1000.0, 12.0)])
def test_a_tone_12_db_over_threshold_is_reduced_by_the_ratio(ratio: float,
                                                              expected_db: float) -> None:
    # threshold 0 on the API's scale is the alignment level; the tone peaks 12 dB above it.
    api = model("api-2500", {"threshold": 0.0, "ratio": ratio, "attack": 1.0, "release": 0.2})
    x = tone(ALIGNMENT_DBFS + 12.0, 2.0, RATE)
    assert -steady_gain_db(api, x) == pytest.approx(expected_db, abs=0.2)


def test_a_tone_under_the_knee_only_takes_the_makeup_gain() -> None:
    api = model("api-2500", {"threshold": 0.0, "ratio": 4.0, "knee": 2.0, "makeup_gain": 3.0})
    x = tone(ALIGNMENT_DBFS - 7.0, 1.0, RATE)  # below the 12 dB soft knee's lower edge
    assert np.max(np.abs(api.process(x) - x * 10 ** (3.0 / 20.0))) < 1e-12


def test_the_shadow_hills_discrete_stage_reads_its_panel_scale() -> None:
    # Threshold knob 4 = -12 dBFS; a full-scale tone is 12 dB over it, 4:1 takes 9 dB. The
    # optical stage is out: at its 0 dBFS threshold its 10 dB knee would take 0.8 dB more.
    unit = model("shadow-hills-mastering-compressor",
                 {"optical_in_l": 0.0, "optical_in_r": 0.0,
                  "discrete_threshold_l": 4.0, "discrete_threshold_r": 4.0,
                  "discrete_ratio_l": 4.0, "discrete_ratio_r": 4.0, "discrete_attack_l": 1.0,
                  "discrete_attack_r": 1.0})
    assert -steady_gain_db(unit, tone(0.0, 2.0, RATE)) == pytest.approx(9.0, abs=0.2)


def test_the_limiter_never_passes_its_ceiling_and_holds_right_under_it() -> None:
    finalizer = model("tc-finalizer-96k", {"dynamics_ceiling": -3.0})
    rng = np.random.default_rng(5)
    x = tone(0.0, 2.0, RATE) + 0.3 * rng.standard_normal((2 * RATE, 2))
    y = finalizer.process(x)
    ceiling = 10 ** (-3.0 / 20.0)
    assert np.max(np.abs(y)) <= ceiling * (1 + 1e-12)
    assert np.max(np.abs(y[RATE:])) > 10 ** (-3.1 / 20.0)  # limited, not muted


# ---------------------------------------------------------------- gain


def test_a_system_6000_fader_at_minus_3_db_gives_minus_3_db() -> None:
    x = mix(0.5)
    both = model("tc-system-6000-faders", {"fader_1": -3.0, "fader_2": -3.0}).process(x)
    assert np.max(np.abs(both - x * 10 ** (-3.0 / 20.0))) < 1e-15
    left = model("tc-system-6000-faders", {"fader_1": -3.0}).process(x)
    assert rms_db(left[:, 0]) - rms_db(x[:, 0]) == pytest.approx(-3.0, abs=1e-9)
    assert np.array_equal(left[:, 1], x[:, 1])
    bottom = model("tc-system-6000-faders", {"fader_1": -80.0}).process(x)
    assert not np.any(bottom[:, 0])


def test_the_attenuator_steps_and_its_off_position() -> None:
    x = mix(0.5)
    assert rms_db(model("stepped-attenuator", {"attenuation": -12.0}).process(x)) == \
        pytest.approx(rms_db(x) - 12.0, abs=1e-9)
    assert not np.any(model("stepped-attenuator", {"attenuation": -100.0}).process(x))


# ---------------------------------------------------------------- the loop


def demo_loop(*, chain=DEMO_CHAIN) -> AnalogLoop:
    """The chain in one loop of the default character (61.37 samples, -110 dBFS noise)."""
    units = [model(key, values) for key, values in chain]
    return AnalogLoop(ChainModel(units), LoopCharacter(), sample_rate=RATE, channels=2)


def test_the_demo_chain_is_independent_of_block_size() -> None:
    # A hot ceiling so the Finalizer's limiter works throughout.
    chain = (("tc-finalizer-96k", {"dynamics_ceiling": -6.0}),) + DEMO_CHAIN[1:]
    x = mix(2.0)
    reference = in_blocks(demo_loop(chain=chain), x, len(x))
    assert rms_db(reference) > -30.0
    for size in (64, 256, 1000, 4096):
        assert np.max(np.abs(in_blocks(demo_loop(chain=chain), x, size) - reference)) < 1e-9


def ping(loop: AnalogLoop, *, block: int = 256, rate: int = RATE):
    stimulus = sweep(sample_rate=rate)
    send = np.zeros((rate, 2))
    send[:len(stimulus)] = stimulus[:, None]
    response = in_blocks(loop, send, block)
    return [measure(stimulus, response[:, c], sample_rate=rate) for c in range(2)]


@pytest.mark.parametrize("rate", [44_100, 48_000, 96_000])
@pytest.mark.parametrize("latency", [0.0, 0.5, 3.25, 17.9, 61.37, 1000.73])
def test_a_pure_loop_measures_its_latency_to_a_hundredth(latency: float, rate: int) -> None:
    loop = AnalogLoop(ChainModel([]), LoopCharacter(latency_samples=latency),
                      sample_rate=rate, channels=2)
    for result in ping(loop, rate=rate):
        assert result.latency_samples == pytest.approx(latency, abs=0.01)
        assert result.gain_db == pytest.approx(0.0, abs=0.05)
        assert not result.inverted and not result.smeared


def test_the_loop_gain_and_polarity_measure_as_set() -> None:
    loop = AnalogLoop(ChainModel([]), LoopCharacter(latency_samples=123.45, gain_db=-6.0,
                                                    inverted=True),
                      sample_rate=RATE, channels=2)
    for result in ping(loop, block=1000):
        assert result.inverted
        assert result.latency_samples == pytest.approx(123.45, abs=0.01)
        assert result.gain_db == pytest.approx(-6.0, abs=0.05)
        assert not result.smeared


def test_units_all_switched_out_leave_the_loop_pure() -> None:
    chain = (("pultec-eqp-1a", {"low_boost": 6.0, "high_boost": 6.0, "eq_in": 0.0}),
             ("generic-serial-ascii", {"gain": 6.0, "bypass": 1.0}),
             ("tc-finalizer-96k", {"band1_gain": 6.0, "bypass": 1.0}))
    for result in ping(demo_loop(chain=chain)):
        assert result.latency_samples == pytest.approx(61.37, abs=0.01)
        assert result.gain_db == pytest.approx(0.0, abs=0.05)
        assert not result.smeared


def test_an_eq_left_in_the_loop_smears_the_ping() -> None:
    chain = (("generic-serial-ascii", {"gain": 6.0, "frequency": 1000.0}),)
    for result in ping(demo_loop(chain=chain)):
        assert result.smeared and result.purity < 0.9


def test_the_noise_floor_is_its_level_and_its_seed() -> None:
    def noise(character: LoopCharacter, size: int = 4096) -> np.ndarray:
        loop = AnalogLoop(ChainModel([]), character, sample_rate=RATE, channels=2)
        return in_blocks(loop, np.zeros((2 * RATE, 2)), size)

    floor = noise(LoopCharacter(noise_floor_dbfs=-110.0, seed=1))
    assert rms_db(floor) == pytest.approx(-110.0, abs=0.1)
    spectrum = np.abs(np.fft.rfft(floor[:, 0])) ** 2
    low, high = spectrum[1:len(spectrum) // 2].mean(), spectrum[len(spectrum) // 2:].mean()
    assert 10 * np.log10(high / low) == pytest.approx(0.0, abs=0.3)  # white
    assert np.array_equal(noise(LoopCharacter(seed=1), 333), floor)
    assert not np.array_equal(noise(LoopCharacter(seed=2)), floor)
    assert not np.any(noise(LoopCharacter(noise_floor_dbfs=None)))
    assert not np.any(noise(LoopCharacter(noise_floor_dbfs=-math.inf)))


@pytest.mark.parametrize("latency", [0.0, 0.3, 1.0, 7.6, 31.0, 31.5, 64.0, 1000.73])
def test_the_delay_design_adds_up_to_the_latency(latency: float) -> None:
    whole, taps = delay_design(latency)
    assert whole >= 0 and np.sum(taps) == pytest.approx(1.0, abs=1e-12)
    # The FIR's centre of mass (its delay at DC) plus the line is the latency: exactly for
    # the Lagrange interpolators, within a thousandth of a sample for the windowed sinc.
    assert whole + np.sum(np.arange(len(taps)) * taps) == pytest.approx(latency, abs=1e-3)


def test_bad_loop_settings_and_blocks_are_refused() -> None:
    with pytest.raises(ValueError, match="latency"):
        LoopCharacter(latency_samples=-1.0)
    loop = demo_loop()
    with pytest.raises(ValueError, match="shape"):
        loop.process(np.zeros((256, 3)))
    assert loop.process(np.zeros((0, 2))).shape == (0, 2)


# ---------------------------------------------------------------- machinery


def test_the_compiled_cascade_matches_scipys_sosfilt() -> None:
    sos = np.array([peaking(frequency=1000.0, gain_db=6.0, q=1.0, sample_rate=RATE),
                    high_shelf(frequency=8000.0, gain_db=-3.0, sample_rate=RATE)])
    x = np.random.default_rng(0).standard_normal((2, 5000))
    fast, fast_state = x.copy(), np.zeros((2, 2, 2))
    slow, slow_state = x.copy(), np.zeros((2, 2, 2))
    for piece in (slice(0, 1234), slice(1234, 5000)):
        block = np.ascontiguousarray(fast[:, piece])
        sosfilt_inplace(sos, block, fast_state)
        fast[:, piece] = block
        block = np.ascontiguousarray(slow[:, piece])
        sosfilt_inplace(sos, block, slow_state, compiled=False)
        slow[:, piece] = block
    assert np.max(np.abs(fast - slow)) < 1e-12


def test_the_models_import_neither_textual_nor_sounddevice() -> None:
    probe = ("import json, sys, controller.audio.models; "
             "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True)
    assert {"textual", "sounddevice"}.isdisjoint(json.loads(done.stdout))


def test_the_demo_loop_runs_well_faster_than_real_time() -> None:
    x = mix(5.0)
    loop = demo_loop()
    start = time.perf_counter()
    in_blocks(loop, x, 256)
    # Over 100x on an idle core; 10x leaves room for a busy machine.
    assert 5.0 / (time.perf_counter() - start) > 10.0
