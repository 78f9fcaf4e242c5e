"""Reading one TOML table of a studio file: typed getters that complain in the file's terms.

(The gear layer has its own reader; the library may not import it.)
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .errors import StudioError

MAX_CHANNEL = 1024
NAME_LENGTH = 64
SHOWN_LENGTH = 80  # a value quoted in an error is cut to this many characters
# What text shown on one line may not hold: control characters and line and paragraph
# separators. A name may hold no invisible format character either.
_LINE_BREAKING = ("Cc", "Zl", "Zp")
_UNPRINTED = (*_LINE_BREAKING, "Cf")


class Table:
    """One TOML table being read: takes keys off it and complains in the file's terms."""

    def __init__(self, path: Path, where: str, data: Any) -> None:
        if not isinstance(data, dict):
            raise StudioError(f"{path}: {where or 'the file '}must be a table")
        self.path, self.where, self.data = path, where, dict(data)
        self._used: set[str] = set()

    def fail(self, key: str, expected: str, got: Any = ...) -> StudioError:
        got_text = "" if got is ... else f", got {shown(got)}"
        return StudioError(f"{self.path}: {self.where}key '{key}' must be {expected}{got_text}")

    def get(self, key: str, check: Callable[[Any], bool], expected: str,
            default: Any = ...) -> Any:
        self._used.add(key)
        if key not in self.data:
            if default is ...:
                raise StudioError(f"{self.path}: {self.where}key '{key}' is missing "
                                  f"(expected {expected})")
            return default
        value = self.data[key]
        if not check(value):
            raise self.fail(key, expected, value)
        return value

    def integer(self, key: str, low: int, high: int) -> int:
        return self.get(key, lambda v: is_int(v) and low <= v <= high,
                        f"a whole number from {low} to {high}")

    def number(self, key: str, default: Any, low: float, high: float) -> float:
        def ok(v: Any) -> bool:
            return (isinstance(v, int | float) and not isinstance(v, bool)
                    and math.isfinite(v) and low <= v <= high)
        return float(self.get(key, ok, f"a number from {low:g} to {high:g}", default))

    def name(self, key: str) -> str:
        value = self.get(key, lambda v: isinstance(v, str), "a name")
        problem = name_problem(value)
        if problem:
            raise self.fail(key, f"a name {problem}", value)
        return value

    def line(self, key: str, expected: str) -> str:
        """Text that is not blank and stays on one line (no control characters)."""
        value = self.get(key, is_text, expected)
        if any(unicodedata.category(c) in _LINE_BREAKING for c in value):
            raise self.fail(key, f"{expected}, without control characters", value)
        return value

    def channels(self, key: str) -> tuple[int, ...]:
        value = self.get(key, lambda v: isinstance(v, list) and len(v) > 0 and all(
            is_int(c) and 1 <= c <= MAX_CHANNEL for c in v),
            f"a list of channel numbers from 1 to {MAX_CHANNEL}")
        if len(set(value)) != len(value):
            raise self.fail(key, "a list naming each channel once", value)
        return tuple(value)

    def finish(self) -> None:
        unknown = sorted(set(self.data) - self._used)
        if unknown:
            known = ", ".join(sorted(self._used))
            raise StudioError(f"{self.path}: {self.where}key {shown(unknown[0])} is not a "
                              f"studio setting here (expected one of: {known})")


def shown(value: Any) -> str:
    """``value`` as an error message quotes it: its repr on one line, cut to a readable length.

    A whole number too long for Python to print in decimal is described by its size instead.
    """
    try:
        text = repr(value)
    except ValueError:  # more digits than int-to-text conversion allows
        return f"a whole number of about {int(value.bit_length() * math.log10(2)) + 1} digits"
    return text if len(text) <= SHOWN_LENGTH else text[:SHOWN_LENGTH - 1] + "…"


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_text(value: Any) -> bool:
    return isinstance(value, str) and value.strip() != ""


def is_table(value: Any) -> bool:
    return isinstance(value, dict)


def is_list(value: Any) -> bool:
    return isinstance(value, list)


def name_problem(text: str) -> str | None:
    """Why ``text`` cannot name a studio, loop or unit (None if it can)."""
    if not text.strip():
        return "that is not blank"
    if text != text.strip():
        return "without spaces at either end"
    if "/" in text or "\\" in text or text in (".", ".."):
        return "without / or \\ (names may become folder names)"
    if any(unicodedata.category(c) in _UNPRINTED for c in text):
        return "without control characters"
    if len(text) > NAME_LENGTH:
        return f"of at most {NAME_LENGTH} characters"
    return None
