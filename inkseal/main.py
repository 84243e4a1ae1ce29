"""Entry point: no arguments (or only files to open) start the GUI; a subcommand runs the
command line."""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    gui = gui_arguments(args)
    if gui is not None:
        # `inkseal`, `inkseal --library DIR` or `inkseal [--library DIR] FILE...` (how a
        # desktop launches it, with %F): the window, importing the files.
        from inkseal.ui.app import run_gui

        library, files = gui
        status: int = run_gui(library, files)
        return status
    import signal

    if hasattr(signal, "SIGPIPE"):
        # `inkseal list | head`: stop quietly when the reader has gone, as other command-line
        # tools do, instead of reporting a broken pipe.
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    from inkseal.cli import run

    return run(args)


def gui_arguments(args: list[str]) -> tuple[str | None, list[str]] | None:
    """(library, files) when `args` ask for the window; None when they name a subcommand or
    an option of the command line (then cli.py reads them, --help included)."""
    from inkseal.cli import COMMANDS

    library: str | None = None
    files: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--library" and i + 1 < len(args):
            library = args[i + 1]
            i += 2
            continue
        if arg.startswith("--library="):
            library = arg.split("=", 1)[1]
        elif arg == "--":
            files.extend(args[i + 1 :])
            break
        elif arg.startswith("-") or (not files and arg in COMMANDS):
            return None
        elif not _looks_like_a_file(arg):
            return None  # a mistyped command: the command line says what the commands are
        else:
            files.append(_local_path(arg))
        i += 1
    return library, files


def _looks_like_a_file(arg: str) -> bool:
    """A file to open (it exists, or it has a folder or an extension, or is a file:// URL),
    not a word such as a command with a typo."""
    import os

    if arg.startswith("file://") or os.sep in arg or "/" in arg or os.path.exists(arg):
        return True
    return "." in arg.strip(".")


def _local_path(arg: str) -> str:
    """A file:// URL (some launchers pass them) as a local path; anything else unchanged."""
    if arg.startswith("file://"):
        from urllib.parse import unquote, urlparse

        url = urlparse(arg)
        if url.netloc in ("", "localhost"):
            return unquote(url.path)
    return arg


if __name__ == "__main__":
    raise SystemExit(main())
