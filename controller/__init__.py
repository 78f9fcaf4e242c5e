"""The headless engine of Outboard: metering, measurement, audio and recall logic."""
