"""The audio interfaces PortAudio can reach, by host API, with their channels and rates."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import AudioError


@dataclass(frozen=True, slots=True)
class AudioDevice:
    """One device as PortAudio lists it; latencies in seconds."""

    index: int
    name: str
    host_api: str
    inputs: int
    outputs: int
    default_rate: float
    low_input_latency: float
    low_output_latency: float
    default_input: bool
    default_output: bool

    @property
    def full_duplex(self) -> bool:
        """Whether it can play and record at once, as printing through an insert needs."""
        return self.inputs > 0 and self.outputs > 0


@dataclass(frozen=True, slots=True)
class HostApi:
    name: str
    devices: tuple[AudioDevice, ...]


def host_apis() -> tuple[HostApi, ...]:
    """Every host API PortAudio has here, each with its devices (an API with no devices, or
    no server running, such as JACK before jackd starts, is listed empty or not at all)."""
    try:
        import sounddevice as sd

        apis = sd.query_hostapis()
        devices = sd.query_devices()
    except (OSError, ImportError) as err:  # PortAudio missing or not loadable
        raise AudioError(f"PortAudio is not available ({err}); install libportaudio2") from err
    found = []
    for api in apis:
        listed = []
        for index in api["devices"]:
            d = devices[index]
            listed.append(AudioDevice(
                index=index, name=d["name"], host_api=api["name"],
                inputs=int(d["max_input_channels"]), outputs=int(d["max_output_channels"]),
                default_rate=float(d["default_samplerate"]),
                low_input_latency=float(d["default_low_input_latency"]),
                low_output_latency=float(d["default_low_output_latency"]),
                default_input=index == api["default_input_device"],
                default_output=index == api["default_output_device"]))
        found.append(HostApi(api["name"], tuple(listed)))
    return tuple(found)
