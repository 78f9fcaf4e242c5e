"""A driver: one profile and one transport, setting and reading a unit's values."""

from __future__ import annotations

import time
from dataclasses import dataclass

from . import codec, values
from .codec import Address
from .errors import DeviceError, DeviceTimeout, ProfileError, ReplyError
from .profile import Parameter, Profile
from .template import TemplateError
from .transport.base import Transport

# MIDI 1.0 runs at 31,250 baud with 10 bits a byte (start, 8 data, stop): 320 us a byte.
MIDI_SECONDS_PER_BYTE = 10 / 31_250
# Read-back queries a MIDI unit is asked at once before its replies are awaited.
PIPELINE_WINDOW = 16
# The longest the driver spends dropping stale messages before a command: a unit that
# never stops sending must not keep a command from going out.
DRAIN_S = 0.1


@dataclass(frozen=True, slots=True)
class Sent:
    """What one set put on the wire: the value as snapped, and the messages."""

    parameter: str
    value: float
    messages: tuple[bytes, ...]


class Driver:
    """Talks to one unit. It receives its transport; it never builds one.

    MIDI messages are paced by the profile's minimum gap; serial commands wait for the
    unit's acknowledgement (or echo) and are retried as the profile allows. Every read has a
    timeout: a unit that stays silent raises DeviceTimeout, a garbled reply ReplyError.
    """

    def __init__(self, profile: Profile, transport: Transport, address: Address) -> None:
        self.profile = profile
        self.transport = transport
        self.address = address
        self._last_send = 0.0
        self._last_length = 0
        self._relative_position: dict[str, int] = {}

    # ---------------------------------------------------------------- setting
    def set(self, parameter_id: str, value: float) -> Sent:
        parameter = self.profile.parameter(parameter_id)
        snapped = values.validate(parameter, value)
        if parameter.midi is not None:
            current = self._relative_position.get(parameter.id)
            messages = codec.midi_messages(parameter, snapped, self.address, current=current)
            for message in messages:
                self._paced_send(message, self._midi_gap())
            if parameter.midi.type == "relative":
                self._relative_position[parameter.id] = codec.to_wire(parameter, snapped)
            return Sent(parameter.id, snapped, tuple(messages))
        settings = self.profile.serial
        assert settings is not None and parameter.serial is not None
        command = codec.serial_command(parameter, snapped, self.address, settings.terminator)
        self._serial_exchange(command, expect_ack=True)
        return Sent(parameter.id, snapped, (command,))

    def _midi_gap(self) -> float:
        return (self.profile.midi.min_gap_ms if self.profile.midi else 0.0) / 1000.0

    def _paced_send(self, message: bytes, gap: float) -> None:
        """Send no faster than the unit's own gap, nor than a MIDI cable carries the
        previous message: a unit behind a 5-pin DIN input drops what comes faster."""
        if self.profile.control == "midi":
            gap = max(gap, self._last_length * MIDI_SECONDS_PER_BYTE)
        wait = self._last_send + gap - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        self.transport.send(message)
        self._last_send = time.monotonic()
        self._last_length = len(message)

    def _serial_exchange(self, command: bytes, *, expect_ack: bool,
                         timeout: float | None = None) -> bytes | None:
        """Send a serial command; return the reply line that is not an echo or ack.

        A retry after a late acknowledgement may apply the command twice; commands set
        absolute values, so that is harmless.
        """
        settings = self.profile.serial
        assert settings is not None
        if timeout is None:
            timeout = settings.timeout_ms / 1000.0
        attempts = settings.retries + 1
        for attempt in range(attempts):
            self._drain()
            self._paced_send(command, settings.delay_ms / 1000.0)
            sent_line = command.removesuffix(settings.terminator) if settings.terminator \
                else command
            try:
                if settings.echo:
                    echo = self._expect(timeout)
                    if echo != sent_line:
                        raise ReplyError(f"{self.transport.address}: echo {echo!r} "
                                         f"is not the command {sent_line!r}")
                if expect_ack:
                    if settings.ack is not None:
                        reply = self._expect(timeout)
                        try:
                            settings.ack.match(reply, device_id=self.address.device_id)
                        except TemplateError as err:
                            raise ReplyError(f"{self.transport.address}: no acknowledgement "
                                             f"({err})") from None
                    return None
                return self._expect(timeout)
            except (DeviceTimeout, ReplyError):
                if attempt == attempts - 1:
                    raise
        return None

    def _expect(self, timeout: float) -> bytes:
        reply = self.transport.receive(timeout)
        if reply is None:
            raise DeviceTimeout(f"{self.transport.address}: no answer within "
                                f"{timeout * 1000:.0f} ms")
        return reply

    def _drain(self) -> None:
        """Drop what has arrived unasked (within DRAIN_S), garbled or not."""
        deadline = time.monotonic() + DRAIN_S
        while time.monotonic() < deadline:
            try:
                if self.transport.receive(0.0) is None:
                    return
            except ReplyError:
                continue  # an overlong line, dropped by the transport

    # ---------------------------------------------------------------- reading
    def can_read(self, parameter_id: str) -> bool:
        parameter = self.profile.parameter(parameter_id)
        binding = parameter.midi or parameter.serial
        return bool(binding and binding.query is not None)

    def read(self, parameter_id: str, *, timeout: float | None = None) -> float:
        """Ask the unit for one value; DeviceTimeout or ReplyError if it cannot say."""
        parameter = self.profile.parameter(parameter_id)
        if not self.can_read(parameter_id):
            raise ProfileError(f"{self.profile.key}: {parameter_id} cannot be read back "
                               "(its profile gives no query)")
        if parameter.midi is not None:
            return self._read_midi(parameter, timeout)
        return self._read_serial(parameter, timeout)

    def _read_serial(self, parameter: Parameter, timeout: float | None) -> float:
        """Query, then take the first line that reads as this parameter's reply: a late
        answer to an earlier query is passed over, not mistaken for this one."""
        settings = self.profile.serial
        assert settings is not None
        wait = settings.timeout_ms / 1000.0 if timeout is None else timeout
        query = codec.serial_query(parameter, self.address, settings.terminator)
        last_error: ReplyError | None = None
        for _ in range(settings.retries + 1):
            self._drain()
            self._paced_send(query, settings.delay_ms / 1000.0)  # type: ignore[arg-type]
            deadline = time.monotonic() + wait
            while (left := deadline - time.monotonic()) > 0:
                try:
                    line = self.transport.receive(left)
                    if line is None:
                        break
                    return codec.read_serial_reply(parameter, line, self.address)
                except ReplyError as err:
                    last_error = err  # an echo, an answer to something else, or noise
        if last_error is not None:
            raise last_error
        raise DeviceTimeout(f"{self.transport.address}: no answer within "
                            f"{wait * 1000:.0f} ms")

    def _read_midi(self, parameter: Parameter, timeout: float | None) -> float:
        wait = 0.5 if timeout is None else timeout
        self._drain()
        query = codec.midi_query(parameter, self.address)
        self._paced_send(query, self._midi_gap())  # type: ignore[arg-type]
        deadline = time.monotonic() + wait
        last_error: ReplyError | None = None
        while (left := deadline - time.monotonic()) > 0:
            reply = self.transport.receive(left)
            if reply is None:
                break
            try:
                return codec.read_midi_reply(parameter, reply, self.address)
            except ReplyError as err:
                last_error = err  # another message on the port; keep listening
        if last_error is not None:
            raise last_error
        raise DeviceTimeout(f"{self.transport.address}: no reply to the {parameter.id} query "
                            f"within {wait * 1000:.0f} ms")

    def read_many(self, parameter_ids: list[str], *, timeout: float | None = None,
                  window: int = PIPELINE_WINDOW) -> dict[str, float | DeviceError]:
        """Several values at once: each value, or the error that kept it from being read.

        Over MIDI, when every reply names its parameter (no reply of one could be read as
        another's), the queries go out back to back, paced at the cable's rate, with up to
        ``window`` unanswered at a time, and the replies are matched as they come: the
        round trip through the port is paid once, not once a value. Otherwise, and for
        serial units (which take one command at a time), one after the other.
        """
        if not parameter_ids:
            return {}
        if self.profile.control != "midi" or not self._distinct_replies(parameter_ids):
            return {pid: self._read_or_error(pid, timeout) for pid in parameter_ids}
        wait = 0.5 if timeout is None else timeout
        self._drain()
        pending: dict[str, Parameter] = {}
        found: dict[str, float | DeviceError] = {}
        # Why the last message that was no one's reply was not each pending one's.
        refused: dict[str, ReplyError] = {}
        queue = list(parameter_ids)
        deadline = time.monotonic() + wait
        while queue or pending:
            while queue and len(pending) < window:
                parameter = self.profile.parameter(queue.pop(0))
                self._paced_send(codec.midi_query(parameter, self.address),  # type: ignore
                                 self._midi_gap())
                pending[parameter.id] = parameter
                deadline = time.monotonic() + wait  # each query gets its own time to answer
            reply = self.transport.receive(max(deadline - time.monotonic(), 0.0))
            if reply is not None:
                self._match_pending(reply, pending, found, refused)
            if pending and time.monotonic() >= deadline:
                # Checked whether or not a message came: a port that never goes quiet
                # must not keep the read going.
                for pid in pending:
                    found[pid] = refused.get(pid) or DeviceTimeout(
                        f"{self.transport.address}: no reply to the {pid} query within "
                        f"{wait * 1000:.0f} ms")
                pending.clear()
        return {pid: found[pid] for pid in parameter_ids}

    def _match_pending(self, reply: bytes, pending: dict[str, Parameter],
                       found: dict[str, float | DeviceError],
                       refused: dict[str, ReplyError]) -> None:
        """Take ``reply`` as the one pending query's it reads as; when it reads as none,
        remember why for each, so that one still unanswered at the end is reported as
        garbled (the unit answered) rather than as silent."""
        errors: dict[str, ReplyError] = {}
        for pid, parameter in pending.items():
            try:
                found[pid] = codec.read_midi_reply(parameter, reply, self.address)
            except ReplyError as err:
                errors[pid] = err  # not this one's reply
                continue
            del pending[pid]
            return
        refused.update(errors)

    def _read_or_error(self, parameter_id: str, timeout: float | None) -> float | DeviceError:
        try:
            return self.read(parameter_id, timeout=timeout)
        except (DeviceTimeout, ReplyError) as err:
            return err

    def _distinct_replies(self, parameter_ids: list[str]) -> bool:
        """Whether each parameter's reply can only be read as that parameter's."""
        parameters = [self.profile.parameter(pid) for pid in parameter_ids]
        if any(p.midi is None or p.midi.query is None or p.midi.reply is None
               for p in parameters):
            return False
        for a in parameters:
            binding = a.midi
            assert binding is not None and binding.reply is not None
            sample = binding.reply.render(value=binding.wire_min, device_id=self.address.device_id,
                                          channel=self.address.channel,
                                          param=binding.number or 0)
            for b in parameters:
                if b is a:
                    continue
                try:
                    codec.read_midi_reply(b, sample, self.address)
                except (ReplyError, DeviceError):
                    continue
                return False
        return True

    def read_dump(self, *, timeout: float = 1.0) -> dict[str, float]:
        """Every value a whole-state dump carries."""
        request = codec.dump_request(self.profile, self.address)
        if request is None:
            raise ReplyError(f"{self.profile.key} has no state dump")
        self._drain()
        self._paced_send(request, self._midi_gap())
        reply = self._expect(timeout)
        return codec.read_dump(self.profile, reply, self.address)
