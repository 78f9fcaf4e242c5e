"""Broadcast-WAV prints: a streaming writer (bext, iXML, RF64, crash-safe sizes) and a reader."""

from __future__ import annotations

import math
import os
import re
import struct
import uuid
from dataclasses import dataclass
from typing import IO

import numpy as np

# Conversion works through a reused buffer of about this many samples, whatever the block size.
CHUNK_SAMPLES = 1 << 16
# A plain RIFF size must stay below 0xFFFFFFFF, the value RF64 reserves for "see ds64".
RF64_THRESHOLD = 0xFFFF_FFFE
IXML_MIN_ROOM = 16 * 1024  # bytes reserved for the iXML chunk at least
HISTORY_MIN_ROOM = 4 * 1024  # bytes reserved for the bext coding history at least
SUBTYPES = ("PCM_24", "FLOAT")

_UNSET = 0x7FFF  # EBU Tech 3285 v2: a loudness field that was not measured
_NO_SIZE = 0xFFFF_FFFF  # EBU Tech 3306: the 32-bit size lives in ds64
_PCM, _FLOAT, _EXTENSIBLE = 1, 3, 0xFFFE
# KSDATAFORMAT_SUBTYPE_PCM / _IEEE_FLOAT: the format tag in the first two bytes of this GUID.
_GUID_TAIL = uuid.UUID("00000000-0000-0010-8000-00aa00389b71").bytes_le[2:]
# Speaker masks for WAVE_FORMAT_EXTENSIBLE, as libsndfile writes them; other counts: 0 (none).
_CHANNEL_MASKS = {4: 0x33, 6: 0x3F, 8: 0xFF}
# bext: description, originator, reference, date, time, time ref low/high, version, UMID,
# five loudness fields, reserved; then the coding history (EBU Tech 3285 v2, 602 bytes).
_BEXT = struct.Struct("<256s32s32s10s8sIIH64s5h180s")
_TEXT_FIELDS = {"description": 256, "originator": 32, "originator_reference": 32,
                "origination_date": 10, "origination_time": 8}
_LOUDNESS_FIELDS = ("loudness_value", "loudness_range", "max_true_peak_level",
                    "max_momentary_loudness", "max_short_term_loudness")
_DATE = re.compile(r"\d{4}[-_:. ]\d{2}[-_:. ]\d{2}")  # Tech 3285 allows these separators
_TIME = re.compile(r"\d{2}[-_:. ]\d{2}[-_:. ]\d{2}")


@dataclass(frozen=True, slots=True)
class Bext:
    """The EBU Tech 3285 version 2 'bext' chunk. Text is ASCII; loudness in LUFS, LU, dBTP
    (stored in hundredths), ``None`` when not measured."""

    description: str
    originator: str = "Outboard"
    originator_reference: str = ""
    origination_date: str = ""  # yyyy-mm-dd
    origination_time: str = ""  # hh:mm:ss
    time_reference: int = 0  # samples since midnight
    loudness_value: float | None = None
    loudness_range: float | None = None
    max_true_peak_level: float | None = None
    max_momentary_loudness: float | None = None
    max_short_term_loudness: float | None = None
    coding_history: str = ""  # CR/LF-terminated lines

    def __post_init__(self) -> None:
        for name, size in (*_TEXT_FIELDS.items(), ("coding_history", None)):
            text = getattr(self, name)
            if not isinstance(text, str) or not text.isascii():
                raise ValueError(f"bext {name} must be ASCII text, got {text!r}")
            if size is not None and len(text) > size:
                raise ValueError(f"bext {name} is {len(text)} characters; at most {size} fit")
        for name, pattern in (("origination_date", _DATE), ("origination_time", _TIME)):
            text = getattr(self, name)
            if text and not pattern.fullmatch(text):
                raise ValueError(f"bext {name} {text!r} is not in the form "
                                 f"{'yyyy-mm-dd' if pattern is _DATE else 'hh:mm:ss'}")
        if not isinstance(self.time_reference, int) or not 0 <= self.time_reference < 1 << 64:
            raise ValueError(f"bext time_reference {self.time_reference!r} is not a 64-bit count")
        for name in _LOUDNESS_FIELDS:
            value = getattr(self, name)
            if value is not None and not (math.isfinite(value)
                                          and -32768 <= round(value * 100) < _UNSET):
                raise ValueError(f"bext {name} {value!r} does not fit in hundredths in 16 bits")


