"""Models of the dynamics, gain, drive and reverb units, built from their controls."""

from __future__ import annotations

import math

import numpy as np

from .dynamics import ALIGNMENT_DBFS, Compressor, CompressorSettings, Limiter
from .effects import Saturator, Tail
from .equalisers import finalizer_eq
from .filters import BUTTERWORTH_Q, CORNER_LIMIT, Biquads, high_shelf, low_pass, low_shelf
from .stages import Blend, MidSide, Passthrough, Settings, Sides, UnitModel, gain, series

API_KNEE_DB = {"hard": 0.0, "med": 6.0, "soft": 12.0}
LIMITER_RELEASE_S = 0.05
# Shadow Hills: the 0-10 threshold knobs run from 0 dBFS (only peaks near full scale reach
# the optical knee) down to -30 dBFS; the optical cell has no ratio, attack or release
# controls of its own.
SHADOW_THRESHOLD_DB_PER_STEP = 3.0
SHADOW_OPTICAL = {"ratio": 3.0, "attack_s": 0.01, "release_s": 0.6, "knee_db": 10.0}
SHADOW_DUAL_RECOVERY_S = 0.6
TRANSFORMER_DRIVE_DB = {"nickel": None, "iron": -6.0, "steel": 0.0}  # None: clean
GENERIC_RELEASE_S = 0.2
GENERIC_RMS_S = {"RMS": 0.01, "program": 0.05}
# Elektron Analog Heat: the display scales (0-127, centred -64..+63) as the model reads them.
HEAT_DRIVE_DB = 36.0  # at drive 127
HEAT_CIRCUIT_BIAS = 0.08  # per circuit number: later circuits add more even harmonics
HEAT_EQ_DB, HEAT_LOW_HZ, HEAT_HIGH_HZ = 12.0, 100.0, 8000.0  # EQ at +-64
HEAT_VCF_HZ = (20.0, 20480.0)  # frequency 0 .. 127, log; fully open at 127
HEAT_RESONANCE_Q = 8.0  # at resonance 127
# Reverbs and multi-effects: a tail this far under the dry signal, decaying over a time
# chosen by the program number.
TAIL_LEVEL_DB = -30.0
TAIL_T60_S = (0.6, 3.0)  # first program .. last program
H9_HOTKNOB_DB = 20.0  # the tail rises by this much at HotKnob 100 %


def _db(ratio: float) -> float:
    return 20.0 * math.log10(ratio) if ratio > 0.0 else -math.inf


def _pair(channels: int, left: float, right: float) -> list[float]:
    return [left if c % 2 == 0 else right for c in range(channels)]


# ---------------------------------------------------------------- gain


def faders(s: Settings, sides: Sides, sample_rate: int) -> UnitModel:
    """Fader N sets channel N's gain when its unit is dB (the bottom of travel is silence);
    faders in other units (a controller's % of travel) pass audio through."""
    gains = []
    for channel in range(len(sides)):
        name = f"fader_{channel + 1}"
        if not s.has(name) or s.parameter(name).unit != "dB":
            gains.append(0.0)
            continue
        value = s.value(name)
        gains.append(-math.inf if value <= s.parameter(name).minimum else value)
    return gain(gains)


def stepped_attenuator(s: Settings, sides: Sides, sample_rate: int) -> UnitModel:
    return gain([-math.inf if s.label("attenuation", side) == "off"
                 else s.value("attenuation", side) for side in sides])


def drawmer_m500(s: Settings, sides: Sides, sample_rate: int) -> UnitModel:
    return gain([s.value("output_level", side, missing=0.0) for side in sides])


# ---------------------------------------------------------------- dynamics


def api_2500(s: Settings, sides: Sides, sample_rate: int) -> UnitModel:
    release = s.value("release") or s.value("variable_release")  # 0 = "variable"
    setting = CompressorSettings(
        threshold_dbfs=ALIGNMENT_DBFS + s.value("threshold"), ratio=s.value("ratio"),
        attack_s=s.value("attack") / 1000.0, release_s=release,
        knee_db=API_KNEE_DB.get(s.label("knee"), 0.0), makeup_db=s.value("makeup_gain"))
    return Compressor([setting] * len(sides), link=bool(s.index("link")),
                      sample_rate=sample_rate)


def shadow_hills_mastering_compressor(s: Settings, sides: Sides, sample_rate: int
                                      ) -> UnitModel:
    link = bool(s.index("stereo_link"))
    sidechain = [s.value("sidechain_filter", side) for side in sides]
    optical = [CompressorSettings(
        threshold_dbfs=-SHADOW_THRESHOLD_DB_PER_STEP * s.value("optical_threshold", side),
        makeup_db=s.value("optical_gain", side), active=s.label("optical_in", side) == "in",
        **SHADOW_OPTICAL) for side in sides]
    discrete = [CompressorSettings(
        threshold_dbfs=-SHADOW_THRESHOLD_DB_PER_STEP * s.value("discrete_threshold", side),
        ratio=s.value("discrete_ratio", side), attack_s=s.value("discrete_attack", side) / 1e3,
        release_s=s.value("discrete_recovery", side) or SHADOW_DUAL_RECOVERY_S,
        makeup_db=s.value("discrete_gain", side), active=s.label("discrete_in", side) == "in")
        for side in sides]
    transformer = Saturator(drive_db=[TRANSFORMER_DRIVE_DB.get(s.label("transformer", side))
                                      for side in sides])
    return series(
        Compressor(optical, link=link, sample_rate=sample_rate, sidechain_hpf_hz=sidechain),
        Compressor(discrete, link=link, sample_rate=sample_rate, sidechain_hpf_hz=sidechain),
        transformer)


