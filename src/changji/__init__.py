"""Changji governance platform: water (井电双控), services (一件事一次办), community (网格化)."""

__version__ = "0.1.0"
