"""Null-testing two prints: align B to A, match its level, and measure what is left."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from .compare_align import Alignment, align
from .compare_bands import (
    OCTAVES,
    THIRDS,
    band_energies,
    bands,
    exact_band_energies,
    long_term_power,
    ratio_db,
)
from .compare_shift import shifted_blocks
from .errors import InputError
from .measure import inspect, level
from .meter import MAX_CHANNELS, Measurement, analyse

EDGE_S = 0.1  # left out at each end of the compared stretch (filter and shift transients)
BLOCK_S = 0.4  # residual-over-time blocks
MIN_SECONDS = 1.0  # shortest file compared
MIN_COMPARED_S = 0.5  # shortest overlap, once aligned and trimmed
CHUNK_FRAMES = 1 << 20  # frames per step of the residual passes


@dataclass(frozen=True, slots=True)
class Band:
    """One band's figure in dB: ``low_hz`` to ``high_hz``, labelled by its nominal centre."""

    low_hz: float
    high_hz: float
    centre_hz: float
    level_db: float


@dataclass(frozen=True, slots=True)
class Comparison:
    """What is left when B is aligned to A, level-matched and subtracted.

    ``frames`` are the frames compared: the overlap once aligned, less :data:`EDGE_S` at
    each end, from A frame ``start_frame``. ``offset_samples`` is where B sits against A
    at A's first frame (B later = positive, ``B[t + offset] = A[t]``), in B's frames;
    with drift it grows by ``drift_ppm`` millionths of a frame per frame. ``drift_ppm`` is
    B's clock against A's (B's frames per A frame, less one, in millionths; positive when
    B holds more frames for the same music), corrected by resampling B before the null.
    ``gain_db`` is the one least-squares gain applied to B (all channels), its sign in
    ``inverted``. ``null_depth_db`` is 10·log10(Σr²/Σa²) over the compared frames; minus
    infinity is a perfect null. ``residual_octaves`` holds each octave band's residual
    energy relative to A's in that band (a per-band null depth, dB);
    ``residual_over_time`` the residual RMS in dBFS per :data:`BLOCK_S` block. The deltas
    are B minus A, each file measured as given (NaN, null in JSON, where either is below
    the absolute gate). ``spectrum_difference`` is B's long-term third-octave spectrum
    minus A's in dB *before* the gain match, at face value as engineers compare prints
    (the gain match is in ``gain_db``).
    """

    sample_rate: int
    channels: int
    frames: int
    offset_samples: float
    inverted: bool
    gain_db: float
    drift_ppm: float
    null_depth_db: float
    residual_rms_dbfs: float
    residual_lufs: float | None  # None: the residual is below the -70 LUFS absolute gate
    residual_true_peak_dbtp: float | None  # None: the residual is digital silence
    residual_octaves: tuple[Band, ...]
    residual_over_time: tuple[float, ...]
    loudness_delta_lu: float
    true_peak_delta_db: float
    range_delta_lu: float | None
    spectrum_difference: tuple[Band, ...]
    start_frame: int = 0

    @property
    def duration_s(self) -> float:
        return self.frames / self.sample_rate

    @property
    def offset_ms(self) -> float:
        return 1000.0 * self.offset_samples / self.sample_rate


def compare_arrays(a: np.ndarray, b: np.ndarray, *, sample_rate: int,
                   max_offset_s: float = 1.0, match_gain: bool = True) -> Comparison:
    """Null-test print ``b`` against ``a``, each shape=(frames, channels) (or (frames,)
    for mono), float or integer samples at ``sample_rate``.

    B may sit up to ``max_offset_s`` earlier or later than A, be polarity-flipped, at
    another level, and run on a drifting clock. ValueError for mismatched layouts,
    non-finite samples, files under a second, silence, or no match within the search.
    Without ``match_gain`` B is nulled at its own level (only its polarity is matched): a
    level difference then counts in the residual, as a recall check wants.
    """
    return _compare([a, b], sample_rate=sample_rate, max_offset_s=max_offset_s,
                    names=("A", "B"), match_gain=match_gain)


