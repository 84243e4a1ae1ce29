"""Background work for the GUI: a QThreadPool runnable that owns a QObject of signals.

Results and progress arrive on the GUI thread through queued signals. Workers never touch
widgets or QPixmap; they may build QImage.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal


class TaskSignals(QObject):
    progress = Signal(object)
    finished = Signal(object)
    failed = Signal(str)


class Task(QRunnable):
    """Runs `fn(report_progress)` on a pool thread."""

    def __init__(self, fn: Callable[[Callable[[Any], None]], Any]) -> None:
        super().__init__()
        self.fn = fn
        self.signals = TaskSignals()
        # The pool must not delete the runnable (and with it the QObject whose signals are
        # still queued for the GUI thread); Python owns it and lets go once they arrive.
        self.setAutoDelete(False)
        self._keep_alive: Task | None = None

    def run(self) -> None:
        try:
            result = self.fn(self.signals.progress.emit)
        except Exception as exc:  # shown to the user, never lost silently
            from inkseal.library.errors import describe

            traceback.print_exc()
            self.signals.failed.emit(describe(exc))
        else:
            self.signals.finished.emit(result)


def run_task(
    pool: QThreadPool,
    fn: Callable[[Callable[[Any], None]], Any],
    *,
    on_done: Callable[[Any], None] | None = None,
    on_error: Callable[[str], None] | None = None,
    on_progress: Callable[[Any], None] | None = None,
) -> Task:
    task = Task(fn)
    if on_done:
        task.signals.finished.connect(on_done)
    if on_error:
        task.signals.failed.connect(on_error)
    if on_progress:
        task.signals.progress.connect(on_progress)
    task._keep_alive = task  # until its last signal has been delivered, below

    def release(*_args: object) -> None:
        task._keep_alive = None

    task.signals.finished.connect(release)
    task.signals.failed.connect(release)
    pool.start(task)
    return task
