"""The front ends: the `outboard` command line and the Textual app."""
