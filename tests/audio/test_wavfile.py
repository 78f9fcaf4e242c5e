"""The print writer and reader: real files read back by libsndfile, bext and iXML rewritten at
close, files left by a killed process, RF64 conversion, refused NaNs and damaged headers."""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import struct
import subprocess
import sys
import textwrap
import tracemalloc
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from controller.audio.wavfile import Bext, PrintWriter, read_info

RATE = 48_000
BEXT = Bext("Print of master v3", originator_reference="OB-0001",
            origination_date="2024-05-17", origination_time="14:03:59",
            time_reference=(1 << 40) + 5, coding_history="A=PCM,F=48000,W=24,M=stereo\r\n")
IXML = "<BWFXML><IXML_VERSION>1.61</IXML_VERSION><PROJECT>Album</PROJECT></BWFXML>"


def quantise(x: np.ndarray) -> np.ndarray:
    """The 24-bit codes a float signal should become: round to nearest, clip."""
    return np.clip(np.rint(np.asarray(x, np.float64) * 2**23), -(2**23), 2**23 - 1).astype(int)


def read24(path: Path) -> np.ndarray:
    """The 24-bit codes libsndfile reads, shape=(frames, channels)."""
    data, rate = sf.read(path, dtype="int32", always_2d=True)
    assert rate == RATE
    return data >> 8


def chunks(path: Path) -> list[tuple[bytes, int, int]]:
    """(tag, offset, declared size) of every chunk up to and including data, read raw."""
    raw = path.read_bytes()
    found, pos = [], 12
    while pos + 8 <= len(raw):
        tag, size = struct.unpack_from("<4sI", raw, pos)
        found.append((tag, pos, size))
        if tag == b"data":
            break
        pos += 8 + size + (size & 1)
    return found


def payload(path: Path, tag: bytes) -> bytes:
    raw = path.read_bytes()
    ((_, pos, size),) = [c for c in chunks(path) if c[0] == tag]
    return raw[pos + 8:pos + 8 + size]


def signal(frames: int, channels: int, *, seed: int = 0, peak: float = 1.0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-peak, peak, (frames, channels))


def write_blocks(writer: PrintWriter, x: np.ndarray, *, seed: int = 1, most: int = 4999) -> None:
    """Write ``x`` in blocks of random, mostly odd, sizes."""
    rng, start = np.random.default_rng(seed), 0
    while start < len(x):
        size = int(rng.integers(1, most + 1))
        writer.write(x[start:start + size])
        start += size


def test_pcm24_round_trip_rounds_and_clips(tmp_path: Path) -> None:
    x = signal(20_011, 2, peak=1.3)  # about a quarter beyond full scale
    x[:6] = [[1.0, -1.0], [0.5 / 2**23, -0.5 / 2**23], [1.5 / 2**23, 2.5 / 2**23],
             [1e9, -1e9], [-1.0 - 2**-23, 1.0 - 2**-23], [0.0, -0.0]]
    path = tmp_path / "print.wav"
    with PrintWriter(path, sample_rate=RATE, channels=2, bext=BEXT) as writer:
        write_blocks(writer, x)
        assert writer.frames == len(x)
    codes = read24(path)
    assert np.array_equal(codes, quantise(x))
    assert codes[0].tolist() == [2**23 - 1, -(2**23)]  # +1.0 clips to the top code
    assert codes[3].tolist() == [2**23 - 1, -(2**23)]
    assert codes[2].tolist() == [2, 2]  # round half to even, as np.rint
    back, _ = sf.read(path, always_2d=True)
    assert np.max(np.abs(back - np.clip(x, -1.0, 1.0))) <= 2**-23
    assert sf.info(path).subtype == "PCM_24"


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_float_round_trip_is_exact_and_keeps_overs(tmp_path: Path, dtype: type) -> None:
    x = signal(10_007, 2, peak=2.0).astype(dtype)
    path = tmp_path / "print.wav"
    with PrintWriter(path, sample_rate=RATE, channels=2, subtype="FLOAT", bext=BEXT) as writer:
        write_blocks(writer, x)
    back, _ = sf.read(path, dtype="float32", always_2d=True)
    assert np.array_equal(back, x.astype(np.float32))
    assert sf.info(path).subtype == "FLOAT"
    assert struct.unpack("<I", payload(path, b"fact"))[0] == len(x)


