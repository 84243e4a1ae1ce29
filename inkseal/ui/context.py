"""What the windows share: the open library and the background thread pools."""

from __future__ import annotations

import gc
import sys
from dataclasses import dataclass, field

from PySide6.QtCore import QThreadPool

from inkseal.library.library import Library


@dataclass
class AppContext:
    library: Library
    # Long actions (import, export, verify): one at a time keeps the GUI thread free and
    # leaves the import's own worker threads the cores.
    tasks: QThreadPool = field(default_factory=QThreadPool)
    # Thumbnails: small, many, cancellable by scrolling away.
    thumbs: QThreadPool = field(default_factory=QThreadPool)
    # Catalogue queries that would otherwise hold up the GUI thread (refresh during imports).
    queries: QThreadPool = field(default_factory=QThreadPool)

    def __post_init__(self) -> None:
        self.tasks.setMaxThreadCount(1)
        self.thumbs.setMaxThreadCount(2)
        self.queries.setMaxThreadCount(1)
        # Background threads (import, thumbnails) run Python too; hand the interpreter lock
        # over more often than the default 5 ms so the GUI thread never waits long for it.
        sys.setswitchinterval(0.001)
        # A full garbage collection stops every thread while it walks the heap: with the
        # libraries loaded that is tens of milliseconds on the GUI thread. What exists by
        # now lives as long as the app, so it is left out of later collections, and young
        # objects are collected less often (imports make many short-lived ones).
        gc.freeze()
        gc.set_threshold(20_000, 20, 20)

    def shutdown(self) -> None:
        self.thumbs.clear()
        self.queries.waitForDone(5000)
        self.thumbs.waitForDone(5000)
        self.tasks.waitForDone(30000)
        self.library.close()