def compare_files(a: Path, b: Path, *, max_offset_s: float = 1.0) -> Comparison:
    """Null-test the print in file ``b`` against file ``a`` (see :func:`compare_arrays`).

    InputError (exit code 2) naming the file for a missing, unreadable or corrupt file,
    and a one-line refusal for files at different rates or with different channel counts.
    """
    info_a, info_b = inspect(Path(a)), inspect(Path(b))
    if info_a.sample_rate != info_b.sample_rate:
        raise InputError(
            f"{info_a.path} is {info_a.sample_rate} Hz but {info_b.path} is "
            f"{info_b.sample_rate} Hz: compare needs both at one rate (resample one first)")
    if info_a.channels != info_b.channels:
        raise InputError(
            f"{info_a.path} has {info_a.channels} channels but {info_b.path} has "
            f"{info_b.channels}: compare needs the same channel layout")
    try:
        # In a list the comparison can empty, so that B's memory goes once B is resampled.
        return _compare([_read(info_a.path), _read(info_b.path)],
                        sample_rate=info_a.sample_rate, max_offset_s=max_offset_s,
                        names=(str(info_a.path), str(info_b.path)))
    except ValueError as err:
        raise InputError(str(err)) from err


def _read(path: Path) -> np.ndarray:
    try:
        data, _ = sf.read(str(path), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, OSError) as err:
        raise InputError(f"{path}: the audio data is corrupt ({err})") from err
    return data


def differing_bands(comparison: Comparison, *, threshold_db: float) -> tuple[Band, ...]:
    """The octave bands whose residual stands above ``threshold_db`` relative to A (their
    per-band null depth is shallower than the threshold): "differs at 125 Hz and 250 Hz"."""
    return tuple(band for band in comparison.residual_octaves if band.level_db > threshold_db)


def _checked(x: np.ndarray, name: str) -> np.ndarray:
    data = np.asarray(x)
    if data.ndim == 1:
        data = data[:, None]
    if data.ndim != 2 or not 1 <= data.shape[1] <= MAX_CHANNELS:
        raise ValueError(f"{name}: samples must have shape (frames, channels) with 1 to "
                         f"{MAX_CHANNELS} channels, got {data.shape}")
    if np.issubdtype(data.dtype, np.integer):
        data = (data / float(-np.iinfo(data.dtype).min)).astype(np.float32)
    elif not np.issubdtype(data.dtype, np.floating):
        raise ValueError(f"{name}: samples must be numbers, got {data.dtype}")
    return data


def _measured(x: np.ndarray, name: str, sample_rate: int) -> Measurement:
    try:
        result = analyse(x, sample_rate=sample_rate)
    except ValueError as err:  # NonFiniteSampleError among them
        raise ValueError(f"{name}: {err}") from err
    if result.sample_peak_dbfs == -math.inf:
        raise ValueError(f"{name}: silent: nothing to compare")
    return result


def _compare(arrays: list[np.ndarray], *, sample_rate: int, max_offset_s: float,
             names: tuple[str, str], match_gain: bool = True) -> Comparison:
    """The comparison of ``arrays`` = [A, B]; the list is emptied (see compare_files)."""
    a, b = _checked(arrays[0], names[0]), _checked(arrays[1], names[1])
    arrays.clear()
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"{names[0]} has {a.shape[1]} channels but {names[1]} has "
                         f"{b.shape[1]}: compare needs the same channel layout")
    if not isinstance(sample_rate, int | np.integer) or sample_rate < 8_000:
        raise ValueError(f"sample_rate must be a whole number of Hz from 8000, got "
                         f"{sample_rate!r}")
    if not math.isfinite(max_offset_s) or max_offset_s <= 0:
        raise ValueError(f"the maximum offset must be a positive number of seconds, got "
                         f"{max_offset_s!r}")
    for frames, name in ((a.shape[0], names[0]), (b.shape[0], names[1])):
        if frames < MIN_SECONDS * sample_rate:
            raise ValueError(f"{name}: {frames / sample_rate:.2f} s is too short to "
                             f"compare (at least {MIN_SECONDS:g} s)")
    measured_a = _measured(a, names[0], sample_rate)
    measured_b = _measured(b, names[1], sample_rate)
    third_edges = bands(THIRDS, fraction=3, sample_rate=sample_rate)
    spectrum = _spectrum_difference(a, b, third_edges, sample_rate)

    max_lag = max(1, round(max_offset_s * sample_rate))
    alignment, work = align(a, b, sample_rate=sample_rate, max_lag=max_lag, names=names)
    del b  # once B is resampled its original can go (compare_files keeps no other copy)
    edge = round(EDGE_S * sample_rate)
    start = max(0, math.ceil(-alignment.offset)) + edge
    stop = min(a.shape[0], math.floor(work.shape[0] - 1 - alignment.offset) + 1) - edge
    if stop - start < MIN_COMPARED_S * sample_rate:
        raise ValueError(
            f"{names[0]} and {names[1]} overlap by only {max(stop - start, 0) / sample_rate:.2f}"
            f" s once aligned (at least {MIN_COMPARED_S:g} s after {EDGE_S:g} s at each end)")
    residual, gain = _residual(a, work, advance=alignment.offset, start=start,
                               count=stop - start, match_gain=match_gain)
    del work
    return _figures(a, residual, gain=gain, alignment=alignment, start=start,
                    sample_rate=sample_rate, measured=(measured_a, measured_b),
                    spectrum=spectrum)


