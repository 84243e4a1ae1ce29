"""Inkseal library layer."""
