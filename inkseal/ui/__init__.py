"""Inkseal ui layer."""
