"""Full-duplex streams: the callback that only copies between the rings and the interface, and
the backends that drive it (PortAudio through sounddevice, or the simulated insert loop)."""

from __future__ import annotations

import sys
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import AudioError
from .ring import Ring

MAX_BLOCK = 8192  # PortAudio may vary the callback's size; the studio file caps the buffer here
MAX_EVENTS = 4096
SWITCH_SECONDS = 0.0005
STALL_SECONDS = 2.0
CLOSE_SECONDS = 3.0  # how long a stream may take to close before it is left
CHUNK_FRAMES = 4096  # what the simulated loop models at a time when not paced

# What can go wrong in a take, as the callback records it.
INPUT_OVERFLOW = 1  # the interface dropped input frames (the driver's xrun)
OUTPUT_UNDERFLOW = 2  # the interface played silence it was not given (the driver's xrun)
WRITER_BEHIND = 3  # the record ring was full: returned frames were lost
SOURCE_BEHIND = 4  # the play ring ran dry before the source's end
EVENT_NAMES = {INPUT_OVERFLOW: "input overflow", OUTPUT_UNDERFLOW: "output underflow",
               WRITER_BEHIND: "the writer fell behind", SOURCE_BEHIND: "the source fell behind"}


@dataclass(frozen=True, slots=True)
class Xrun:
    frame: int  # frames since the take's first output frame
    kind: str


class Transfer:
    """The audio callback's whole job: copy the next frames of the play ring to the loop's
    outputs, copy the loop's inputs into the record ring, and note anything that went wrong.

    It does not allocate, lock, log or touch a file. Until :attr:`armed` it plays silence and
    drops what comes back, so frame 0 of the record ring is the frame that came in while
    frame 0 of the play ring went out.
    """

    def __init__(self, *, outputs: Sequence[int], inputs: Sequence[int], play: Ring,
                 record: Ring) -> None:
        self.outputs = tuple(outputs)  # 0-based device channels, one per ring channel
        self.inputs = tuple(inputs)
        if play.channels != len(self.outputs) or record.channels != len(self.inputs):
            raise ValueError("each ring channel needs exactly one device channel")
        self.play, self.record = play, record
        self._out = np.zeros((MAX_BLOCK, play.channels), dtype=np.float32)
        self._in = np.zeros((MAX_BLOCK, record.channels), dtype=np.float32)
        self._event_frame = np.zeros(MAX_EVENTS, dtype=np.int64)
        self._event_kind = np.zeros(MAX_EVENTS, dtype=np.int8)
        self.event_count = 0
        self.armed = False
        self.frames = 0  # frames since arming
        self.error: BaseException | None = None

    def callback(self, indata: np.ndarray, outdata: np.ndarray, frames: int, _time: Any,
                 status: Any) -> None:
        try:
            outdata.fill(0)
            if not self.armed:
                return
            if status:
                if status.input_overflow:
                    self._event(INPUT_OVERFLOW)
                if status.output_underflow:
                    self._event(OUTPUT_UNDERFLOW)
            out = self.pull(frames)
            for ring_channel, device_channel in enumerate(self.outputs):
                outdata[:, device_channel] = out[:, ring_channel]
            returned = self._in[:frames]
            for ring_channel, device_channel in enumerate(self.inputs):
                returned[:, ring_channel] = indata[:, device_channel]
            self.push(returned)
        except Exception as err:  # PortAudio would only print it: keep it for the engine
            self.error = err

    def pull(self, frames: int) -> np.ndarray:
        """The next ``frames`` to play (silence past the source's end), shape=(frames,
        loop channels): a view of a buffer the next pull overwrites."""
        out = self._out[:frames]
        got = self.play.read_into(out)
        if got < frames:
            out[got:] = 0.0
            if not self.play.closed:
                self._event(SOURCE_BEHIND)
        return out

    def push(self, returned: np.ndarray) -> None:
        """What came back while the last pull played, shape=(frames, loop channels)."""
        frames = returned.shape[0]
        if self.record.write(returned) < frames:
            self._event(WRITER_BEHIND)
        self.frames += frames

    def _event(self, kind: int) -> None:
        if self.event_count < MAX_EVENTS:
            self._event_frame[self.event_count] = self.frames
            self._event_kind[self.event_count] = kind
        self.event_count += 1

    def xruns(self) -> tuple[Xrun, ...]:
        """What went wrong, in order (the first MAX_EVENTS of them)."""
        count = min(self.event_count, MAX_EVENTS)
        return tuple(Xrun(int(self._event_frame[i]), EVENT_NAMES[int(self._event_kind[i])])
                     for i in range(count))


