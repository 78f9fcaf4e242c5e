"""Measuring audio files: reading them in blocks, refusing bad input, reporting as JSON."""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from .errors import InputError
from .meter import MAX_CHANNELS, Measurement, NonFiniteSampleError, analyse_blocks
from .meter.analysis import BLOCK_FRAMES

# Largest code of each integer subtype as a fraction of full scale: a sample at or beyond
# it is "at full scale" for clip detection. Float files clip at 1.0.
_INTEGER_BITS = {"PCM_S8": 8, "PCM_U8": 8, "PCM_16": 16, "PCM_24": 24, "PCM_32": 32}
MIN_RATE = 8_000
MAX_RATE = 768_000
# (form, type) of a container whose chunk sizes tell how much audio the file should hold:
# its name, byte order and the chunk holding the audio.
_CONTAINERS = {(b"RIFF", b"WAVE"): ("WAV", "<", b"data"),
               (b"FORM", b"AIFF"): ("AIFF", ">", b"SSND"),
               (b"FORM", b"AIFC"): ("AIFF", ">", b"SSND")}


@dataclass(frozen=True, slots=True)
class FileInfo:
    """What soundfile says of a file before it is measured."""

    path: Path
    sample_rate: int
    channels: int
    frames: int
    format: str
    subtype: str


def clip_level(subtype: str) -> float:
    """The magnitude that counts as full scale for a soundfile subtype."""
    bits = _INTEGER_BITS.get(subtype)
    if bits is None:
        return 1.0
    return 1.0 - 2.0 ** (1 - bits)


def inspect(path: Path) -> FileInfo:
    """Open ``path`` and check it can be measured; InputError naming the file if not.

    A file cut short (its header promises more audio than it holds) is refused here, before
    anything reads it as a shorter one.
    """
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(f"{path}: is a folder, not an audio file")
    if not path.is_file():  # a pipe would block the reader, a device never end
        raise InputError(f"{path}: not a regular file (a pipe or a device), not an audio file")
    try:
        info = sf.info(str(path))
    except (sf.LibsndfileError, RuntimeError, OSError) as err:
        raise InputError(f"{path}: not a readable audio file ({_reason(err)})") from err
    if not MIN_RATE <= info.samplerate <= MAX_RATE:
        raise InputError(
            f"{path}: sample rate {info.samplerate} Hz is outside {MIN_RATE}-{MAX_RATE} Hz"
        )
    if not 1 <= info.channels <= MAX_CHANNELS:
        raise InputError(
            f"{path}: {info.channels} channels is not supported (1 to {MAX_CHANNELS}: mono to 5.1)"
        )
    _check_complete(path, info.format, info.frames)
    return FileInfo(path, info.samplerate, info.channels, info.frames, info.format, info.subtype)


def _check_complete(path: Path, container: str, frames: int) -> None:
    """InputError if the file's header promises more audio than the file holds.

    libsndfile quietly reads a cut-off WAV or AIFF as a shorter file; a measurement (or a
    print) of half a master must not pass for the master's. A cut-off FLAC keeps its full
    length in its header: its last frame is read to see that it is there.
    """
    too_big = _beyond_header(path)
    if too_big:
        raise InputError(f"{path}: {too_big}")
    problem = _cut_short(path)
    if problem:
        raise InputError(f"{path}: truncated: {problem}")
    if container != "FLAC" or frames <= 0:
        return
    try:
        with sf.SoundFile(str(path)) as handle:
            handle.seek(frames - 1)
            last = handle.read(1, dtype="float32", always_2d=True).shape[0]
    except (sf.LibsndfileError, RuntimeError, OSError) as err:
        raise InputError(f"{path}: truncated or corrupt: the header promises {frames} frames "
                         f"and the last cannot be read ({_reason(err)})") from err
    if last != 1:
        raise InputError(f"{path}: truncated: the header promises {frames} frames and the "
                         "last cannot be read")


def measure_file(path: Path | str, *, curves: bool = False) -> Measurement:
    """Measure one file, reading it in blocks so memory stays flat whatever its length.

    Raises InputError (exit code 2) naming the file for a missing, unreadable or corrupt
    file, an unsupported rate or channel count, or a NaN or infinite sample.
    """
    info = inspect(Path(path))
    try:
        with sf.SoundFile(str(info.path)) as handle:
            blocks = handle.blocks(blocksize=BLOCK_FRAMES, dtype="float32", always_2d=True)
            result = analyse_blocks(
                blocks, sample_rate=info.sample_rate, channels=info.channels,
                clip_level=clip_level(info.subtype), curves=curves,
            )
    except NonFiniteSampleError as err:
        raise InputError(f"{info.path}: {err}") from err
    except (sf.LibsndfileError, RuntimeError, OSError) as err:
        raise InputError(f"{info.path}: the audio data is corrupt ({_reason(err)})") from err
    if info.frames > 0 and result.frames < info.frames:
        raise InputError(
            f"{info.path}: truncated: the header promises {info.frames} frames, "
            f"{result.frames} could be read"
        )
    return result


