"""The verdicts' defaults, kept apart so the command line can show them without loading the
audio engine."""

from __future__ import annotations

FINGERPRINT_THRESHOLD_DB = 0.5  # a band of the chain's response moved by more than this
NULL_THRESHOLD_DB = -40.0  # a null shallower than this: the recall does not sound the same
EXCERPT_SECONDS = 10.0  # what verify prints again by default
