"""The app's screens, one module each: the screen wires, the controller decides."""
