"""The print's meters: each returned channel's highest sample peak and true peak so far as
bars with numbers (dBFS, and dBu where the input is calibrated), momentary, short-term and
integrated loudness, correlation, clips, xruns, and how far the print has got."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from rich.text import Text
from textual.widget import Widget

from controller.audio.printing import PrintProgress
from controller.meter.results import LiveReading
from recall.studio import ChannelCalibration

FLOOR_DBFS = -48.0  # the bars' left end; full scale is their right end
HOT_DBFS = -6.0  # the bar turns yellow from here
OVER_DBFS = -1.0  # and red from here (the true-peak ceiling deliveries ask for)
_PARTS = " ▏▎▍▌▋▊▉"  # eighths of a cell
LABEL, KIND = 6, 6  # "in 1  " and "peak  " before each bar
NUMBERS = 24  # " -12.3 dBFS  +10.5 dBu" after it


@dataclass(frozen=True, slots=True)
class MeterChannel:
    """A returned channel as the meters name it, with its input calibration (None: the
    interface's input is not calibrated, so no dBu)."""

    label: str
    calibration: ChannelCalibration | None


def finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def clock(seconds: float) -> str:
    """m:ss.s"""
    minutes, rest = divmod(max(seconds, 0.0), 60.0)
    return f"{int(minutes)}:{rest:04.1f}"


def bar(level: float, width: int) -> Text:
    """``level`` (dBFS) as a bar ``width`` cells wide from FLOOR_DBFS to full scale, in eighth
    cells; green, then yellow from HOT_DBFS and red from OVER_DBFS. Over full scale fills it."""
    filled = 0.0
    if finite(level):
        filled = min(max((level - FLOOR_DBFS) / -FLOOR_DBFS, 0.0), 1.0) * width

    def style(cell: int) -> str:
        at = FLOOR_DBFS * (1.0 - cell / width)  # the level where the cell starts
        return "red" if at >= OVER_DBFS else "yellow" if at >= HOT_DBFS else "green"

    return cells(filled, width, style)


def cells(filled: float, width: int, style: Callable[[int], str]) -> Text:
    """``filled`` of ``width`` cells drawn in eighths of a cell, each cell styled by
    ``style(cell)``; the empty cells dotted."""
    text = Text(no_wrap=True)
    for cell in range(width):
        part = min(max(filled - cell, 0.0), 1.0)
        if part >= 1.0:
            text.append("█", style=style(cell))
        elif part > 0.0:
            text.append(_PARTS[max(int(part * 8), 1)], style=style(cell))
        else:
            text.append("·", style="dim")
    return text


def level_text(value: float | None, unit: str, *, signed: bool = False) -> str:
    if not finite(value):
        return f"{'-inf' if value is not None else '-':>6} {unit}"
    assert value is not None
    return f"{value:+6.1f} {unit}" if signed else f"{value:6.1f} {unit}"


class PrintMeters(Widget):
    """The meters of one print. ``start`` clears them for a print through ``channels``;
    ``show`` applies a progress report (the screen hands them over at a display's rate);
    ``finish`` shows the final reading."""

    DEFAULT_CSS = """
    PrintMeters {
        height: auto;
        border: round $primary;
        padding: 0 1;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.channels: tuple[MeterChannel, ...] = ()
        self.reading: LiveReading | None = None
        self.frames = self.total_frames = self.sample_rate = self.xruns = 0
        self.updates = 0  # progress reports applied since ``start``

    def start(self, channels: tuple[MeterChannel, ...]) -> None:
        self.channels, self.reading = channels, None
        self.frames = self.total_frames = self.sample_rate = self.xruns = self.updates = 0
        self.refresh(layout=True)

    def show(self, progress: PrintProgress) -> None:
        self.reading = progress.reading
        self.frames, self.total_frames = progress.frames, progress.total_frames
        self.sample_rate, self.xruns = progress.sample_rate, progress.xruns
        self.updates += 1
        self.refresh()

    def finish(self, reading: LiveReading | None, *, frames: int, sample_rate: int,
               xruns: int) -> None:
        """The print's end: its final reading, and the progress bar at the length it reached."""
        if reading is not None:
            self.reading = reading
        self.frames, self.sample_rate, self.xruns = frames, sample_rate, xruns
        self.total_frames = max(self.total_frames, frames)
        self.refresh()

    def render(self) -> Text:
        width = max(self.content_size.width, 40)
        span = max(width - LABEL - KIND - NUMBERS, 8)
        reading = self.reading
        text = Text(no_wrap=True, overflow="crop")
        for index, channel in enumerate(self.channels or (MeterChannel("", None),)):
            for kind, unit, levels in (
                    ("peak", "dBFS", reading.channel_sample_peak_dbfs if reading else ()),
                    ("true", "dBTP", reading.channel_true_peak_dbtp if reading else ())):
                level = levels[index] if index < len(levels) else None
                label = channel.label if kind == "peak" else ""
                text.append(f"{label:<{LABEL}}", style="bold")
                text.append(f"{kind:<{KIND}}", style="dim")
                text.append_text(bar(level if level is not None else -math.inf, span))
                text.append(" " + level_text(level, unit))
                if channel.calibration is not None and finite(level):
                    assert level is not None
                    text.append("  " + level_text(channel.calibration.to_dbu(level), "dBu",
                                                  signed=True))
                text.append("\n")
        text.append_text(self.loudness_line(reading))
        text.append("\n")
        text.append_text(self.progress_line(width))
        return text

    def loudness_line(self, reading: LiveReading | None) -> Text:
        line = Text(no_wrap=True)
        for name, value in (("M", reading.momentary_lufs if reading else None),
                            ("S", reading.short_term_lufs if reading else None),
                            ("I", reading.integrated_lufs if reading else None)):
            line.append(f"{name} ", style="dim")
            line.append(f"{value:6.1f}  " if finite(value) else "     -  ", style="bold")
        line.append("LUFS   corr ", style="dim")
        correlation = reading.correlation if reading else None
        line.append(f"{correlation:+.2f}" if finite(correlation) else "  -  ")
        clips = reading.clipped_samples if reading else 0
        line.append("   clips ", style="dim")
        line.append(str(clips), style="bold red" if clips else "")
        line.append("   xruns ", style="dim")
        line.append(str(self.xruns), style="bold red" if self.xruns else "")
        return line

    def progress_line(self, width: int) -> Text:
        rate = self.sample_rate or 1
        times = f"  {clock(self.frames / rate)} / {clock(self.total_frames / rate)}"
        span = max(width - len(times), 4)
        done = self.frames / self.total_frames if self.total_frames else 0.0
        cells = min(max(done, 0.0), 1.0) * span
        line = Text(no_wrap=True)
        line.append("█" * int(cells), style="bold")
        if int(cells) < span:
            line.append(_PARTS[int((cells - int(cells)) * 8)].strip() or "░", style="bold")
            line.append("░" * (span - int(cells) - 1), style="dim")
        line.append(times)
        return line
