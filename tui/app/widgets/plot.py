"""A loudness-over-time plot drawn with braille dots: a level scale on the left, a time axis
below and an optional dashed reference level (the integrated loudness)."""

from __future__ import annotations

import math

import numpy as np
from rich.text import Text
from textual.widget import Widget

# Dot bits of a braille cell by column (0, 1) and row (0 to 3 from the top), U+2800 + bits.
_DOTS = ((0x01, 0x02, 0x04, 0x40), (0x08, 0x10, 0x20, 0x80))
_BLANK = 0x2800
GUTTER = 7  # " -14 ┤ " before each row of the plot


def level_range(values: np.ndarray, *, span: float = 24.0, step: float = 3.0
                ) -> tuple[float, float]:
    """A scale (low, high) in steps of ``step`` dB that holds the loudest of ``values``
    (shape=(points,), LUFS; NaN and minus infinity ignored) and reaches down at most
    ``span`` dB below it."""
    finite = values[np.isfinite(values)]
    if not finite.size:
        return -70.0, -10.0
    high = math.ceil(float(finite.max()) / step) * step
    low = max(math.floor(float(finite.min()) / step) * step, high - span)
    return min(low, high - 2 * step), high


def braille(values: np.ndarray, *, width: int, height: int, low: float, high: float
            ) -> list[str]:
    """``values`` (shape=(points,), LUFS) drawn as a line ``width`` cells across and
    ``height`` cells high, top row first; each cell holds 2 x 4 dots. A dot column shows the
    loudest point it covers, so short peaks stay visible; undefined points (NaN, minus
    infinity) leave a gap; levels outside [low, high] sit on the edge."""
    if width <= 0 or height <= 0:
        return []
    cells = np.full((height, width), _BLANK, dtype=np.int64)
    columns, rows = width * 2, height * 4
    points = np.where(np.isfinite(values), values, -np.inf).astype(float)
    if points.size and high > low:
        starts = (np.arange(columns) * points.size) // columns
        peaks = np.maximum.reduceat(points, starts)
        defined = np.isfinite(peaks)
        scaled = np.clip((peaks - low) / (high - low), 0.0, 1.0) * (rows - 1)
        dots = np.where(defined, np.rint(scaled), -1).astype(int)
        previous = -1
        for column, dot in enumerate(dots):
            if dot < 0:
                previous = -1
                continue
            # Join a step from the previous column with a vertical run of dots.
            first, last = (dot, dot) if previous < 0 else sorted((previous, dot))
            for level in range(first, last + 1):
                row = rows - 1 - level
                cells[row // 4, column // 2] |= _DOTS[column % 2][row % 4]
            previous = dot
    return ["".join(map(chr, line)) for line in cells]


def clock(seconds: float) -> str:
    """m:ss for the time axis."""
    minutes, rest = divmod(int(round(seconds)), 60)
    return f"{minutes}:{rest:02d}"


class LoudnessPlot(Widget):
    """Loudness over time under a heading line. ``plot`` draws a curve,
    ``show_message`` replaces it with a line of text."""

    DEFAULT_CSS = """
    LoudnessPlot {
        height: 9;
        padding: 0 1;
    }
    """

    def __init__(self, heading: str, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.heading = heading
        self.times = np.zeros(0)
        self.values = np.zeros(0)
        self.reference: float | None = None
        self.message = ""

    def plot(self, times: np.ndarray, values: np.ndarray, *,
             reference: float | None = None) -> None:
        """Draw ``values`` (LUFS) at ``times`` (seconds), both shape=(points,), with a dashed
        line at ``reference`` (LUFS) when given."""
        self.times, self.values = np.asarray(times, float), np.asarray(values, float)
        self.reference = reference if reference is not None and math.isfinite(reference) else None
        self.message = "" if self.values.size else "no loudness to plot (shorter than a block)"
        self.refresh()

    def show_message(self, message: str) -> None:
        self.times = self.values = np.zeros(0)
        self.message = message
        self.refresh()

    def render(self) -> Text:
        width, height = self.content_size.width, self.content_size.height
        text = Text(self.heading, style="bold", no_wrap=True, overflow="crop")
        if self.reference is not None and not self.message:
            text.append(f"   ╌ integrated {self.reference:.1f} LUFS", style="dim")
        if self.message or height < 3 or width <= GUTTER + 2:
            text.append(f"\n{self.message}", style="dim")
            return text
        rows, span = height - 2, width - GUTTER
        reference = np.nan if self.reference is None else self.reference
        low, high = level_range(np.append(self.values, reference))
        lines = braille(self.values, width=span, height=rows, low=low, high=high)
        reference_row = None
        if self.reference is not None:
            dots = rows * 4 - 1
            level = min(max((self.reference - low) / (high - low), 0.0), 1.0)
            reference_row = (dots - round(level * dots)) // 4
        labels = {0: high, rows - 1: low, (rows - 1) // 2: (high + low) / 2}
        for row, line in enumerate(lines):
            label = labels.get(row)
            text.append("\n")
            text.append(f"{label:>4.0f} ┤ " if label is not None else "     │ ", style="dim")
            if row != reference_row:
                text.append(line, style="bold")
                continue
            for cell in line:  # the reference shows where the curve leaves room
                if cell == chr(_BLANK):
                    text.append("╌", style="dim")
                else:
                    text.append(cell, style="bold")
        end = float(self.times[-1]) if self.times.size else 0.0
        middle = clock(end / 2)
        axis = f"{clock(0.0)}{middle:^{max(span - 2 * len(clock(end)), 0)}}{clock(end)}"
        text.append("\n" + " " * GUTTER + axis[:span], style="dim")
        return text
