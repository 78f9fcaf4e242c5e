"""The Outboard app: the recall workflow in a Textual terminal interface."""
