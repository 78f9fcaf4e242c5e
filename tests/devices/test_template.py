"""The template language: rendering, matching and checksums, byte for byte."""

from __future__ import annotations

import pytest

from devices.template import TemplateError, checksum, parse


def test_sysex_with_ascii_value() -> None:
    t = parse("F0 1C 70 {device_id} 3C 32 35 20 {value:ascii} F7", binary=True)
    assert t.render(value=1, device_id=0).hex(" ").upper() == "F0 1C 70 00 3C 32 35 20 31 F7"
    assert t.match(bytes.fromhex("F01C70003C3235203132F7"))["value"] == 12


@pytest.mark.parametrize(("fmt", "value", "expected"), [
    ("7", 100, "64"), ("14be", 1000, "07 68"), ("14le", 1000, "68 07"),
    ("nib2", 0xAB, "0A 0B"), ("nib4", 0x1234, "01 02 03 04"), ("u8", 200, "C8"),
    ("u16be", 0x1234, "12 34"), ("u16le", 0x1234, "34 12"), ("ascii", 307, "33 30 37"),
])
def test_value_formats_round_trip(fmt: str, value: int, expected: str) -> None:
    t = parse(f"F0 {{value:{fmt}}} F7", binary=True)
    data = t.render(value=value)
    assert data[1:-1].hex(" ").upper() == expected
    assert t.match(data)["value"] == value


def test_roland_checksum() -> None:
    # Roland DT1: address 40 00 7F, data 00 -> checksum 41 (the classic GS reset).
    t = parse("F0 41 {device_id} 42 12 40 00 7F {value} {checksum:roland@5} F7", binary=True)
    data = t.render(value=0, device_id=0x10)
    assert data.hex(" ").upper() == "F0 41 10 42 12 40 00 7F 00 41 F7"
    assert t.match(data, device_id=0x10)["value"] == 0
    with pytest.raises(TemplateError, match="checksum"):
        t.match(data[:-2] + b"\x42\xf7", device_id=0x10)


def test_sum_and_xor_checksums() -> None:
    assert checksum("sum7", bytes([0x7F, 0x02])) == 0x01
    assert checksum("xor", bytes([0x0F, 0xF0])) == 0x7F


def test_status_with_channel() -> None:
    t = parse("Bn 47 7F", binary=True)
    assert t.render(channel=3) == bytes([0xB2, 0x47, 0x7F])
    with pytest.raises(TemplateError, match="status"):
        t.match(bytes([0xB0, 0x47, 0x7F]), channel=3)


def test_text_templates() -> None:
    t = parse("SET GAIN {value:.1f}", binary=False)
    assert t.render(value_units=-3.5) == b"SET GAIN -3.5"
    assert t.match(b"SET GAIN -3.5")["value"] == -3.5
    with pytest.raises(TemplateError, match="does not read as"):
        t.match(b"SET FREQ 100")


def test_dump_reply_fields() -> None:
    t = parse("F0 32 {device_id} 40 {param=threshold} {param=ratio:14be} F7", binary=True)
    data = t.render(device_id=1, values={"threshold": 10, "ratio": 300})
    assert t.parameters == ("threshold", "ratio")
    assert t.match(data, device_id=1) == {"threshold": 10, "ratio": 300}


@pytest.mark.parametrize(("source", "message"), [
    ("F0 ZZ F7", "'ZZ' is not a hex byte"),
    ("F0 {valu} F7", "{valu} is not a field"),
    ("F0 {value:16} F7", "format must be one of"),
    ("F0 {checksum:crc@1} F7", "{checksum:KIND@N}"),
    ("F0 123 F7", "'123' is not a hex byte"),
    ("   ", "non-empty"),
])
def test_syntax_errors(source: str, message: str) -> None:
    with pytest.raises(TemplateError, match=message):
        parse(source, binary=True)


def test_matching_garbage_fails_cleanly() -> None:
    t = parse("F0 00 20 {device_id} {value:14be} {checksum:xor@1} F7", binary=True)
    for garbage in (b"", b"\xf0", b"\xf0\x00\x20\x05\x01", bytes(range(20)), b"\xf7" * 9):
        with pytest.raises(TemplateError):
            t.match(garbage, device_id=5)
