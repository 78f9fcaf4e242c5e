"""The report's plots as PNG bytes: loudness over time and the spectral difference."""

from __future__ import annotations

import io
import math
from typing import Any

import numpy as np

from .report_audio import Curve, SpectrumDifference, band_label

# Okabe & Ito's palette, safe for every common colour-vision deficiency; the two prints also
# differ by line style, so a black-and-white printout still tells them apart.
BEFORE_COLOUR = "#E69F00"  # orange
AFTER_COLOUR = "#0072B2"  # blue
UP_COLOUR = "#0072B2"
DOWN_COLOUR = "#D55E00"  # vermillion
REFERENCE_COLOUR = "#555555"
# Inches at DPI: 800 × 540 pixels, shown at the page's width. Small in inches so that the
# 10-point labels still read when a phone shows the plot 360 pixels wide.
FIGURE_SIZE = (4.0, 2.7)
DPI = 200
LABEL_SIZE, TICK_SIZE = 10, 9
# The loudness axis shows this much below the loudest short-term reading.
LOUDNESS_SPAN_LU = 36.0


def _pyplot() -> Any:
    """Matplotlib's pyplot on the Agg backend (no display), imported on first use."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _style(ax: Any) -> None:
    ax.grid(True, color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(labelsize=TICK_SIZE)


def _png(fig: Any) -> bytes:
    plt = _pyplot()
    out = io.BytesIO()
    # No timestamp or software tag: the same report gives the same bytes.
    fig.savefig(out, format="png", dpi=DPI, metadata={"Software": None})
    plt.close(fig)
    return out.getvalue()


def loudness_png(before: Curve | None, after: Curve, *, before_label: str,
                 after_label: str) -> bytes:
    """Short-term loudness (LUFS) against time (m:ss) of both prints on one axis."""
    plt = _pyplot()
    from matplotlib.ticker import FuncFormatter

    fig, ax = plt.subplots(figsize=FIGURE_SIZE, layout="constrained")
    _style(ax)
    finite = []
    for curve, label, colour, style in ((before, before_label, BEFORE_COLOUR, "--"),
                                        (after, after_label, AFTER_COLOUR, "-")):
        if curve is None or not len(curve.times_s):
            continue
        values = np.where(np.isfinite(curve.lufs), curve.lufs, np.nan)
        finite.append(values[np.isfinite(values)])
        ax.plot(curve.times_s, values, style, color=colour, linewidth=1.4, label=label)
    readings = np.concatenate(finite) if finite else np.zeros(0)
    if readings.size:
        top = math.ceil(float(readings.max()) / 3 + 0.4) * 3
        bottom = max(float(readings.min()) - 2, top - LOUDNESS_SPAN_LU)
        ax.set_ylim(bottom, top)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda s, _: f"{int(s) // 60}:{int(s) % 60:02d}"))
    ax.set_xlabel("Time (m:ss)", fontsize=LABEL_SIZE)
    ax.set_ylabel("Short-term loudness (LUFS)", fontsize=LABEL_SIZE)
    ax.set_xlim(left=0)
    if finite:
        ax.legend(fontsize=TICK_SIZE, loc="lower center", frameon=False, ncols=2)
    return _png(fig)


def spectrum_png(difference: SpectrumDifference, *, label: str) -> bytes:
    """After minus before (dB) per 1/3-octave band, as bars on a log frequency axis; a dashed
    line at the loudness change tells a tonal change from a change of level."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=FIGURE_SIZE, layout="constrained")
    _style(ax)
    centres = np.asarray(difference.centres_hz)
    values = np.asarray(difference.difference_db, dtype=float)
    shown = np.isfinite(values)
    widths = centres * (10 ** 0.05 - 10 ** -0.05) * 0.8
    colours = [UP_COLOUR if v >= 0 else DOWN_COLOUR for v in values[shown]]
    ax.bar(centres[shown], values[shown], width=widths[shown], color=colours)
    ax.set_xscale("log")
    ax.axhline(0.0, color="#222222", linewidth=0.8)
    if difference.loudness_change_lu is not None:
        ax.axhline(difference.loudness_change_lu, color=REFERENCE_COLOUR, linestyle="--",
                   linewidth=1.0,
                   label=f"loudness change {difference.loudness_change_lu:+.1f} LU")
        ax.legend(fontsize=TICK_SIZE, loc="best", frameon=False)
    ticks = [c for c in centres if band_label(c) in ("31.5", "63", "125", "250", "500", "1k",
                                                      "2k", "4k", "8k", "16k")]
    ax.set_xticks(ticks, [band_label(c) for c in ticks])
    ax.minorticks_off()
    ax.set_xlim(centres[0] / 1.3, centres[-1] * 1.3)
    span = np.nanmax(np.abs(values)) if shown.any() else 1.0
    if difference.loudness_change_lu is not None:
        span = max(span, abs(difference.loudness_change_lu))
    limit = max(1.0, math.ceil(float(span) + 0.5))
    ax.set_ylim(-limit, limit)
    ax.set_xlabel("Frequency (Hz, 1/3-octave bands)", fontsize=LABEL_SIZE)
    ax.set_ylabel(f"{label} (dB)", fontsize=LABEL_SIZE)
    return _png(fig)
