"""The audio engine: interfaces and their channels (printing builds on it)."""