def _beyond_header(path: Path) -> str | None:
    """Why a WAV or AIFF file is too big for its header to describe, or None.

    Their chunk sizes count to 4 GiB; past that a writer clamps or wraps them and a reader
    takes the first 4 GiB (2 h 4 min of 96 kHz 24-bit stereo) for the whole mix.
    """
    size = path.stat().st_size
    if size <= 0xFFFFFFFF + 8:
        return None
    with path.open("rb") as handle:
        head = handle.read(12)
    container = _CONTAINERS.get((head[:4], head[8:12]))
    if container is None:
        return None
    return (f"{size / 2**30:.1f} GiB is more than a {container[0]} file's header can describe "
            "(4 GiB), so only part of the audio would be read; save it as RF64, W64 or FLAC")


def _cut_short(path: Path) -> str | None:
    """How a WAV or AIFF file's chunks show it cut short, or None (also for other formats).

    RF64 and streaming headers (size unknown) are not judged.
    """
    size = path.stat().st_size
    with path.open("rb") as handle:
        head = handle.read(12)
        container = _CONTAINERS.get((head[:4], head[8:12]))
        if container is None:
            return None
        kind, order, audio_chunk = container
        offset = 12
        while offset + 8 <= size:
            handle.seek(offset)
            chunk_id, length = struct.unpack(f"{order}4sI", handle.read(8))
            if chunk_id == audio_chunk:
                missing = offset + 8 + length - size
                if length in (0, 0xFFFFFFFF) or missing <= 0:
                    return None
                return (f"the {kind} header promises {missing} more bytes of audio than the "
                        "file holds")
            offset += 8 + length + (length & 1)
    return f"the {kind} file ends before its audio begins"


def _reason(err: BaseException) -> str:
    text = str(err).strip().splitlines()[-1] if str(err).strip() else type(err).__name__
    text = text.removeprefix("Error opening ").strip()
    if text.startswith("'") and "': " in text:  # libsndfile names the file: it is named already
        text = text.partition("': ")[2]
    return text


def level(value: float | None) -> float | None:
    """A level for JSON: minus infinity (silence) and undefined become null."""
    if value is None or math.isinf(value) or math.isnan(value):
        return None
    return round(float(value), 4)


def measurement_json(path: Path | str, m: Measurement) -> dict[str, Any]:
    """The JSON object ``outboard measure --json`` prints for one file."""
    document: dict[str, Any] = {
        "file": str(path),
        "sample_rate": m.sample_rate,
        "channels": m.channels,
        "frames": m.frames,
        "duration_s": round(m.duration_s, 6),
        "integrated_lufs": level(m.integrated_lufs),
        "loudness_range_lu": level(m.loudness_range_lu),
        "momentary_max_lufs": level(m.momentary_max_lufs),
        "short_term_max_lufs": level(m.short_term_max_lufs),
        "true_peak_dbtp": level(m.true_peak_dbtp),
        "sample_peak_dbfs": level(m.sample_peak_dbfs),
        "rms_dbfs": level(m.rms_dbfs),
        "crest_factor_db": level(m.crest_factor_db),
        "plr_db": level(m.plr_db),
        "psr_max_db": level(m.psr_max_db),
        "psr_min_db": level(m.psr_min_db),
        "correlation": level(m.correlation),
        "correlation_min": level(m.correlation_min),
        "mono_loss_db": level(m.mono_loss_db),
        "clipped_samples": m.clipped_samples,
        "clipped_runs": m.clipped_runs,
        "status": m.status,
        "status_detail": m.status_detail,
        "per_channel": [
            {
                "channel": ch.name,
                "true_peak_dbtp": level(ch.true_peak_dbtp),
                "sample_peak_dbfs": level(ch.sample_peak_dbfs),
                "rms_dbfs": level(ch.rms_dbfs),
                "crest_factor_db": level(ch.crest_factor_db),
                "dc_offset": float(f"{ch.dc_offset:.3e}"),
                "clipped_samples": ch.clipped_samples,
                "clipped_runs": ch.clipped_runs,
            }
            for ch in m.per_channel
        ],
    }
    if m.momentary_curve is not None and m.short_term_curve is not None:
        document["curves"] = {
            "momentary": _curve(m.momentary_curve.times_s, m.momentary_curve.lufs),
            "short_term": _curve(m.short_term_curve.times_s, m.short_term_curve.lufs),
        }
    return document


def _curve(times: np.ndarray, values: np.ndarray) -> list[list[float | None]]:
    return [[round(float(t), 2), level(v)] for t, v in zip(times, values, strict=True)]
