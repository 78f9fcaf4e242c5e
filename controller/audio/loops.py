"""An insert loop ready to stream: the backend that reaches it (the studio's interface, or
the simulated loop with its gear modelled), the device channels, and what a ping of it
depends on."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from recall.studio import InsertLoop, Studio, Unit

from ..errors import AudioError, InputError
from .duplex import (
    MAX_BLOCK,
    Backend,
    PortAudioBackend,
    SimulatedBackend,
    SimulatedPatch,
    Transfer,
    Xrun,
)
from .ring import Ring

# The simulated interface's converters: a round trip of about 1.3 ms at 48 kHz, fractional
# as real converters' filters are, and a noise floor near a good converter's.
SIMULATED_LATENCY_SAMPLES = 61.37
SIMULATED_NOISE_DBFS = -112.0

# What a unit is set to, in engineering units (None: the unit is bypassed or absent).
UnitValues = Callable[[Unit], Mapping[str, float] | None]


@dataclass(frozen=True, slots=True)
class LoopSetup:
    """One insert loop and how to stream through it."""

    studio: Studio
    loop: InsertLoop
    backend: Backend
    outputs: tuple[int, ...]  # 0-based device channels, in the loop's order
    inputs: tuple[int, ...]

    @property
    def channels(self) -> int:
        return len(self.loop.outputs)

    @property
    def sample_rate(self) -> int:
        return self.backend.sample_rate

    @property
    def depends(self) -> dict[str, Any]:
        return loop_depends(self.studio, self.loop)


def find_loop(studio: Studio, name: str) -> InsertLoop:
    try:
        return studio.loop(name)
    except KeyError as err:
        raise InputError(f"studio '{studio.name}' has {err.args[0]}") from None


def loop_depends(studio: Studio, loop: InsertLoop) -> dict[str, Any]:
    """Everything a loop's latency depends on that Outboard can see: when any of it changes,
    an earlier ping of the loop is stale."""
    interface = studio.interface
    return {"host_api": interface.host_api, "device": interface.device,
            "sample_rate": interface.sample_rate, "buffer_frames": interface.buffer_frames,
            "outputs": list(loop.outputs), "inputs": list(loop.inputs)}


def stale_because(stored: Mapping[str, Any], current: Mapping[str, Any]) -> list[str]:
    """What changed since a ping, one phrase each ("buffer_frames 256 -> 128"); empty when
    the ping still holds."""
    changes = []
    for key in sorted(set(stored) | set(current)):
        old, new = stored.get(key), current.get(key)
        if old != new:
            changes.append(f"{key} {_shown(old)} -> {_shown(new)}")
    return changes


def _shown(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return "none" if value is None else str(value)


def loop_setup(studio: Studio, loop_name: str, *, unit_values: UnitValues | None = None,
               realtime: bool = False, character: Any = None) -> LoopSetup:
    """The loop called ``loop_name`` on the studio's interface; with the simulated interface,
    its units modelled as ``unit_values`` says they are set (default: all bypassed, as for
    a ping), through ``character`` (a LoopCharacter; default the simulated converters)."""
    loop = find_loop(studio, loop_name)
    interface = studio.interface
    if interface.buffer_frames > MAX_BLOCK:
        raise InputError(f"buffer_frames {interface.buffer_frames} is above {MAX_BLOCK}")
    outputs = tuple(c - 1 for c in loop.outputs)
    inputs = tuple(c - 1 for c in loop.inputs)
    backend: Backend
    if interface.simulated:
        analog = simulated_loop(studio, loop, unit_values=unit_values, character=character)
        backend = SimulatedBackend(
            sample_rate=interface.sample_rate, blocksize=interface.buffer_frames,
            output_channels=max(loop.outputs), input_channels=max(loop.inputs),
            patches=[SimulatedPatch(outputs, inputs, analog)], realtime=realtime)
    else:
        backend = PortAudioBackend(
            host_api=interface.host_api, device=interface.device,
            sample_rate=interface.sample_rate, blocksize=interface.buffer_frames,
            output_channels=max(loop.outputs), input_channels=max(loop.inputs))
    return LoopSetup(studio, loop, backend, outputs, inputs)


def simulated_loop(studio: Studio, loop: InsertLoop, *, unit_values: UnitValues | None = None,
                   character: Any = None) -> Any:
    """The loop's gear as DSP models in chain order, behind the simulated converters."""
    from ..recall_engine.plan import studio_profile
    from .models import AnalogLoop, ChainModel, LoopCharacter, unit_model

    models = []
    for unit in studio.units_in(loop.name):
        values = None if unit_values is None else unit_values(unit)
        if values is None:
            continue
        models.append(unit_model(studio_profile(studio, unit), values,
                                 sample_rate=studio.sample_rate, channels=len(loop.outputs)))
    if character is None:
        character = LoopCharacter(latency_samples=SIMULATED_LATENCY_SAMPLES,
                                  noise_floor_dbfs=SIMULATED_NOISE_DBFS)
    return AnalogLoop(ChainModel(models), character, sample_rate=studio.sample_rate,
                      channels=len(loop.outputs))


def play_and_record(setup: LoopSetup, program: np.ndarray, *, what: str, quiet_frames: int,
                    abort: threading.Event | None = None,
                    on_running: Callable[[], None] | None = None,
                    attempts: int = 3) -> np.ndarray:
    """Play ``program`` (shape=(frames, loop channels)) out of the loop and return what came
    back over the same frames, in one full-duplex stream: for short measurements (a ping,
    a fingerprint) that fit in memory. ``what`` names the measurement in an error.

    An xrun after the first ``quiet_frames`` (the silence before the stimulus) may have
    shifted the return against the program: the measurement is made again, up to
    ``attempts`` times, and refused if it never runs clean."""
    for _ in range(attempts):
        returned, xruns = _play_and_record_once(setup, program, what=what, abort=abort,
                                                on_running=on_running)
        if not any(x.frame >= quiet_frames for x in xruns) or (abort and abort.is_set()):
            return returned
    raise AudioError(f"{what} of loop '{setup.loop.name}': the stream dropped audio (xruns) "
                     f"in each of {attempts} attempts; lower the load or raise buffer_frames")


def _play_and_record_once(setup: LoopSetup, program: np.ndarray, *, what: str,
                          abort: threading.Event | None,
                          on_running: Callable[[], None] | None
                          ) -> tuple[np.ndarray, tuple[Xrun, ...]]:
    total = program.shape[0]
    play = Ring(frames=total, channels=setup.channels)
    play.write(program.astype(np.float32))
    play.close()
    record = Ring(frames=total + 2 * setup.backend.blocksize, channels=setup.channels)
    transfer = Transfer(outputs=setup.outputs, inputs=setup.inputs, play=play, record=record)
    setup.backend.run(transfer, done=lambda: record.available >= total,
                      abort=abort or threading.Event(), on_running=on_running)
    if record.available < total:
        raise AudioError(f"{what} of loop '{setup.loop.name}' stopped before it finished")
    returned = np.zeros((record.available, setup.channels), dtype=np.float32)
    record.read_into(returned)
    return returned[:total], transfer.xruns()
