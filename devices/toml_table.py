"""Reading one TOML table of a profile: typed getters that complain in the file's terms."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .errors import ProfileError
from .template import Template, TemplateError, parse

SHOWN_LENGTH = 80  # a value quoted in an error is cut to this many characters
# What a one-line text (a name, a label) may not hold: control characters and line breaks.
_LINE_BREAKING = ("Cc", "Zl", "Zp")
_LONG_WORD = re.compile(rf"\S{{{SHOWN_LENGTH + 1},}}")


class Table:
    """One TOML table being read: takes keys off it and complains in the file's terms."""

    def __init__(self, path: Path, where: str, data: Any) -> None:
        if not isinstance(data, dict):
            raise ProfileError(f"{path}: {where} must be a table")
        self.path, self.where, self.data = path, where, dict(data)
        self._used: set[str] = set()

    def fail(self, key: str, expected: str, got: Any = ...) -> ProfileError:
        got_text = "" if got is ... else f", got {shown(got)}"
        return ProfileError(f"{self.path}: {self.where}key '{key}' must be {expected}{got_text}")

    def get(self, key: str, check: Callable[[Any], bool], expected: str,
            default: Any = ...) -> Any:
        self._used.add(key)
        if key not in self.data:
            if default is ...:
                raise ProfileError(f"{self.path}: {self.where}key '{key}' is missing "
                                   f"(expected {expected})")
            return default
        value = self.data[key]
        if not check(value):
            raise self.fail(key, expected, value)
        return value

    def text(self, key: str, default: Any = ...) -> Any:
        return self.get(key, lambda v: isinstance(v, str), "text", default)

    def line(self, key: str, default: Any = ...) -> Any:
        """Text shown on one line (a name, a unit): no control characters or line breaks."""
        return self.get(key, lambda v: isinstance(v, str) and one_line(v),
                        "text on one line (no control characters)", default)

    def number(self, key: str, default: Any = ..., *, low: float = -math.inf,
               high: float = math.inf) -> Any:
        def ok(v: Any) -> bool:
            return (isinstance(v, int | float) and not isinstance(v, bool)
                    and math.isfinite(v) and low <= v <= high)
        expected = "a number" + (f" from {low:g} to {high:g}" if math.isfinite(low) else "")
        value = self.get(key, ok, expected, default)
        return value if value is None or value is ... else float(value)

    def integer(self, key: str, default: Any = ..., *, low: int = 0, high: int = 127) -> Any:
        def ok(v: Any) -> bool:
            return isinstance(v, int) and not isinstance(v, bool) and low <= v <= high
        return self.get(key, ok, f"a whole number from {low} to {high}", default)

    def flag(self, key: str, default: Any = ...) -> Any:
        return self.get(key, lambda v: isinstance(v, bool), "true or false", default)

    def choice(self, key: str, options: tuple[str, ...], default: Any = ...) -> Any:
        return self.get(key, lambda v: v in options, "one of " + ", ".join(options), default)

    def template(self, key: str, *, binary: bool, default: Any = None) -> Template | None:
        self._used.add(key)
        if key not in self.data:
            return default
        try:
            return parse(self.data[key], binary=binary)
        except TemplateError as err:
            raise ProfileError(f"{self.path}: {self.where}key '{key}': "
                               f"{_quoted(err)}") from None

    def template_list(self, key: str) -> list[Template]:
        """A list of binary message templates (empty when the key is absent)."""
        self._used.add(key)
        raw = self.data.get(key, [])
        if not isinstance(raw, list):
            raise self.fail(key, "a list of message templates", raw)
        out = []
        for i, source in enumerate(raw):
            try:
                out.append(parse(source, binary=True))
            except TemplateError as err:
                raise ProfileError(f"{self.path}: {self.where}key '{key}[{i}]': "
                                   f"{_quoted(err)}") from None
        return out

    def finish(self) -> None:
        unknown = sorted(set(self.data) - self._used)
        if unknown:
            known = ", ".join(sorted(self._used))
            raise ProfileError(f"{self.path}: {self.where}key {shown(unknown[0])} is not a "
                               f"profile setting here (expected one of: {known})")


def shown(value: Any) -> str:
    """``value`` as an error message quotes it: its repr on one line, cut to a readable length.

    A whole number too long for Python to print in decimal is described by its size instead.
    """
    try:
        text = repr(value)
    except ValueError:  # more digits than int-to-text conversion allows
        return f"a whole number of about {int(value.bit_length() * math.log10(2)) + 1} digits"
    return clipped(text)


def clipped(text: str) -> str:
    """``text`` cut to SHOWN_LENGTH characters, ending in "…" when it was cut."""
    return text if len(text) <= SHOWN_LENGTH else text[:SHOWN_LENGTH - 1] + "…"


def one_line(text: str) -> bool:
    """True if ``text`` holds no control character or line break."""
    return not any(unicodedata.category(c) in _LINE_BREAKING for c in text)


def _quoted(err: TemplateError) -> str:
    """A template's complaint, which quotes the template, on one line of a readable length."""
    return _LONG_WORD.sub(lambda word: word[0][:SHOWN_LENGTH - 1] + "…", printable(str(err)))


def printable(text: str) -> str:
    """``text`` with control characters and line breaks escaped, as repr writes them."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
