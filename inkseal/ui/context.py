"""What the windows share: the open library and the background thread pools."""

from __future__ import annotations

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

    def __post_init__(self) -> None:
        self.tasks.setMaxThreadCount(1)
        self.thumbs.setMaxThreadCount(2)

    def shutdown(self) -> None:
        self.thumbs.clear()
        self.thumbs.waitForDone(5000)
        self.tasks.waitForDone(30000)
        self.library.close()
