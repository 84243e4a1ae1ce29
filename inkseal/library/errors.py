"""Errors the services raise for the user to read (one clear line each)."""


class InksealError(Exception):
    """A failure the user can understand and act on; its message is one line."""


class NotFound(InksealError):
    """A work, file or other record that does not exist."""


class InvalidInput(InksealError):
    """A value the user gave that cannot be accepted."""


class LibraryError(InksealError):
    """The library folder cannot be opened or used."""


class LibraryBusy(InksealError):
    """Another process held the library's write lock for longer than Inkseal waits."""


BUSY = (
    "the library is busy: another Inkseal (the window or a command) is writing to it; "
    "try again in a moment"
)
READ_ONLY = "the library cannot be changed: its folder or catalogue is read-only"
DISK_FULL = "the disk is full: nothing was changed; free some space and try again"


def describe(exc: BaseException) -> str:
    """One line for the user about `exc`, in words for the failures they can act on (a busy
    library, a full disk, a read-only folder) and the plain error otherwise."""
    import errno

    if isinstance(exc, InksealError):
        return " ".join(str(exc).split())
    text = " ".join(str(getattr(exc, "orig", None) or exc).split())
    lowered = text.lower()
    if "database is locked" in lowered or "database is busy" in lowered:
        return BUSY
    if "readonly database" in lowered or "read-only file system" in lowered:
        return READ_ONLY
    if "database or disk is full" in lowered:
        return DISK_FULL
    if isinstance(exc, OSError):
        if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
            return DISK_FULL
        if exc.errno == errno.EROFS:
            return READ_ONLY
        if exc.errno in (errno.EACCES, errno.EPERM):
            where = f" ({exc.filename})" if exc.filename else ""
            return f"permission denied{where}: the library's folder cannot be written"
    return f"{type(exc).__name__}: {text}"