@pytest.mark.parametrize("subtype", ["PCM_24", "FLOAT"])
@pytest.mark.parametrize("channels", [1, 2, 6])
def test_layout_and_format_chunk(tmp_path: Path, channels: int, subtype: str) -> None:
    x = signal(4_801, channels, peak=0.9)
    path = tmp_path / "print.wav"
    with PrintWriter(path, sample_rate=RATE, channels=channels, subtype=subtype,
                     bext=BEXT, ixml=IXML) as writer:
        writer.write(x)
    info = sf.info(path)
    assert (info.subtype, info.channels, info.frames, info.format) == (
        subtype, channels, len(x), "WAV" if channels <= 2 else "WAVEX")
    tags = [tag for tag, _, _ in chunks(path)]
    fact = [b"fact"] if subtype == "FLOAT" else []
    assert tags == [b"JUNK", b"fmt ", *fact, b"bext", b"iXML", b"data"]
    assert chunks(path)[0] == (b"JUNK", 12, 28)  # the room for ds64
    raw = path.read_bytes()
    assert struct.unpack_from("<I", raw, 4)[0] == len(raw) - 8
    assert len(raw) % 2 == 0 and chunks(path)[-1][2] == len(x) * channels * (
        3 if subtype == "PCM_24" else 4)
    fmt = payload(path, b"fmt ")
    tag = 1 if subtype == "PCM_24" else 3
    if channels <= 2:
        assert struct.unpack_from("<H", fmt)[0] == tag
    else:
        assert struct.unpack_from("<HH", fmt) == (0xFFFE, channels)
        guid = uuid.UUID(f"{tag:08x}-0000-0010-8000-00aa00389b71").bytes_le
        assert fmt[24:40] == guid
    back, _ = sf.read(path, dtype="float64", always_2d=True)
    expected = quantise(x) / 2**23 if subtype == "PCM_24" else x.astype(np.float32)
    assert np.array_equal(back, expected)


def test_odd_data_is_padded(tmp_path: Path) -> None:
    path = tmp_path / "mono.wav"
    with PrintWriter(path, sample_rate=RATE, channels=1, bext=BEXT) as writer:
        writer.write(np.full((3, 1), 0.25))
    raw = path.read_bytes()
    assert chunks(path)[-1][2] == 9 and raw[-1:] == b"\0" and len(raw) % 2 == 0
    assert struct.unpack_from("<I", raw, 4)[0] == len(raw) - 8
    assert read24(path)[:, 0].tolist() == [2**21] * 3


def test_bext_and_ixml_are_rewritten_at_close(tmp_path: Path) -> None:
    path = tmp_path / "print.wav"
    final_bext = dataclasses.replace(
        BEXT, loudness_value=-14.03, loudness_range=6.5, max_true_peak_level=-1.04,
        max_momentary_loudness=-9.99, max_short_term_loudness=-11.2,
        coding_history=BEXT.coding_history + "A=ANALOGUE,M=stereo,T=Bus compressor\r\n")
    final_ixml = IXML.replace("</BWFXML>", "<NOTE>" + "x" * 3000 + "</NOTE></BWFXML>")
    with PrintWriter(path, sample_rate=RATE, channels=2, bext=BEXT, ixml=IXML) as writer:
        writer.write(signal(1000, 2))
        opened = read_info(path)
        assert opened.bext == BEXT and opened.ixml == IXML
        writer.close(bext=final_bext, ixml=final_ixml)
    info = read_info(path)
    assert info.bext == final_bext and info.ixml == final_ixml
    assert (info.sample_rate, info.channels, info.subtype, info.frames, info.rf64) == (
        RATE, 2, "PCM_24", 1000, False)
    bext = payload(path, b"bext")
    assert struct.unpack_from("<H", bext, 346) == (2,)  # version 2
    assert struct.unpack_from("<5h", bext, 412) == (-1403, 650, -104, -999, -1120)
    assert struct.unpack_from("<II", bext, 338) == (5, 1 << 8)
    ET.fromstring(payload(path, b"iXML").decode("utf-8"))  # padding keeps it valid XML
    assert sf.info(path).frames == 1000


