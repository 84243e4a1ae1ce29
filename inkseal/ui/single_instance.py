"""One app per library: a second launch hands its files to the running window and exits.

Opening images with Inkseal (from a file manager, a launcher drop or a terminal) while it runs
on the same library must import them there, not start a second app that would fight the first
over the library. The first instance listens on a local socket (a Unix socket, or a named pipe
on Windows) whose name comes from the library's folder and the user; a later launch connects,
sends the paths as one line of JSON and waits for "ok".

Only paths travel, never commands, and the socket is the user's own (QLocalServer's
UserAccessOption), so another user cannot make the app import anything.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

# A message is a few paths; anything bigger is not from Inkseal.
MAX_MESSAGE = 4 * 1024 * 1024
ACK = b"ok\n"


def server_name(library_root: Path) -> str:
    """The socket's name for this user and library: short (Unix socket paths are limited to
    about a hundred bytes) and the same for every spelling of the folder."""
    try:
        root = str(Path(library_root).resolve())
    except OSError:
        root = str(Path(library_root).absolute())
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no user name (a container without passwd entry)
        user = str(os.getuid()) if hasattr(os, "getuid") else "user"
    digest = hashlib.sha256(f"{user}\0{root}".encode()).hexdigest()[:20]
    return f"inkseal-{digest}"


def send_to_running(library_root: Path, paths: Sequence[str], timeout_ms: int = 2000) -> bool:
    """Give `paths` to an Inkseal already running on this library. True when one took them
    (it also brings its window to the front); False when none runs."""
    socket = QLocalSocket()
    socket.connectToServer(server_name(library_root))
    if not socket.waitForConnected(timeout_ms):
        return False
    message = json.dumps({"paths": [os.path.abspath(p) for p in paths]}).encode() + b"\n"
    socket.write(message)
    if not socket.waitForBytesWritten(timeout_ms):
        socket.abort()
        return False
    answer = b""
    while not answer.endswith(b"\n") and socket.waitForReadyRead(timeout_ms):
        answer += bytes(socket.readAll().data())
    socket.disconnectFromServer()
    return answer == ACK


class InstanceServer(QObject):
    """Listens for later launches; `received` carries the paths each one sent (possibly
    none: a plain second launch only asks for the window)."""

    received = Signal(list)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._server: QLocalServer | None = None
        self._buffers: dict[QLocalSocket, bytes] = {}
        self.name: str | None = None

    def listen(self, library_root: Path) -> bool:
        """Listen under the name of `library_root` (again, after the window opened another
        library). False when another instance holds that name."""
        self.close()
        name = server_name(library_root)
        # Ask first: with access options set, Qt binds in a private folder and renames the
        # socket into place, which would silently take the name from a running instance.
        probe = QLocalSocket()
        probe.connectToServer(name)
        if probe.waitForConnected(300):
            probe.abort()
            return False
        # Nobody answers: any socket file there was left by an instance that crashed.
        QLocalServer.removeServer(name)
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        if not server.listen(name):
            return False
        server.newConnection.connect(self._on_connection)
        self._server = server
        self.name = name
        return True

    def close(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server.deleteLater()
            self._server = None
            self.name = None

    def _on_connection(self) -> None:
        assert self._server is not None
        while self._server.hasPendingConnections():
            socket = self._server.nextPendingConnection()
            self._buffers[socket] = b""
            socket.readyRead.connect(lambda s=socket: self._on_ready(s))
            socket.disconnected.connect(lambda s=socket: self._forget(s))

    def _forget(self, socket: QLocalSocket) -> None:
        self._buffers.pop(socket, None)
        socket.deleteLater()

    def _on_ready(self, socket: QLocalSocket) -> None:
        data = self._buffers.get(socket, b"") + bytes(socket.readAll().data())
        if len(data) > MAX_MESSAGE:
            socket.abort()
            return
        if not data.endswith(b"\n"):
            self._buffers[socket] = data
            return
        self._buffers[socket] = b""
        try:
            message = json.loads(data)
            paths = [p for p in message["paths"] if isinstance(p, str)]
        except (ValueError, KeyError, TypeError):
            socket.abort()
            return
        socket.write(ACK)
        socket.flush()
        self.received.emit(paths)
