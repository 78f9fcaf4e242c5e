"""A preallocated single-producer, single-consumer ring of audio frames: the only thing the
audio callback touches besides its own buffers."""

from __future__ import annotations

import numpy as np


class Ring:
    """Frames of ``channels`` float32 samples in a fixed buffer; one thread writes, one reads.

    No locks: the writer only advances ``_written`` and the reader only ``_read``, each after
    its copy is done (a Python int assignment is atomic under the GIL), so each side sees a
    consistent count. Nothing here allocates after construction except the reader's views.
    """

    def __init__(self, *, frames: int, channels: int) -> None:
        if frames < 1 or channels < 1:
            raise ValueError("a ring needs at least one frame and one channel")
        self._buffer = np.zeros((frames, channels), dtype=np.float32)
        self.capacity = frames
        self.channels = channels
        self._written = 0
        self._read = 0
        self.closed = False  # the writer has written its last frame

    @property
    def available(self) -> int:
        """Frames written and not yet read."""
        return self._written - self._read

    @property
    def space(self) -> int:
        """Frames that can be written now without overwriting unread ones."""
        return self.capacity - (self._written - self._read)

    def write(self, block: np.ndarray) -> int:
        """Copy as much of ``block`` (shape=(frames, channels)) as fits; return the frames
        written."""
        count = min(block.shape[0], self.space)
        start = self._written % self.capacity
        first = min(count, self.capacity - start)
        self._buffer[start:start + first] = block[:first]
        if count > first:
            self._buffer[:count - first] = block[first:count]
        self._written += count
        return count

    def read_into(self, out: np.ndarray) -> int:
        """Copy up to ``out.shape[0]`` unread frames into ``out``; return how many."""
        count = min(out.shape[0], self.available)
        start = self._read % self.capacity
        first = min(count, self.capacity - start)
        out[:first] = self._buffer[start:start + first]
        if count > first:
            out[first:count] = self._buffer[:count - first]
        self._read += count
        return count

    def close(self) -> None:
        """The writer is done: a reader that finds the ring empty now has everything."""
        self.closed = True

    @property
    def drained(self) -> bool:
        return self.closed and self.available == 0