def _residual(a: np.ndarray, b: np.ndarray, *, advance: float, start: int, count: int,
              match_gain: bool = True) -> tuple[np.ndarray, float]:
    """r = a - g·b_aligned over A frames [start, start + count), shape=(count, channels),
    float32 (computed in float64), and the least-squares g = <a,b>/<b,b> over all
    channels."""
    out = np.empty((count, a.shape[1]), dtype=np.float32)
    ab = bb = 0.0
    for c in range(a.shape[1]):
        for lo, piece in shifted_blocks(b[:, c], advance=advance, start=start, count=count):
            hi = lo + piece.size
            ab += float(np.dot(a[start + lo : start + hi, c].astype(np.float64), piece))
            bb += float(np.dot(piece, piece))
            out[lo:hi, c] = piece
    gain = ab / bb if bb > 0 else 0.0
    if not match_gain:
        gain = math.copysign(1.0, gain)
    for lo in range(0, count, CHUNK_FRAMES):
        hi = min(lo + CHUNK_FRAMES, count)
        out[lo:hi] = a[start + lo : start + hi].astype(np.float64) - gain * out[lo:hi]
    return out, gain


def _figures(a: np.ndarray, r: np.ndarray, *, gain: float, alignment: Alignment, start: int,
             sample_rate: int, measured: tuple[Measurement, Measurement],
             spectrum: tuple[Band, ...]) -> Comparison:
    count, channels = r.shape
    energy_a = _energy(a, start, start + count)
    energy_r = _energy(r, 0, count)
    null_depth = ratio_db(energy_r, energy_a, both_empty=-math.inf)
    rms = 10.0 * math.log10(energy_r / r.size) if energy_r > 0 else -math.inf
    over_time = _block_levels(r, round(BLOCK_S * sample_rate))

    octave_edges = bands(OCTAVES, fraction=1, sample_rate=sample_rate)
    e_r = exact_band_energies(r, octave_edges, sample_rate=sample_rate)
    e_a = exact_band_energies(a, octave_edges, sample_rate=sample_rate, start=start,
                              stop=start + count)
    octaves = tuple(Band(low, high, centre, ratio_db(er, ea, both_empty=-math.inf))
                    for (low, high, centre), er, ea in zip(octave_edges, e_r, e_a, strict=True))

    measured_r = analyse(r, sample_rate=sample_rate)
    m_a, m_b = measured
    lufs = measured_r.integrated_lufs
    return Comparison(
        sample_rate=sample_rate,
        channels=channels,
        frames=count,
        offset_samples=alignment.offset * alignment.ratio,
        inverted=gain < 0,
        gain_db=20.0 * math.log10(abs(gain)) if gain != 0 else -math.inf,
        drift_ppm=(alignment.ratio - 1.0) * 1e6,
        null_depth_db=null_depth,
        residual_rms_dbfs=rms,
        residual_lufs=lufs if lufs > -math.inf else None,
        residual_true_peak_dbtp=measured_r.true_peak_dbtp if energy_r > 0 else None,
        residual_octaves=octaves,
        residual_over_time=over_time,
        loudness_delta_lu=_delta(m_b.integrated_lufs, m_a.integrated_lufs),
        true_peak_delta_db=_delta(m_b.true_peak_dbtp, m_a.true_peak_dbtp),
        range_delta_lu=(None if m_a.loudness_range_lu is None or m_b.loudness_range_lu is None
                        else m_b.loudness_range_lu - m_a.loudness_range_lu),
        spectrum_difference=spectrum,
        start_frame=start,
    )