@dataclass(frozen=True, slots=True)
class PrintFileInfo:
    """What :func:`read_info` finds in a print's header."""

    sample_rate: int
    channels: int
    subtype: str  # "PCM_24" or "FLOAT"
    frames: int  # whole frames the header covers (and the file holds)
    rf64: bool
    bext: Bext | None  # None: no bext chunk
    ixml: str | None  # trailing padding removed; None: no iXML chunk


def _encode_bext(bext: Bext, room: int) -> bytes:
    """The bext payload, its coding history NUL-padded to ``room`` bytes."""
    history = bext.coding_history.encode("ascii")
    if len(history) > room:
        raise ValueError(f"bext coding_history is {len(history)} bytes; the file has room "
                         f"for {room} (reserved at open)")
    low, high = bext.time_reference & _NO_SIZE, bext.time_reference >> 32
    loudness = [_UNSET if (v := getattr(bext, n)) is None else round(v * 100)
                for n in _LOUDNESS_FIELDS]
    fixed = _BEXT.pack(*(getattr(bext, n).encode("ascii") for n in _TEXT_FIELDS),
                       low, high, 2, bytes(64), *loudness, bytes(180))
    return fixed + history.ljust(room, b"\0")


def _decode_bext(payload: bytes) -> Bext:
    *text, low, high, version, _umid, l0, l1, l2, l3, l4, _ = _BEXT.unpack_from(payload)
    loudness = [None if version < 2 or v == _UNSET else v / 100 for v in (l0, l1, l2, l3, l4)]

    def ascii_text(raw: bytes) -> str:
        return raw.split(b"\0", 1)[0].decode("ascii", "replace").replace("\ufffd", "?")

    return Bext(*map(ascii_text, text), time_reference=low | high << 32,
                **dict(zip(_LOUDNESS_FIELDS, loudness, strict=True)),
                coding_history=ascii_text(payload[_BEXT.size:]))


def _ixml_region(ixml: str, room: int) -> bytes:
    """The iXML chunk padded with spaces to ``room`` bytes, or a JUNK chunk holding the room."""
    xml = ixml.encode("utf-8")
    if len(xml) > room:
        raise ValueError(f"iXML is {len(xml)} bytes; the file has room for {room} "
                         f"(reserved at open)")
    if not xml:
        return b"JUNK" + struct.pack("<I", room) + bytes(room)
    return b"iXML" + struct.pack("<I", room) + xml.ljust(room, b" ")


def _chunk(tag: bytes, payload: bytes) -> bytes:
    return tag + struct.pack("<I", len(payload)) + payload + b"\0" * (len(payload) & 1)


def _fmt(*, sample_rate: int, channels: int, subtype: str) -> bytes:
    """fmt payload: plain PCM or IEEE float up to stereo, WAVE_FORMAT_EXTENSIBLE beyond."""
    bits, tag = (24, _PCM) if subtype == "PCM_24" else (32, _FLOAT)
    align = channels * bits // 8
    head = (sample_rate, sample_rate * align, align, bits)
    if channels > 2:
        mask = _CHANNEL_MASKS.get(channels, 0)
        guid = struct.pack("<H", tag) + _GUID_TAIL
        return struct.pack("<HHIIHHHHI", _EXTENSIBLE, channels, *head, 22, bits, mask) + guid
    if tag == _PCM:
        return struct.pack("<HHIIHH", tag, channels, *head)
    return struct.pack("<HHIIHHH", tag, channels, *head, 0)


