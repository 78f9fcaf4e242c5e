"""Widgets the app's screens are built from."""
