"""Errors the services raise for the user to read (one clear line each)."""


class InksealError(Exception):
    """A failure the user can understand and act on; its message is one line."""


class NotFound(InksealError):
    """A work, file or other record that does not exist."""


class InvalidInput(InksealError):
    """A value the user gave that cannot be accepted."""


class LibraryError(InksealError):
    """The library folder cannot be opened or used."""