class PrintWriter:
    """Writes a print to ``path`` as it arrives, blocks of shape=(frames, channels) at full
    scale ±1.0, keeping the header's sizes current every ``header_refresh_frames`` frames so a
    killed process leaves a readable file, and turning into RF64 once the RIFF size would pass
    ``rf64_threshold``. ``close`` writes the exact sizes and the final bext and iXML, and fsyncs.
    """

    def __init__(self, path: str | os.PathLike[str], *, sample_rate: int, channels: int,
                 subtype: str = "PCM_24", bext: Bext, ixml: str = "",
                 header_refresh_frames: int | None = None,
                 rf64_threshold: int = RF64_THRESHOLD) -> None:
        if subtype not in SUBTYPES:
            raise ValueError(f"subtype {subtype!r} is not one of {SUBTYPES}")
        if not 0 < sample_rate < 1 << 32 or not 0 < channels <= 1024:
            raise ValueError(f"{sample_rate} Hz and {channels} channels cannot be written")
        refresh = sample_rate if header_refresh_frames is None else header_refresh_frames
        if refresh < 1:
            raise ValueError(f"header_refresh_frames {refresh} must be at least 1")
        if not 0 < rf64_threshold <= RF64_THRESHOLD:
            raise ValueError(f"rf64_threshold {rf64_threshold} must be in 1..{RF64_THRESHOLD}")
        self.path = os.fspath(path)
        self.channels, self.subtype = channels, subtype
        self._refresh_every, self._threshold = refresh, rf64_threshold
        self._width = 3 if subtype == "PCM_24" else 4
        self._history_room = _even(max(2 * len(bext.coding_history), HISTORY_MIN_ROOM))
        self._ixml_room = _even(max(2 * len(ixml.encode("utf-8")), IXML_MIN_ROOM))
        bext_payload = _encode_bext(bext, self._history_room)
        ixml_region = _ixml_region(ixml, self._ixml_room)

        header = bytearray(b"RIFF\0\0\0\0WAVE" + _chunk(b"JUNK", bytes(28)))
        header += _chunk(b"fmt ", _fmt(sample_rate=sample_rate, channels=channels,
                                       subtype=subtype))
        self._fact_at = len(header) + 8 if subtype == "FLOAT" else None
        header += _chunk(b"fact", bytes(4)) if subtype == "FLOAT" else b""
        self._bext_at = len(header)
        header += _chunk(b"bext", bext_payload)
        self._ixml_at = len(header)
        header += ixml_region
        self._data_size_at = len(header) + 4
        header += b"data\0\0\0\0"
        self._data_start = len(header)
        struct.pack_into("<I", header, 4, len(header) - 8)

        self._frames = 0
        self._rf64 = False
        self._next_refresh = refresh
        chunk_frames = max(1, CHUNK_SAMPLES // channels)
        self._scratch = np.empty((chunk_frames, channels), np.float64)
        self._ints = np.empty((chunk_frames, channels), "<i4")
        self._out = np.empty((chunk_frames * channels, self._width), np.uint8)
        self._file: IO[bytes] | None = open(self.path, "wb")  # closed by close()
        try:
            self._file.write(header)
            self._file.flush()
        except BaseException:
            self._file.close()
            raise

    def __enter__(self) -> PrintWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def frames(self) -> int:  # written so far
        return self._frames

    @property
    def rf64(self) -> bool:  # the file has turned into RF64
        return self._rf64

    @property
    def closed(self) -> bool:
        return self._file is None

    def write(self, block: np.ndarray) -> None:
        """Append ``block`` (shape=(frames, channels), float32 or float64, full scale ±1.0).

        24-bit rounds to nearest and clips; float keeps overs. A block holding NaN or
        infinity is refused whole (ValueError naming the frame and channel).
        """
        if self._file is None:
            raise ValueError(f"{self.path}: write to a closed print")
        block = np.asarray(block)
        if block.ndim != 2 or block.shape[1] != self.channels:
            raise ValueError(f"block of shape {block.shape} is not (frames, {self.channels})")
        if block.dtype not in (np.float32, np.float64):
            raise ValueError(f"block dtype {block.dtype} is not float32 or float64")
        if block.size == 0:
            return
        self._check_finite(block)
        step = self._scratch.shape[0]
        for start in range(0, block.shape[0], step):
            self._write_chunk(block[start:start + step])

    def close(self, *, bext: Bext | None = None, ixml: str | None = None) -> None:
        """Finish the file: exact sizes, the pad byte, ``bext`` and ``ixml`` (when given)
        rewritten in place, fsync. Raises ValueError before touching the file when the final
        coding history or iXML do not fit the room reserved at open. Closing twice is a no-op.
        """
        if self._file is None:
            return
        bext_payload = None if bext is None else _encode_bext(bext, self._history_room)
        ixml_region = None if ixml is None else _ixml_region(ixml, self._ixml_room)
        file, self._file = self._file, None
        try:
            pad = self._data_bytes & 1
            file.write(b"\0" * pad)
            self._write_sizes(file, pad=pad)
            if bext_payload is not None:
                file.seek(self._bext_at + 8)
                file.write(bext_payload)
            if ixml_region is not None:
                file.seek(self._ixml_at)
                file.write(ixml_region)
            file.flush()
            os.fsync(file.fileno())
        finally:
            file.close()
        _fsync_directory(self.path)

    @property
    def _data_bytes(self) -> int:
        return self.frames * self.channels * self._width

    def _check_finite(self, block: np.ndarray) -> None:
        # min and max propagate NaN and cost no allocation; only a bad block is searched.
        low, high = float(block.min()), float(block.max())
        if math.isfinite(low) and math.isfinite(high):
            limit = float(np.finfo(np.float32).max)
            if self.subtype == "FLOAT" and max(-low, high) > limit:
                raise ValueError(f"{self.path}: block holds a sample beyond the float32 range; "
                                 "nothing written")
            return
        frame, channel = (int(i) for i in np.argwhere(~np.isfinite(block))[0])
        raise ValueError(f"{self.path}: block holds {block[frame, channel]} at frame {frame}, "
                         f"channel {channel} (frame {self.frames + frame} of the print); "
                         "nothing written")

    def _write_chunk(self, part: np.ndarray) -> None:
        assert self._file is not None
        frames = part.shape[0]
        end = self._data_bytes + frames * self.channels * self._width
        if not self._rf64 and self._data_start - 8 + end + (end & 1) > self._threshold:
            self._to_rf64()
        if self.subtype == "PCM_24":
            scaled = self._scratch[:frames]
            np.multiply(part, 8_388_608.0, out=scaled, dtype=np.float64)
            np.rint(scaled, out=scaled)
            np.clip(scaled, -8_388_608, 8_388_607, out=scaled)
            ints = self._ints[:frames]
            ints[...] = scaled
            out = self._out[:frames * self.channels]
            out[...] = ints.reshape(-1).view(np.uint8).reshape(-1, 4)[:, :3]
        else:
            out = self._out[:frames * self.channels].reshape(frames, self.channels * 4)
            out.view("<f4")[...] = part
        self._file.write(out.data)
        self._frames += frames
        if self._frames >= self._next_refresh:
            self._next_refresh = (self._frames // self._refresh_every + 1) * self._refresh_every
            self._file.flush()  # the audio reaches the OS before the sizes that cover it
            self._write_sizes(self._file)
            self._file.seek(0, os.SEEK_END)

    def _to_rf64(self) -> None:
        """Turn the file into RF64 in place (EBU Tech 3306): JUNK becomes ds64, then the
        32-bit sizes point to it."""
        assert self._file is not None
        self._file.flush()
        self._rf64 = True
        self._file.seek(12)
        self._file.write(b"ds64")
        self._write_sizes(self._file)
        self._file.seek(0)
        self._file.write(b"RF64")
        self._file.seek(0, os.SEEK_END)

    def _write_sizes(self, file: IO[bytes], *, pad: int = 0) -> None:
        """Sizes of what has been written (and ``pad`` bytes after the audio): ds64 once
        RF64, else the RIFF and data fields; and the fact chunk's frame count."""
        data = self._data_bytes
        riff = self._data_start - 8 + data + pad
        if self.rf64:
            file.seek(20)
            file.write(struct.pack("<QQQI", riff, data, self.frames, 0))
            riff = data = frames = _NO_SIZE
        else:
            frames = self.frames
        file.seek(4)
        file.write(struct.pack("<I", riff))
        file.seek(self._data_size_at)
        file.write(struct.pack("<I", data))
        if self._fact_at is not None:
            file.seek(self._fact_at)
            file.write(struct.pack("<I", frames))


def _even(n: int) -> int:
    return n + (n & 1)


def _fsync_directory(path: str) -> None:
    """Make the new file's directory entry durable too (POSIX only)."""
    if os.name != "posix":
        return
    fd = os.open(os.path.dirname(os.path.abspath(path)), os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def read_info(path: str | os.PathLike[str]) -> PrintFileInfo:
    """The format, length and metadata of a print (RIFF or RF64 WAV) without its audio.

    Raises ValueError naming the file when it is not a WAV or its header is damaged.
    """
    with open(path, "rb") as file:
        try:
            return _parse(file, os.fstat(file.fileno()).st_size)
        except (ValueError, struct.error) as err:
            raise ValueError(f"{os.fspath(path)}: {err}") from None


def _parse(file: IO[bytes], size: int) -> PrintFileInfo:
    head = file.read(12)
    if len(head) < 12 or head[:4] not in (b"RIFF", b"RF64", b"BW64") or head[8:] != b"WAVE":
        raise ValueError("not a WAV file (no RIFF/RF64 WAVE header)")
    rf64 = head[:4] != b"RIFF"
    found: dict[bytes, bytes] = {}
    data_size: int | None = None
    pos = 12
    while pos + 8 <= size:
        file.seek(pos)
        tag, length = struct.unpack("<4sI", file.read(8))
        body = pos + 8
        if data_size is not None and not all(32 <= c < 127 for c in tag):
            break  # after the audio, no chunk: leftovers of an unfinished print
        if tag == b"data" and data_size is None:
            if length == _NO_SIZE and rf64:
                if b"ds64" not in found:
                    raise ValueError("RF64 file without a ds64 chunk before its data")
                if len(found[b"ds64"]) < 24:
                    raise ValueError("ds64 chunk shorter than 24 bytes")
                length = struct.unpack_from("<Q", found[b"ds64"], 8)[0]
            data_size = min(length, size - body)  # a crashed print: what is there
        elif body + length > size:
            if data_size is not None:
                break  # after the audio: leftovers of an unfinished print
            raise ValueError(f"header truncated in the {tag.decode('latin-1')!r} chunk")
        elif tag in (b"fmt ", b"ds64", b"bext", b"iXML") and tag not in found:
            found[tag] = file.read(length)
        pos = body + length + (length & 1)
    if b"fmt " not in found or data_size is None:
        missing = "fmt " if b"fmt " not in found else "data"
        raise ValueError(f"no {missing!r} chunk (not a WAV, or a truncated header)")
    sample_rate, channels, subtype, align = _parse_fmt(found[b"fmt "])
    if b"bext" in found and len(found[b"bext"]) < _BEXT.size:
        raise ValueError(f"bext chunk is {len(found[b'bext'])} bytes, shorter than {_BEXT.size}")
    try:
        bext = _decode_bext(found[b"bext"]) if b"bext" in found else None
    except ValueError as err:
        raise ValueError(f"damaged bext chunk: {err}") from None
    ixml = found[b"iXML"].decode("utf-8", "replace").rstrip(" \t\r\n\0") \
        if b"iXML" in found else None
    return PrintFileInfo(sample_rate=sample_rate, channels=channels, subtype=subtype,
                         frames=data_size // align, rf64=rf64, bext=bext, ixml=ixml)


def _parse_fmt(payload: bytes) -> tuple[int, int, str, int]:
    """(sample rate, channels, subtype, block align) from a fmt payload."""
    if len(payload) < 16:
        raise ValueError(f"fmt chunk is {len(payload)} bytes, shorter than 16")
    tag, channels, rate, _byte_rate, align, bits = struct.unpack_from("<HHIIHH", payload)
    if tag == _EXTENSIBLE:
        if len(payload) < 40 or payload[26:40] != _GUID_TAIL:
            raise ValueError("WAVE_FORMAT_EXTENSIBLE fmt chunk without a PCM or float GUID")
        tag = struct.unpack_from("<H", payload, 24)[0]
    subtype = {(_PCM, 24): "PCM_24", (_FLOAT, 32): "FLOAT"}.get((tag, bits))
    if subtype is None:
        raise ValueError(f"format {tag} at {bits} bits is not a print (24-bit PCM or float32)")
    if channels < 1 or rate < 1 or align != channels * bits // 8:
        raise ValueError(f"fmt chunk is inconsistent ({channels} channels, block align {align})")
    return rate, channels, subtype, align
