"""Writing a whole file so that nobody ever sees half of it, even after a crash."""

from __future__ import annotations

import contextlib
import errno
import os
import uuid
from pathlib import Path


def write_file(path: Path, data: bytes, *, replace: bool = True, mode: int = 0o644) -> None:
    """Write `data` to a new file, flush it to disk, then give it the name `path`.

    `replace=False` never replaces a file: FileExistsError when one is there, even one that
    appeared while writing. `mode` applies from the first byte (0o600 for private keys).

    On Linux the data goes to an unnamed file in the target's folder (O_TMPFILE), which the
    system removes by itself if the process dies before naming it: a kill at any moment leaves
    either the whole file or nothing. Elsewhere a hidden temporary name is used.
    """
    anonymous = _open_unnamed(path.parent, mode)
    if anonymous is not None:
        _write_unnamed(anonymous, path, data, replace)
        _sync_folder(path.parent)
        return
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
        _sync_folder(path.parent)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def _open_unnamed(folder: Path, mode: int) -> int | None:
    flag = getattr(os, "O_TMPFILE", None)
    if flag is None or not os.path.isdir("/proc/self/fd"):
        return None
    try:
        return os.open(folder, flag | os.O_WRONLY, mode)
    except OSError as exc:
        # Filesystems without unnamed files (some network and FUSE ones) say so like this.
        if exc.errno in (errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL):
            return None
        raise


def _write_unnamed(fd: int, path: Path, data: bytes, replace: bool) -> None:
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
        source = f"/proc/self/fd/{fh.fileno()}"
        if not replace:
            _link(source, path)  # fails when the name is taken
            return
        # A name can only be given to a file that has none; to replace, link a whole copy
        # under a hidden name, then rename it over the old file in one step.
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.part")
        _link(source, tmp)
        try:
            os.replace(tmp, path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()


def _link(source: str, target: Path) -> None:
    """Give the unnamed file behind /proc/self/fd/N the name `target`. That needs linkat()
    following the /proc link; os.link calls it (rather than link()) only when given a folder
    descriptor, which an absolute source then ignores."""
    folder = os.open(target.parent, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.link(source, target, src_dir_fd=folder, follow_symlinks=True)
    finally:
        os.close(folder)


def _sync_folder(folder: Path) -> None:
    """Flush the folder's entry for the new name too, so that a power cut right after the
    write cannot lose the name of a file whose bytes are on disk."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return  # folders cannot be opened on every system (Windows); the data is synced
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
