"""Message templates: the closed little language profiles use to spell bytes and commands.

A binary template is hex bytes and fields separated by spaces: ``F0 1C 70 {device_id} 3C
{value:ascii} F7``. A text template (serial commands) is literal text with fields:
``GAIN {value:.1f}``. Templates are data: parsed once at load into tokens, rendered into
bytes, or matched against bytes to read a reply. Nothing is evaluated.

Fields:
  {value}            the wire value, one 7-bit byte (text: decimal digits)
  {value:14be}       the wire value as two 7-bit bytes, most significant first
  {value:14le}       the same, least significant first
  {value:nib2}       two 4-bit nibbles, high first (8-bit values);  {value:nib4}: four
  {value:u8}         one raw byte;  {value:u16be} / {value:u16le}: two raw bytes
  {value:ascii}      the wire value as ASCII decimal digits
  {value:.Nf}        text only: the value in engineering units with N decimals
  {value:d}          text only: the value in engineering units, rounded to a whole number
  {device_id} {param} {param:14be}   the unit's device id; the binding's parameter number
  {checksum:sum7@N}  7-bit sum of bytes N.. up to the checksum
  {checksum:xor@N}   XOR of bytes N.. (masked to 7 bits)
  {checksum:roland@N}  Roland: 128 minus the 7-bit sum, of bytes N..
  {param=ID}         in dump replies: the wire value of parameter ID (any value format)
  {any} {any:N}      in replies: one, or N, bytes that are not checked
Binary bytes may be a status with the unit's channel: Bn, Cn, En, 9n, 8n, An, Dn.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_VALUE_FORMATS = {"7", "14be", "14le", "nib2", "nib4", "u8", "u16be", "u16le", "ascii"}
_WIDTHS = {"7": 1, "14be": 2, "14le": 2, "nib2": 2, "nib4": 4, "u8": 1, "u16be": 2, "u16le": 2}
VALUE_LIMITS = {"7": 127, "14be": 16383, "14le": 16383, "nib2": 255, "nib4": 65535, "u8": 255,
           "u16be": 65535, "u16le": 65535, "ascii": 10**9}
_CHECKSUMS = {"sum7", "xor", "roland"}
_TEXT_NUMBER = re.compile(r"^\.(\d)f$")
_FIELD = re.compile(r"\{([^{}]*)\}")
_ID = re.compile(r"^[a-z][a-z0-9_.]*$")
# The most characters a number in a reply may have: more is noise, not a value (and Python
# refuses to read integers of over 4,300 digits).
MAX_NUMBER = 32


class TemplateError(ValueError):
    """A template that does not follow the closed syntax (the loader adds file and key)."""


@dataclass(frozen=True, slots=True)
class Field:
    """A field of a template: ``name`` is value, device_id, param, checksum, any or a
    parameter id (dump replies); ``fmt`` the value format; ``start`` the checksum's first
    byte; ``count`` the bytes an ``any`` skips."""

    name: str
    fmt: str = "7"
    start: int = 0
    count: int = 1
    parameter: str | None = None


Token = bytes | str | Field


@dataclass(frozen=True, slots=True)
class Template:
    """A parsed template. ``binary`` templates render bytes; text ones render text lines."""

    source: str
    binary: bool
    tokens: tuple[Token, ...]

    @property
    def parameters(self) -> tuple[str, ...]:
        """Parameter ids a dump reply carries, in order."""
        return tuple(t.parameter for t in self.tokens if isinstance(t, Field) and t.parameter)

    def render(self, *, value: int = 0, value_units: float = 0.0, device_id: int = 0,
               channel: int = 1, param: int = 0,
               values: dict[str, int] | None = None) -> bytes:
        """The bytes of this template for one value (``values`` fills a dump's fields)."""
        out = bytearray()
        checksums: list[tuple[int, Field]] = []
        for token in self.tokens:
            if isinstance(token, bytes):
                out += token
            elif isinstance(token, str):
                out += token.encode("ascii")
            elif token.name == "status":
                out.append(token.start | ((channel - 1) & 0x0F))
            elif token.name == "checksum":
                checksums.append((len(out), token))
                out.append(0)
            elif token.name == "value":
                out += _encode(token.fmt, value, value_units, self.binary)
            elif token.name == "device_id":
                out += _encode(token.fmt, device_id, device_id, self.binary)
            elif token.name == "param":
                if token.parameter is not None:
                    out += _encode(token.fmt, (values or {})[token.parameter], 0.0, self.binary)
                else:
                    out += _encode(token.fmt, param, param, self.binary)
            elif token.name == "any":
                out += bytes(token.count)
        for position, token in checksums:
            out[position] = checksum(token.fmt, bytes(out[token.start : position]))
        return bytes(out)

    def match(self, data: bytes, *, device_id: int = 0, channel: int = 1,
              param: int = 0) -> dict[str, int | float]:
        """Read ``data`` against this template as a pattern.

        Returns the captured fields: "value" (wire value, or text number), and each
        dump parameter by id. Raises TemplateError when the bytes do not fit.
        """
        if not self.binary:
            return _match_text(self, data)
        captured: dict[str, int | float] = {}
        pos = 0
        checks: list[tuple[int, Field]] = []
        for token in self.tokens:
            if isinstance(token, bytes):
                if data[pos : pos + len(token)] != token:
                    raise TemplateError(
                        f"expected {token.hex(' ').upper()} at byte {pos}, "
                        f"got {data[pos : pos + len(token)].hex(' ').upper() or 'nothing'}"
                    )
                pos += len(token)
            elif isinstance(token, Field):
                if token.name == "status":
                    expected = token.start | ((channel - 1) & 0x0F)
                    if pos >= len(data) or data[pos] != expected:
                        raise TemplateError(f"expected status {expected:02X} at byte {pos}")
                    pos += 1
                elif token.name == "checksum":
                    checks.append((pos, token))
                    pos += 1
                elif token.name == "any":
                    pos += token.count
                else:
                    number, pos = _decode(token.fmt, data, pos)
                    if token.name == "device_id" and number != device_id:
                        raise TemplateError(f"reply is for device id {number}, not {device_id}")
                    if token.name == "param" and token.parameter is None and number != param:
                        raise TemplateError(f"reply is for parameter {number}, not {param}")
                    key = token.parameter or token.name
                    if token.name in ("value",) or token.parameter:
                        captured[key] = number
        if pos != len(data):
            raise TemplateError(f"{len(data) - pos} bytes left over after the reply")
        for position, token in checks:
            want = checksum(token.fmt, data[token.start : position])
            if data[position] != want:
                raise TemplateError(f"checksum {data[position]:02X} should be {want:02X}")
        return captured


def checksum(kind: str, data: bytes) -> int:
    """A 7-bit checksum of ``data``: sum7, xor or roland."""
    if kind == "sum7":
        return sum(data) & 0x7F
    if kind == "xor":
        result = 0
        for byte in data:
            result ^= byte
        return result & 0x7F
    return (128 - (sum(data) & 0x7F)) & 0x7F  # roland


def _encode(fmt: str, number: int, units: float, binary: bool) -> bytes:
    if not binary:
        if fmt == "ascii" or fmt == "7":
            return str(int(number)).encode("ascii")
        if fmt == "d":
            return str(int(round(units))).encode("ascii")
        decimals = int(_TEXT_NUMBER.match(fmt).group(1))  # type: ignore[union-attr]
        return f"{units:.{decimals}f}".encode("ascii")
    if number < 0 or number > VALUE_LIMITS[fmt]:
        raise TemplateError(f"value {number} does not fit format {fmt}")
    if fmt == "7":
        return bytes([number])
    if fmt == "14be":
        return bytes([(number >> 7) & 0x7F, number & 0x7F])
    if fmt == "14le":
        return bytes([number & 0x7F, (number >> 7) & 0x7F])
    if fmt in ("nib2", "nib4"):
        count = 2 if fmt == "nib2" else 4
        return bytes((number >> (4 * (count - 1 - i))) & 0x0F for i in range(count))
    if fmt == "u8":
        return bytes([number])
    if fmt == "u16be":
        return number.to_bytes(2, "big")
    if fmt == "u16le":
        return number.to_bytes(2, "little")
    return str(number).encode("ascii")  # ascii


def _decode(fmt: str, data: bytes, pos: int) -> tuple[int, int]:
    if fmt == "ascii":
        end = pos
        while end < len(data) and 0x30 <= data[end] <= 0x39:
            end += 1
        if end == pos:
            raise TemplateError(f"expected ASCII digits at byte {pos}")
        if end - pos > MAX_NUMBER:
            raise TemplateError(f"{end - pos} ASCII digits at byte {pos} are not a value")
        return int(data[pos:end].decode("ascii")), end
    width = _WIDTHS[fmt]
    chunk = data[pos : pos + width]
    if len(chunk) < width:
        raise TemplateError(f"reply ends at byte {len(data)}, {width} more expected")
    if fmt in ("7", "14be", "14le", "nib2", "nib4") and any(b > 0x7F for b in chunk):
        raise TemplateError(f"byte above 7F inside a 7-bit field at byte {pos}")
    if fmt in ("7", "u8"):
        number = chunk[0]
    elif fmt == "14be":
        number = (chunk[0] << 7) | chunk[1]
    elif fmt == "14le":
        number = (chunk[1] << 7) | chunk[0]
    elif fmt in ("nib2", "nib4"):
        if any(b > 0x0F for b in chunk):
            raise TemplateError(f"nibble above 0F at byte {pos}")
        number = 0
        for b in chunk:
            number = (number << 4) | b
    elif fmt == "u16be":
        number = int.from_bytes(chunk, "big")
    else:
        number = int.from_bytes(chunk, "little")
    return number, pos + width


def _match_text(template: Template, data: bytes) -> dict[str, int | float]:
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError as err:
        raise TemplateError("reply is not ASCII text") from err
    pattern = ""
    names: list[str] = []
    for token in template.tokens:
        if isinstance(token, str):
            pattern += re.escape(token)
        elif isinstance(token, Field):
            pattern += r"\s*([-+]?\d+(?:\.\d+)?)"
            names.append(token.parameter or token.name)
    found = re.fullmatch(pattern, text.strip())
    if found is None:
        raise TemplateError(f"reply {text.strip()!r} does not read as {template.source!r}")
    captured: dict[str, int | float] = {}
    for name, number in zip(names, found.groups(), strict=True):
        if len(number) > MAX_NUMBER:
            raise TemplateError(f"a number of {len(number)} characters is not a value")
        if name in ("value",) or name not in ("device_id", "param", "checksum", "any"):
            captured[name] = float(number) if "." in number else int(number)
    return captured


def parse(source: str, *, binary: bool) -> Template:
    """Parse ``source``; TemplateError naming the first thing outside the syntax."""
    if not isinstance(source, str) or not source.strip():
        raise TemplateError("a template must be non-empty text")
    tokens: list[Token] = []
    if binary:
        for word in source.split():
            tokens.append(_binary_token(word))
    else:
        position = 0
        for found in _FIELD.finditer(source):
            if found.start() > position:
                tokens.append(source[position : found.start()])
            field = _field(found.group(1), binary=False)
            if field.name in ("checksum", "any"):
                raise TemplateError(f"{{{found.group(1)}}} belongs in binary templates only")
            tokens.append(field)
            position = found.end()
        if position < len(source):
            tokens.append(source[position:])
        if "{" in "".join(t for t in tokens if isinstance(t, str)) or "}" in "".join(
            t for t in tokens if isinstance(t, str)
        ):
            raise TemplateError(f"unbalanced braces in {source!r}")
    return Template(source=source, binary=binary, tokens=tuple(tokens))


def _binary_token(word: str) -> Token:
    if word.startswith("{") and word.endswith("}"):
        return _field(word[1:-1], binary=True)
    if len(word) == 2 and word[1] in "nN" and word[0].upper() in "89ABCDE":
        return Field("status", start=int(word[0], 16) << 4)
    if len(word) != 2:
        raise TemplateError(f"'{word}' is not a hex byte (two hex digits) or a {{field}}")
    try:
        return bytes([int(word, 16)])
    except ValueError:
        raise TemplateError(f"'{word}' is not a hex byte (two hex digits) or a {{field}}") from None


def _field(body: str, *, binary: bool) -> Field:
    name, _, fmt = body.partition(":")
    if name == "value":
        fmt = fmt or "7"
        if binary and fmt not in _VALUE_FORMATS:
            raise TemplateError(f"{{value:{fmt}}}: format must be one of {sorted(_VALUE_FORMATS)}")
        if not binary and fmt not in ("7", "ascii", "d") and not _TEXT_NUMBER.match(fmt):
            raise TemplateError(f"{{value:{fmt}}}: text formats are {{value}}, {{value:d}}, "
                                "{value:.Nf}")
        return Field("value", fmt=fmt)
    if name in ("device_id", "param"):
        fmt = fmt or "7"
        if not binary and fmt != "7":
            raise TemplateError(f"{{{body}}}: text templates write {{{name}}} as plain digits")
        if fmt not in ("7", "14be", "14le", "u8"):
            raise TemplateError(f"{{{body}}}: format must be 7, 14be, 14le or u8")
        return Field(name, fmt=fmt)
    if name.startswith("param="):
        parameter = name.removeprefix("param=")
        if not _ID.match(parameter):
            raise TemplateError(f"{{{body}}}: '{parameter}' is not a parameter id")
        if not binary and fmt:
            raise TemplateError(f"{{{body}}}: text templates write values as plain digits")
        fmt = fmt or "7"
        if fmt not in _VALUE_FORMATS:
            raise TemplateError(f"{{{body}}}: format must be one of {sorted(_VALUE_FORMATS)}")
        return Field("param", fmt=fmt, parameter=parameter)
    if name == "checksum":
        kind, _, start = fmt.partition("@")
        if kind not in _CHECKSUMS or not start.isdigit():
            raise TemplateError(f"{{{body}}}: write {{checksum:KIND@N}}, KIND one of "
                                f"{sorted(_CHECKSUMS)}, N the first byte summed")
        return Field("checksum", fmt=kind, start=int(start))
    if name == "any":
        count = fmt or "1"
        if not count.isdigit() or int(count) < 1:
            raise TemplateError(f"{{{body}}}: write {{any}} or {{any:N}}")
        return Field("any", count=int(count))
    raise TemplateError(f"{{{body}}} is not a field (value, device_id, param, param=ID, "
                        "checksum, any)")
