"""Data files shipped inside the package (read with importlib.resources): the FX-rate snapshot
used when no stored rate covers a day. No code lives here."""
