"""Emulated gear: the far end of each protocol, built from the same profile as the driver."""

from .unit import EmulatedUnit, Misbehaviour

__all__ = ["EmulatedUnit", "Misbehaviour"]
