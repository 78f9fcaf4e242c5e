"""Channel layouts and their BS.1770-5 weights (LFE excluded, surrounds +1.5 dB)."""

from __future__ import annotations

import numpy as np

SURROUND_WEIGHT = 1.41  # BS.1770-5 Table 3: 60-120 degrees azimuth, elevation below 30

# Default layouts by channel count, in the WAVE/SMPTE channel order.
LAYOUTS: dict[int, tuple[str, ...]] = {
    1: ("M",),
    2: ("L", "R"),
    3: ("L", "R", "C"),
    4: ("L", "R", "Ls", "Rs"),
    5: ("L", "R", "C", "Ls", "Rs"),
    6: ("L", "R", "C", "LFE", "Ls", "Rs"),
}
MAX_CHANNELS = max(LAYOUTS)

_WEIGHTS = {"M": 1.0, "L": 1.0, "R": 1.0, "C": 1.0, "LFE": 0.0,
            "Ls": SURROUND_WEIGHT, "Rs": SURROUND_WEIGHT}


def channel_names(channels: int) -> tuple[str, ...]:
    """Names of the default layout for ``channels``; ValueError past 5.1."""
    try:
        return LAYOUTS[channels]
    except KeyError:
        raise ValueError(
            f"{channels} channels is not supported (1 to {MAX_CHANNELS}: mono to 5.1)"
        ) from None


def channel_weights(channels: int) -> np.ndarray:
    """BS.1770-5 weights G_i of the default layout, shape=(channels,).

    A mono file is one channel of weight 1, so it reads 3.01 dB below the same signal
    played dual-mono; 5.1 is L R C LFE Ls Rs with the LFE weighted 0.
    """
    return np.array([_WEIGHTS[name] for name in channel_names(channels)])
