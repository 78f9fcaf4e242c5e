"""Shared fixtures: the rates every conformance case runs at."""

from __future__ import annotations

RATES = (44_100, 48_000, 96_000, 192_000)
