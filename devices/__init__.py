"""Device profiles, codecs, transports and emulated gear."""