class Backend(ABC):
    """Something that runs a :class:`Transfer` as a full-duplex stream."""

    sample_rate: int
    blocksize: int
    description: str
    output_channels: int  # device channels
    input_channels: int

    @abstractmethod
    def run(self, transfer: Transfer, *, done: Callable[[], bool], abort: threading.Event,
            on_running: Callable[[], None] | None = None) -> None:
        """Start the stream, call ``on_running`` (a patchbay hook), arm the transfer, and
        keep the stream going until ``done()`` or ``abort``; AudioError if it fails."""


class PortAudioBackend(Backend):
    """An interface as PortAudio reaches it: host API and device by name."""

    def __init__(self, *, host_api: str, device: str, sample_rate: int, blocksize: int,
                 output_channels: int, input_channels: int) -> None:
        self.sample_rate, self.blocksize = sample_rate, blocksize
        self.output_channels, self.input_channels = output_channels, input_channels
        self.host_api, self.device = host_api, device
        self.description = f"{device} ({host_api})"

    def _device_index(self) -> int:
        from .devices import host_apis

        for api in host_apis():
            if api.name != self.host_api:
                continue
            for dev in api.devices:
                if dev.name == self.device:
                    if dev.outputs < self.output_channels or dev.inputs < self.input_channels:
                        raise AudioError(
                            f"audio device '{self.device}' has {dev.outputs} outputs and "
                            f"{dev.inputs} inputs; the loop needs output {self.output_channels}"
                            f" and input {self.input_channels}")
                    return dev.index
            names = ", ".join(d.name for d in api.devices) or "none"
            raise AudioError(f"no audio device '{self.device}' in {self.host_api} "
                             f"(devices: {names}); see outboard audio devices")
        raise AudioError(f"host API '{self.host_api}' is not available here (is its server "
                         "running?); see outboard audio devices")

    def run(self, transfer: Transfer, *, done: Callable[[], bool], abort: threading.Event,
            on_running: Callable[[], None] | None = None) -> None:
        import sounddevice as sd

        index = self._device_index()
        try:
            stream = sd.Stream(device=(index, index), samplerate=self.sample_rate,
                               blocksize=self.blocksize, dtype="float32",
                               channels=(self.input_channels, self.output_channels),
                               callback=transfer.callback)
        except sd.PortAudioError as err:
            raise AudioError(f"cannot open {self.description} at {self.sample_rate} Hz, "
                             f"{self.blocksize} frames: {err}") from err
        switch = sys.getswitchinterval()
        # The callback needs the interpreter lock once a period; other threads hand it over
        # every SWITCH_SECONDS instead of Python's 5 ms, which is most of a short period.
        sys.setswitchinterval(min(switch, SWITCH_SECONDS))
        # The interface is gone when its callbacks stop coming (a server that died, a
        # device unplugged) for this long: some host APIs never say so otherwise.
        stalled_after = max(STALL_SECONDS, 8 * self.blocksize / self.sample_rate)
        try:
            stream.start()
            if on_running is not None:
                on_running()
            transfer.armed = True
            last, heard = transfer.frames, time.monotonic()
            while not (done() or abort.is_set()):
                if transfer.error is not None:
                    raise AudioError(f"the audio callback failed: {transfer.error}")
                if not stream.active:
                    raise AudioError(f"{self.description} stopped the stream")
                now = time.monotonic()
                if transfer.frames != last:
                    last, heard = transfer.frames, now
                elif now - heard > stalled_after:
                    raise AudioError(f"{self.description} stopped delivering audio (gone for "
                                     f"{now - heard:.1f} s): is it still connected, is its "
                                     "server running?")
                time.sleep(0.005)
        except sd.PortAudioError as err:
            raise AudioError(f"{self.description}: {err}") from err
        finally:
            sys.setswitchinterval(switch)
            _stop(stream)


def _stop(stream: Any) -> None:
    """Stop and close ``stream``, unless the interface died under it: PortAudio then hangs
    on the stream (a JACK server gone), so it is left, and PortAudio's own shutdown at exit
    (which would hang or abort on it too) is skipped; the system frees what it held."""
    import atexit

    import sounddevice as sd

    def close() -> None:
        stream.abort(ignore_errors=True)
        stream.close(ignore_errors=True)

    closer = threading.Thread(target=close, name="outboard-stream-close", daemon=True)
    closer.start()
    closer.join(timeout=CLOSE_SECONDS)
    if closer.is_alive():
        atexit.unregister(sd._exit_handler)


