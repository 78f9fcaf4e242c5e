"""The meter core: BS.1770-5 loudness, Tech 3342 loudness range, true peak and the other
meters mastering engineers read, as pure NumPy/SciPy functions over arrays or blocks.

Axis convention everywhere at this boundary: ``shape=(frames, channels)``.
"""

from .analysis import analyse, analyse_blocks
from .engine import NonFiniteSampleError
from .gating import integrated_loudness_of_blocks, loudness_range_of
from .kweighting import k_weighting_sos
from .layout import MAX_CHANNELS, channel_names, channel_weights
from .live import LiveMeter
from .results import (
    STATUS_OK,
    STATUS_SILENT,
    STATUS_TOO_SHORT,
    ChannelMeasurement,
    LiveReading,
    LoudnessCurve,
    Measurement,
)

__all__ = [
    "MAX_CHANNELS",
    "STATUS_OK",
    "STATUS_SILENT",
    "STATUS_TOO_SHORT",
    "ChannelMeasurement",
    "LiveMeter",
    "LiveReading",
    "LoudnessCurve",
    "Measurement",
    "NonFiniteSampleError",
    "analyse",
    "analyse_blocks",
    "channel_names",
    "channel_weights",
    "integrated_loudness_of_blocks",
    "k_weighting_sos",
    "loudness_range_of",
]