def generic_midi_cc(s: Settings, sides: Sides, sample_rate: int) -> UnitModel:
    """The template's compressor: no threshold control, so the threshold sits at the
    alignment level and the input gain drives into it."""
    detector = s.label("detector")
    setting = CompressorSettings(threshold_dbfs=ALIGNMENT_DBFS, ratio=s.value("ratio"),
                                 attack_s=s.value("attack") / 1000.0,
                                 release_s=GENERIC_RELEASE_S)
    compressor = Compressor([setting] * len(sides), link=True, sample_rate=sample_rate,
                            detector="rms" if detector in GENERIC_RMS_S else "peak",
                            rms_s=GENERIC_RMS_S.get(detector, 0.01),
                            sidechain_hpf_hz=s.value("sidechain_hpf"))
    return series(gain([s.value("input_gain")] * len(sides)), compressor)


def tc_finalizer_96k(s: Settings, sides: Sides, sample_rate: int) -> UnitModel:
    """Normalizer and EQ gain, the EQ, M/S width, balance (cutting the far side), the
    limiter at the ceiling (last, so the digital output never passes it), then the analog
    output gain."""
    channels = len(sides)
    width = s.value("stereo_adjust_ms")
    balance = s.value("balance")
    return series(
        gain([s.value("normalizer_gain") + s.value("eq_overall_gain")] * channels),
        finalizer_eq(s, sides, sample_rate),
        MidSide(gain([0.0, width])) if channels == 2 and width else Passthrough(),
        gain(_pair(channels, -max(balance, 0.0), min(balance, 0.0))),
        Limiter(ceiling_dbfs=s.value("dynamics_ceiling"), release_s=LIMITER_RELEASE_S,
                channels=channels, sample_rate=sample_rate),
        gain([s.value("analog_out_gain")] * channels))


# ---------------------------------------------------------------- drive


def elektron_analog_heat_mkii(s: Settings, sides: Sides, sample_rate: int) -> UnitModel:
    """Drive (waveshaper), EQ shelves and the low-pass filter, at the wet level, mixed with
    the dry signal, then the preset volume."""
    channels = len(sides)
    shaper = Saturator(drive_db=[HEAT_DRIVE_DB * s.value("drive") / 127.0] * channels,
                       bias=HEAT_CIRCUIT_BIAS * s.index("circuit"))
    low, high = (HEAT_EQ_DB * s.value(name) / 64.0 for name in ("eq_low", "eq_high"))
    bottom, top = HEAT_VCF_HZ
    vcf = s.value("vcf_freq")
    cutoff = bottom * (top / bottom) ** (vcf / 127.0)
    if vcf >= s.parameter("vcf_freq").maximum:
        cutoff = math.inf
    spread = s.value("vcf_freq_pan") / 64.0  # octaves, left down and right up
    q = BUTTERWORTH_Q + (HEAT_RESONANCE_Q - BUTTERWORTH_Q) * s.value("resonance") / 127.0

    def design(channel: int) -> np.ndarray:
        rows = []
        if low:
            rows.append(low_shelf(frequency=HEAT_LOW_HZ, gain_db=low, sample_rate=sample_rate))
        if high:
            rows.append(high_shelf(frequency=HEAT_HIGH_HZ, gain_db=high,
                                   sample_rate=sample_rate))
        corner = cutoff * 2.0 ** (spread if channel % 2 else -spread)
        if corner < CORNER_LIMIT * sample_rate:
            rows.append(low_pass(frequency=corner, q=q, sample_rate=sample_rate))
        return np.array(rows) if rows else np.empty((0, 6))

    wet = series(shaper, Biquads([design(c) for c in range(channels)]),
                 gain([_db(s.value("wet") / 64.0)] * channels))
    return series(Blend(wet, wet=s.value("dry_wet") / 127.0),
                  gain([_db(s.value("preset_volume") / 100.0)] * channels))


# ---------------------------------------------------------------- reverbs


def _program_t60(s: Settings, name: str) -> float:
    options = max(len(s.parameter(name).labels) - 1, 1)
    shortest, longest = TAIL_T60_S
    return shortest + (longest - shortest) * s.index(name) / options


def bricasti_m7(s: Settings, sides: Sides, sample_rate: int) -> UnitModel:
    return Tail(t60_s=_program_t60(s, "program"), level_db=TAIL_LEVEL_DB,
                sample_rate=sample_rate)


def eventide_h9(s: Settings, sides: Sides, sample_rate: int) -> UnitModel:
    level = TAIL_LEVEL_DB + H9_HOTKNOB_DB * s.value("hotknob") / 100.0
    return Tail(t60_s=_program_t60(s, "preset"), level_db=level, sample_rate=sample_rate)