@dataclass(frozen=True, slots=True)
class SimulatedPatch:
    outputs: tuple[int, ...]  # 0-based device channels feeding the loop
    inputs: tuple[int, ...]  # 0-based device channels it returns on
    loop: Any  # anything with process(block) -> block: an AnalogLoop


class SimulatedBackend(Backend):
    """An interface with nothing plugged in but models: each patch's outputs pass through its
    loop model and come back on its inputs one block later (as any duplex driver returns
    them), on top of the model's own latency.

    Faster than real time by default: it waits for the source and the writer instead of a
    clock, so it never makes an xrun of its own. ``realtime`` paces it to the wall clock and
    then it does, as a real interface would, when the writer stalls.
    """

    def __init__(self, *, sample_rate: int, blocksize: int, output_channels: int,
                 input_channels: int, patches: Sequence[SimulatedPatch],
                 realtime: bool = False) -> None:
        self.sample_rate, self.blocksize = sample_rate, blocksize
        self.output_channels, self.input_channels = output_channels, input_channels
        self.patches = tuple(patches)
        self.realtime = realtime
        self.description = "the simulated insert loop"

    def run(self, transfer: Transfer, *, done: Callable[[], bool], abort: threading.Event,
            on_running: Callable[[], None] | None = None) -> None:
        if not self.realtime and self._direct(transfer):
            self._run_chunked(transfer, done=done, abort=abort, on_running=on_running)
            return
        frames = self.blocksize
        outdata = np.zeros((frames, self.output_channels), dtype=np.float32)
        indata = np.zeros((frames, self.input_channels), dtype=np.float32)
        status = _NoStatus()
        if on_running is not None:
            on_running()
        transfer.armed = True
        started = time.monotonic()
        blocks = 0
        while not (done() or abort.is_set()):
            if transfer.error is not None:
                raise AudioError(f"the audio callback failed: {transfer.error}")
            if self.realtime:
                lag = started + blocks * frames / self.sample_rate - time.monotonic()
                if lag > 0:
                    time.sleep(lag)
            elif not _ready(transfer, frames):
                time.sleep(0.0005)
                continue
            transfer.callback(indata, outdata, frames, None, status)
            indata.fill(0)
            for patch in self.patches:
                returned = patch.loop.process(outdata[:, list(patch.outputs)].astype(np.float64))
                for column, channel in enumerate(patch.inputs):
                    indata[:, channel] += returned[:, column]
            blocks += 1


    def _direct(self, transfer: Transfer) -> bool:
        """Whether the one patch is exactly the transfer's loop (as loop_setup makes it)."""
        return (len(self.patches) == 1 and self.patches[0].outputs == transfer.outputs
                and self.patches[0].inputs == transfer.inputs)

    def _run_chunked(self, transfer: Transfer, *, done: Callable[[], bool],
                     abort: threading.Event, on_running: Callable[[], None] | None) -> None:
        """Many blocks at a time, to the same samples as block by block: what a block plays
        never depends on what came back, so the loop's model can take a run of blocks at
        once and hand each block's return to the next block."""
        loop = self.patches[0].loop
        block = self.blocksize
        largest = block * max(1, CHUNK_FRAMES // block)
        carry = np.zeros((block, len(transfer.inputs)), dtype=np.float32)
        returned = np.zeros((largest, len(transfer.inputs)), dtype=np.float32)
        if on_running is not None:
            on_running()
        transfer.armed = True
        while not (done() or abort.is_set()):
            if transfer.error is not None:
                raise AudioError(f"the audio callback failed: {transfer.error}")
            play, record = transfer.play, transfer.record
            ready = min(largest, record.space,
                        largest if play.closed else play.available)
            frames = ready - ready % block
            if frames == 0:
                time.sleep(0.0005)
                continue
            back = loop.process(transfer.pull(frames).astype(np.float64))
            returned[:block] = carry
            returned[block:frames] = back[:frames - block]
            carry[:] = back[frames - block:]
            transfer.push(returned[:frames])


def _ready(transfer: Transfer, frames: int) -> bool:
    """Whether a block can run now without the source or the writer falling behind."""
    play = transfer.play
    return transfer.record.space >= frames and (play.available >= frames or play.closed)


class _NoStatus:
    input_overflow = output_underflow = False

    def __bool__(self) -> bool:
        return False
