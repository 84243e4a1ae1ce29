"""Writing a whole file so that nobody ever sees half of it."""

from __future__ import annotations

import contextlib
import os
import uuid
from pathlib import Path


def write_file(path: Path, data: bytes, *, replace: bool = True, mode: int = 0o644) -> None:
    """Write `data` to a temporary file beside `path`, flush it to disk, then put it in place.

    `replace=False` never replaces a file: FileExistsError when one is there, even one that
    appeared while writing. `mode` applies from the first byte (0o600 for private keys).
    """
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.part")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if replace:
            os.replace(tmp, path)
        else:
            os.link(tmp, path)  # fails when the name is taken
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
