"""Inkseal: a local library of artworks with an honest record of how each was made."""

__version__ = "0.1.0"