def test_unmeasured_loudness_is_stored_as_0x7fff(tmp_path: Path) -> None:
    path = tmp_path / "print.wav"
    with PrintWriter(path, sample_rate=RATE, channels=2, bext=BEXT) as writer:
        writer.write(signal(10, 2))
        writer.close(bext=dataclasses.replace(BEXT, loudness_range=7.0))
    bext = payload(path, b"bext")
    assert struct.unpack_from("<5h", bext, 412) == (0x7FFF, 700, 0x7FFF, 0x7FFF, 0x7FFF)
    assert read_info(path).bext == dataclasses.replace(BEXT, loudness_range=7.0)


def test_no_ixml_reserves_room_in_junk_until_close(tmp_path: Path) -> None:
    path = tmp_path / "print.wav"
    with PrintWriter(path, sample_rate=RATE, channels=2, bext=BEXT) as writer:
        writer.write(signal(10, 2))
        assert read_info(path).ixml is None
        assert [tag for tag, _, _ in chunks(path)].count(b"JUNK") == 2
        writer.close(ixml=IXML)
    assert read_info(path).ixml == IXML


@pytest.mark.parametrize(("field", "size"), [
    ("description", 256), ("originator", 32), ("originator_reference", 32)])
def test_bext_text_too_long_names_the_field(field: str, size: int) -> None:
    assert dataclasses.replace(BEXT, **{field: "a" * size})  # exactly full is fine
    with pytest.raises(ValueError, match=field):
        dataclasses.replace(BEXT, **{field: "a" * (size + 1)})


@pytest.mark.parametrize(("field", "value"), [
    ("description", "Mastering à Paris"), ("origination_date", "17/05/2024"),
    ("origination_time", "2pm"), ("time_reference", -1), ("time_reference", 1 << 64),
    ("loudness_value", float("nan")), ("max_true_peak_level", 400.0)])
def test_bext_refuses_what_cannot_be_stored(field: str, value: object) -> None:
    with pytest.raises(ValueError, match=field):
        dataclasses.replace(BEXT, **{field: value})


def test_final_metadata_that_does_not_fit_leaves_the_file_untouched(tmp_path: Path) -> None:
    path = tmp_path / "print.wav"
    writer = PrintWriter(path, sample_rate=RATE, channels=2, bext=BEXT, ixml=IXML)
    writer.write(signal(RATE + 10, 2))  # past one refresh
    before = path.read_bytes()
    with pytest.raises(ValueError, match="iXML is 20000 bytes"):
        writer.close(ixml="<a>" + " " * 19_993 + "</a>")
    with pytest.raises(ValueError, match="coding_history"):
        writer.close(bext=dataclasses.replace(BEXT, coding_history="A=PCM\r\n" * 1000))
    assert path.read_bytes() == before and not writer.closed
    writer.close()
    assert read_info(path).ixml == IXML and read_info(path).frames == RATE + 10


CRASHING_WRITER = """
    import os, sys
    import numpy as np
    from controller.audio.wavfile import Bext, PrintWriter
    x = np.random.default_rng(7).uniform(-1, 1, (168_000, 2))
    writer = PrintWriter(sys.argv[1], sample_rate=48_000, channels=2, bext=Bext("crash"),
                         header_refresh_frames=48_000)
    for start in range(0, len(x), 1_000):
        writer.write(x[start:start + 1_000])
    os._exit(0)  # killed mid-print: no close, no flush
"""


def test_a_killed_print_reads_up_to_the_last_refresh(tmp_path: Path) -> None:
    path = tmp_path / "crashed.wav"
    subprocess.run([sys.executable, "-c", textwrap.dedent(CRASHING_WRITER), str(path)],
                   check=True, cwd=Path(__file__).parents[2], timeout=60)
    x = np.random.default_rng(7).uniform(-1, 1, (168_000, 2))
    codes = read24(path)
    assert 3 * RATE <= len(codes) <= len(x)
    assert np.array_equal(codes, quantise(x[:len(codes)]))
    assert read_info(path).frames == len(codes)


