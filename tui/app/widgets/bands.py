"""Per-band figures in dB as horizontal bars: levels up to 0 dB, or changes around it."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text
from textual.widget import Widget

from .meters import cells

LABEL = 10  # "  12.5 kHz"
VALUE = 10  # " -123.4 dB"
NARROW = 12  # the shortest bar: below it a flagged row's mark shrinks to " !"


@dataclass(frozen=True, slots=True)
class BandRow:
    """One row: a band's label and figure (dB), or a heading (``heading``: label only).
    ``flagged`` draws it in red with ``mark`` after it."""

    label: str
    value_db: float = math.nan
    flagged: bool = False
    heading: bool = False


def hz(value: float) -> str:
    """125 Hz, 1 kHz, 12.5 kHz (three figures)."""
    return f"{value / 1000:.3g} kHz" if value >= 1000 else f"{value:.3g} Hz"


def db(value: float | None, unit: str = "dB", *, signed: bool = False, digits: int = 1) -> str:
    """A figure as the screens show it: -inf, — for none, no -0.0."""
    if value is None or math.isnan(value):
        return f"— {unit}"
    if math.isinf(value):
        return f"{'-' if value < 0 else '+'}inf {unit}"
    if round(value, digits) == 0:
        value = 0.0
    return f"{value:+.{digits}f} {unit}" if signed else f"{value:.{digits}f} {unit}"


def level_bar(value: float, *, floor_db: float, width: int, style: str) -> Text:
    """``value`` from ``floor_db`` (empty) to 0 dB (full), in eighth cells."""
    filled = 0.0
    if math.isfinite(value):
        filled = min(max((value - floor_db) / -floor_db, 0.0), 1.0) * width
    elif value > 0:
        filled = width
    return cells(filled, width, lambda _cell: style)


def change_bar(value: float, *, span_db: float, width: int, style: str) -> Text:
    """``value`` around a centre line: left for a cut, right for a boost, ``span_db`` at
    each end (beyond it the bar is full); ``width`` cells at most."""
    half = max((width - 1) // 2, 1)
    count = 0
    if not math.isnan(value):
        count = round(min(abs(value) / span_db, 1.0) * half) if math.isfinite(value) else half
    left = "·" * (half - count) + "█" * count if value < 0 else "·" * half
    right = "█" * count + "·" * (half - count) if value > 0 else "·" * half
    text = Text(no_wrap=True)
    for part in (left, "│", right):
        for char in part:
            text.append(char, style=style if char == "█" else "dim")
    return text


class BandBars(Widget):
    """A titled list of bands with a bar each. ``span_db`` None: levels from ``floor_db``
    to 0 dB; a number: changes of up to ± ``span_db`` around 0 dB. ``show`` replaces the
    rows."""

    DEFAULT_CSS = """
    BandBars {
        height: auto;
        border: round $primary;
        padding: 0 1;
    }
    """

    def __init__(self, title: str, *, floor_db: float = -60.0, span_db: float | None = None,
                 mark: str = "", id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.border_title = title
        self.floor_db, self.span_db, self.mark = floor_db, span_db, mark
        self.rows: tuple[BandRow, ...] = ()

    def show(self, rows: Sequence[BandRow], *, title: str | None = None) -> None:
        self.rows = tuple(rows)
        if title is not None:
            self.border_title = title
        self.refresh(layout=True)

    def render(self) -> Text:
        width = max(self.content_size.width, 30)
        mark = f" {self.mark}" if self.mark else ""
        if width - LABEL - VALUE - len(mark) < NARROW and mark:
            mark = " !"
        span = max(width - LABEL - VALUE - len(mark), 4)
        text = Text(no_wrap=True, overflow="crop")
        if not self.rows:
            return text.append("nothing to show yet", style="dim")
        for index, row in enumerate(self.rows):
            if index:
                text.append("\n")
            if row.heading:
                text.append(row.label, style="bold")
                continue
            style = "bold red" if row.flagged else "green" if self.span_db is None else "cyan"
            text.append(f"{row.label:>{LABEL - 1}} ", style="bold" if row.flagged else "")
            if self.span_db is None:
                text.append_text(level_bar(row.value_db, floor_db=self.floor_db, width=span,
                                           style=style))
            else:
                text.append_text(change_bar(row.value_db, span_db=self.span_db, width=span,
                                            style=style))
            signed = self.span_db is not None
            text.append(f"{db(row.value_db, signed=signed):>{VALUE}}",
                        style="bold red" if row.flagged else "")
            if row.flagged and mark:
                text.append(mark, style="bold red")
        return text
