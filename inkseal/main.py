"""Entry point: no arguments start the GUI; a subcommand runs the command line."""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    gui_args = {"--library"}
    if not args or (args[0] in gui_args and len(args) == 2):
        # `inkseal` or `inkseal --library DIR`: the window.
        from inkseal.ui.app import run_gui

        status: int = run_gui(args[1] if args else None)
        return status
    from inkseal.cli import run

    return run(args)


if __name__ == "__main__":
    raise SystemExit(main())