def test_a_snapshot_mid_print_reads_up_to_the_last_refresh(tmp_path: Path) -> None:
    path, snapshot = tmp_path / "print.wav", tmp_path / "snapshot.wav"
    x = signal(int(3.5 * RATE), 2)
    with PrintWriter(path, sample_rate=RATE, channels=2, bext=BEXT,
                     header_refresh_frames=RATE) as writer:
        for start in range(0, len(x), 4_800):
            writer.write(x[start:start + 4_800])
        shutil.copyfile(path, snapshot)  # what the OS holds: what a kill would leave
    assert np.array_equal(read24(snapshot), quantise(x[:3 * RATE]))


@pytest.mark.parametrize(("channels", "subtype"), [(1, "PCM_24"), (2, "FLOAT"), (6, "PCM_24")])
def test_rf64_conversion(tmp_path: Path, channels: int, subtype: str) -> None:
    threshold, refresh = 1 << 20, 7_919
    width = 3 if subtype == "PCM_24" else 4
    x = signal(int(1.6 * threshold) // (channels * width) | 1, channels, seed=channels)
    path, snapshot = tmp_path / "print.wav", tmp_path / "snapshot.wav"
    rng = np.random.default_rng(3)
    last_refresh = refreshes_after_conversion = 0
    with PrintWriter(path, sample_rate=RATE, channels=channels, subtype=subtype, bext=BEXT,
                     ixml=IXML, header_refresh_frames=refresh,
                     rf64_threshold=threshold) as writer:
        start = 0
        while start < len(x):
            size = int(rng.integers(1, 2_500)) | 1
            before = writer.frames
            writer.write(x[start:start + size])
            start += size
            if writer.frames // refresh > before // refresh:
                last_refresh = writer.frames
                refreshes_after_conversion += writer.rf64
            if refreshes_after_conversion == 2 and writer.frames > last_refresh:
                shutil.copyfile(path, snapshot)
                snapshot_frames = last_refresh
                refreshes_after_conversion += 1
        assert writer.rf64 and refreshes_after_conversion > 2
        writer.close(bext=dataclasses.replace(BEXT, loudness_value=-10.0))

    raw = path.read_bytes()
    assert raw[:4] == b"RF64" and struct.unpack_from("<I", raw, 4)[0] == 0xFFFFFFFF
    assert raw[12:20] == b"ds64" + struct.pack("<I", 28)
    assert struct.unpack_from("<QQQI", raw, 20) == (
        len(raw) - 8, len(x) * channels * width, len(x), 0)
    assert chunks(path)[-1][2] == 0xFFFFFFFF
    info = sf.info(path)
    assert (info.format, info.subtype, info.frames) == ("RF64", subtype, len(x))
    back, _ = sf.read(path, dtype="float64", always_2d=True)
    expected = quantise(x) / 2**23 if subtype == "PCM_24" else x.astype(np.float32)
    assert np.array_equal(back, expected)
    assert read_info(path) == dataclasses.replace(
        read_info(path), rf64=True, frames=len(x), ixml=IXML,
        bext=dataclasses.replace(BEXT, loudness_value=-10.0))

    assert read_info(snapshot).rf64 and read_info(snapshot).frames == snapshot_frames
    partial, _ = sf.read(snapshot, dtype="float64", always_2d=True)
    assert np.array_equal(partial, expected[:snapshot_frames])


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_blocks_are_refused_whole(tmp_path: Path, bad: float) -> None:
    path = tmp_path / "print.wav"
    good = signal(100, 2)
    with PrintWriter(path, sample_rate=RATE, channels=2, bext=BEXT) as writer:
        writer.write(good)
        block = signal(50, 2, seed=2)
        block[5, 1] = bad
        with pytest.raises(ValueError, match=r"frame 5, channel 1 \(frame 105 of the print\)"):
            writer.write(block)
        assert writer.frames == 100
    assert np.array_equal(read24(path), quantise(good))


def test_float_beyond_float32_range_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "print.wav"
    with PrintWriter(path, sample_rate=RATE, channels=1, subtype="FLOAT", bext=BEXT) as writer:
        with pytest.raises(ValueError, match="float32 range"):
            writer.write(np.array([[0.5], [1e39]]))
        assert writer.frames == 0


@pytest.mark.parametrize("block", [np.zeros((10, 3)), np.zeros(10), np.zeros((10, 2), int)])
def test_blocks_of_the_wrong_shape_or_type_are_refused(tmp_path: Path, block: np.ndarray
                                                       ) -> None:
    with PrintWriter(tmp_path / "p.wav", sample_rate=RATE, channels=2, bext=BEXT) as writer:
        with pytest.raises(ValueError, match="block"):
            writer.write(block)


def test_write_after_close_is_refused(tmp_path: Path) -> None:
    writer = PrintWriter(tmp_path / "p.wav", sample_rate=RATE, channels=2, bext=BEXT)
    writer.close()
    writer.close()  # a second close is a no-op
    with pytest.raises(ValueError, match="closed"):
        writer.write(np.zeros((1, 2)))


def test_leaving_the_block_on_an_error_keeps_what_was_written(tmp_path: Path) -> None:
    path = tmp_path / "print.wav"
    with pytest.raises(RuntimeError), PrintWriter(path, sample_rate=RATE, channels=2,
                                                  bext=BEXT) as writer:
        writer.write(signal(777, 2))
        raise RuntimeError("stream died")
    assert writer.closed and sf.info(path).frames == 777


def test_memory_stays_flat_for_a_long_block(tmp_path: Path) -> None:
    block = signal(10 * RATE, 6)  # 23 MB of float64
    with PrintWriter(tmp_path / "p.wav", sample_rate=RATE, channels=6, bext=BEXT) as writer:
        tracemalloc.start()
        try:
            writer.write(block)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert peak < 1 << 20


def test_read_info_refuses_a_file_that_is_not_a_wav(tmp_path: Path) -> None:
    path = tmp_path / "notes.wav"
    path.write_text("not audio at all, just some text long enough to parse")
    with pytest.raises(ValueError, match=re.escape(str(path)) + ".*not a WAV"):
        read_info(path)


@pytest.mark.parametrize("keep", [8, 30, 60, 100, 700])
def test_read_info_refuses_a_truncated_header(tmp_path: Path, keep: int) -> None:
    path = tmp_path / "print.wav"
    with PrintWriter(path, sample_rate=RATE, channels=2, bext=BEXT, ixml=IXML) as writer:
        writer.write(signal(100, 2))
    cut = tmp_path / "cut.wav"
    cut.write_bytes(path.read_bytes()[:keep])
    with pytest.raises(ValueError, match=re.escape(str(cut))):
        read_info(cut)


def test_read_info_refuses_a_damaged_format_chunk(tmp_path: Path) -> None:
    path = tmp_path / "print.wav"
    with PrintWriter(path, sample_rate=RATE, channels=2, bext=BEXT) as writer:
        writer.write(signal(100, 2))
    raw = bytearray(path.read_bytes())
    struct.pack_into("<H", raw, 56 + 14, 16)  # 16 bits in the fmt chunk
    path.write_bytes(raw)
    with pytest.raises(ValueError, match=re.escape(str(path)) + ".*16 bits"):
        read_info(path)


def test_read_info_of_a_missing_file_raises_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_info(tmp_path / "none.wav")
    assert not os.path.exists(tmp_path / "none.wav")


def test_a_print_killed_before_its_first_refresh_reads_as_empty(tmp_path: Path) -> None:
    path, snapshot = tmp_path / "print.wav", tmp_path / "snapshot.wav"
    with PrintWriter(path, sample_rate=RATE, channels=2, bext=BEXT, ixml=IXML) as writer:
        writer.write(np.zeros((RATE // 2, 2)))  # silence: zeros that look like empty chunks
        shutil.copyfile(path, snapshot)  # the audio is on disk, none of it counted yet
    assert read_info(snapshot).frames == 0 and read_info(snapshot).bext == BEXT
    assert sf.info(snapshot).frames == 0
