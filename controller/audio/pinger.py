"""Pinging an insert loop: the stimulus played out of every output of the loop several times
over one full-duplex stream, each return measured, and the figures summed up."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from ..errors import AudioError
from .loops import LoopSetup, play_and_record
from .ping import SWEEP_SECONDS, PingResult, measure, sweep

REPEATS = 5
PRE_ROLL_SECONDS = 0.1  # silence before the first sweep, while the stream settles
SLOT_SECONDS = 1.0  # one sweep and room for its return: latencies up to half a second
NO_RETURN_DBFS = -80.0  # a return quieter than this is no return at all


@dataclass(frozen=True, slots=True)
class LoopPing:
    """A loop's round trip, from ``repeats`` sweeps on each of its channels."""

    loop: str
    sample_rate: int
    latency_samples: float  # the median of every measurement
    latency_ms: float
    jitter_samples: float  # the spread (largest minus smallest) of the measurements
    inverted: bool  # any channel flips polarity
    gain_db: float  # the mean of the channels' gains
    purity: float  # the lowest of the measurements
    smeared: bool  # some return was not a pure delay: a unit is not bypassed
    repeats: int
    depends: dict[str, Any] = field(default_factory=dict)
    channels: tuple[tuple[PingResult, ...], ...] = ()  # per loop channel, per repeat

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["channels"] = [[asdict(r) for r in channel] for channel in self.channels]
        return data


def ping_loop(setup: LoopSetup, *, repeats: int = REPEATS, level_dbfs: float = -12.0,
              abort: threading.Event | None = None,
              on_running: Callable[[], None] | None = None) -> LoopPing:
    """Play the sweep ``repeats`` times out of the loop and measure every return."""
    if repeats < 1:
        raise ValueError("repeats must be at least 1")
    rate, channels = setup.sample_rate, setup.channels
    stimulus = sweep(sample_rate=rate, level_dbfs=level_dbfs).astype(np.float32)
    pre, slot = int(PRE_ROLL_SECONDS * rate), int(SLOT_SECONDS * rate)
    total = pre + repeats * slot
    program = np.zeros((total, channels), dtype=np.float32)
    for k in range(repeats):
        start = pre + k * slot
        program[start:start + stimulus.size] = stimulus[:, None]
    returned = play_and_record(setup, program, what="ping", quiet_frames=pre, abort=abort,
                               on_running=on_running)
    results = []
    for ch in range(channels):
        per_repeat = []
        for k in range(repeats):
            window = returned[pre + k * slot: pre + (k + 1) * slot, ch]
            per_repeat.append(_measured(setup, ch, stimulus, window, rate))
        results.append(tuple(per_repeat))
    flat = [r for channel in results for r in channel]
    latencies = np.array([r.latency_samples for r in flat])
    median = float(np.median(latencies))
    return LoopPing(
        loop=setup.loop.name, sample_rate=rate, latency_samples=median,
        latency_ms=1000.0 * median / rate, jitter_samples=float(latencies.max() - latencies.min()),
        inverted=any(r.inverted for r in flat),
        gain_db=float(np.mean([r.gain_db for r in flat])),
        purity=float(min(r.purity for r in flat)), smeared=any(r.smeared for r in flat),
        repeats=repeats, depends=setup.depends, channels=tuple(results))


def _measured(setup: LoopSetup, channel: int, stimulus: np.ndarray, window: np.ndarray,
              rate: int) -> PingResult:
    loop = setup.loop
    where = f"loop '{loop.name}' (output {loop.outputs[channel]} -> input {loop.inputs[channel]})"
    peak = float(np.max(np.abs(window))) if window.size else 0.0
    if peak <= 10 ** (NO_RETURN_DBFS / 20):
        raise AudioError(f"nothing came back from {where}: is it patched, and the gear on?")
    try:
        result = measure(stimulus, window, sample_rate=rate)
    except ValueError as err:
        raise AudioError(f"{where}: {err}") from err
    if result.latency_samples > (SLOT_SECONDS - SWEEP_SECONDS) * rate:
        raise AudioError(f"{where}: the return is later than {SLOT_SECONDS - SWEEP_SECONDS} s")
    return result
