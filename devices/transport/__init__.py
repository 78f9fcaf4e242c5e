"""Transports: how bytes reach a unit. Chosen by address scheme: midi:, serial:, manual:,
emulated:."""

from .address import UnitAddress, open_transport, parse_address
from .base import BaseTransport, Transport
from .memory import MemoryTransport
from .spy import SpyTransport

__all__ = ["BaseTransport", "MemoryTransport", "SpyTransport", "Transport", "UnitAddress",
           "open_transport", "parse_address"]