def _energy(x: np.ndarray, start: int, stop: int) -> float:
    """Σx² over frames [start, stop) of ``x`` (shape=(frames, channels)), in float64."""
    total = 0.0
    for lo in range(start, stop, CHUNK_FRAMES):
        piece = x[lo : min(lo + CHUNK_FRAMES, stop)].astype(np.float64).ravel()
        total += float(np.dot(piece, piece))
    return total


def _block_levels(r: np.ndarray, block: int) -> tuple[float, ...]:
    """The RMS level in dBFS of each whole ``block`` of frames of ``r`` (shape=(frames,
    channels)), all channels together; minus infinity for a silent block."""
    blocks = r.shape[0] // block
    per_step = max(1, CHUNK_FRAMES // block)
    squares = np.zeros(blocks)
    for lo in range(0, blocks, per_step):
        hi = min(lo + per_step, blocks)
        piece = r[lo * block : hi * block].astype(np.float64).reshape(hi - lo, -1)
        squares[lo:hi] = np.einsum("ij,ij->i", piece, piece) / piece.shape[1]
    with np.errstate(divide="ignore"):
        return tuple(float(v) for v in 10.0 * np.log10(squares))


def _delta(b: float, a: float) -> float:
    return b - a if math.isfinite(a) and math.isfinite(b) else math.nan


def _spectrum_difference(a: np.ndarray, b: np.ndarray, edges: list[tuple[float, float, float]],
                         sample_rate: int) -> tuple[Band, ...]:
    e_a = band_energies(long_term_power(a, sample_rate=sample_rate), edges,
                        sample_rate=sample_rate)
    e_b = band_energies(long_term_power(b, sample_rate=sample_rate), edges,
                        sample_rate=sample_rate)
    return tuple(Band(low, high, centre, ratio_db(eb, ea, both_empty=0.0))
                 for (low, high, centre), ea, eb in zip(edges, e_a, e_b, strict=True))


def _bands_json(values: tuple[Band, ...]) -> list[dict[str, Any]]:
    return [{"low_hz": round(v.low_hz, 2), "high_hz": round(v.high_hz, 2),
             "centre_hz": v.centre_hz, "level_db": level(v.level_db)} for v in values]


def comparison_json(c: Comparison) -> dict[str, Any]:
    """The JSON object ``outboard compare --json`` prints (minus infinity and NaN: null)."""
    return {
        "sample_rate": c.sample_rate,
        "channels": c.channels,
        "frames": c.frames,
        "start_s": round(c.start_frame / c.sample_rate, 6),
        "duration_s": round(c.duration_s, 6),
        "offset_samples": round(c.offset_samples, 4),
        "offset_ms": round(c.offset_ms, 6),
        "inverted": c.inverted,
        "gain_db": level(c.gain_db),
        "drift_ppm": round(c.drift_ppm, 4),
        "null_depth_db": level(c.null_depth_db),
        "residual_rms_dbfs": level(c.residual_rms_dbfs),
        "residual_lufs": level(c.residual_lufs),
        "residual_true_peak_dbtp": level(c.residual_true_peak_dbtp),
        "residual_octaves": _bands_json(c.residual_octaves),
        "residual_block_s": BLOCK_S,
        "residual_over_time": [level(v) for v in c.residual_over_time],
        "loudness_delta_lu": level(c.loudness_delta_lu),
        "true_peak_delta_db": level(c.true_peak_delta_db),
        "range_delta_lu": level(c.range_delta_lu),
        "spectrum_difference": _bands_json(c.spectrum_difference),
    }
