"""One app per library: a second launch hands its files to the running window and exits.

Opening images with Inkseal (from a file manager, a launcher drop or a terminal) while it runs
on the same library must import them there, not start a second app that would fight the first
over the library. The first instance listens on a local socket (a Unix socket, or a named pipe
on Windows) whose name comes from the library's folder and the user; a later launch connects,
sends the paths as one line of JSON and waits for "ok".

Only paths travel, never commands. The socket lies in a folder only the user can enter, and
is the user's own (QLocalServer's UserAccessOption): another user can neither make the app
import anything nor listen in its place. A lock file decides which of several launches at
once becomes the app; the others wait for it to listen and hand their files over.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import stat
import tempfile
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QLockFile, QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

# A message is a few paths; anything bigger is not from Inkseal.
MAX_MESSAGE = 4 * 1024 * 1024
ACK = b"ok\n"


def _private_dir() -> Path | None:
    """A folder only this user can enter, for the socket and the lock: $XDG_RUNTIME_DIR, or
    one made in the temporary folder. None where there is no such thing (Windows, whose
    named pipes are per session anyway)."""
    if os.name != "posix":
        return None
    uid = os.getuid()
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    candidates = [Path(runtime)] if runtime else []
    candidates.append(Path(tempfile.gettempdir()) / f"inkseal-{uid}")
    for folder in candidates:
        try:
            folder.mkdir(mode=0o700, exist_ok=True)
            st = folder.lstat()
        except OSError:
            continue
        # Another user's folder, or one others can write into, could hold a fake socket.
        if stat.S_ISDIR(st.st_mode) and st.st_uid == uid and not st.st_mode & 0o022:
            return folder
    return None


def server_name(library_root: Path) -> str:
    """The socket for this user and library: a full path in a folder only the user can
    enter (so nobody else can listen in their place), the same for every spelling of the
    folder, short enough for Unix sockets (about a hundred bytes)."""
    try:
        root = str(Path(library_root).resolve())
    except OSError:
        root = str(Path(library_root).absolute())
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no user name (a container without passwd entry)
        user = str(os.getuid()) if hasattr(os, "getuid") else "user"
    digest = hashlib.sha256(f"{user}\0{root}".encode()).hexdigest()[:20]
    private = _private_dir()
    if private is not None and len(str(private)) < 70:
        return str(private / f"inkseal-{digest}.sock")
    return f"inkseal-{digest}"


def primary_lock(library_root: Path) -> QLockFile | None:
    """The lock that makes one launch the app for this library: the one that holds it
    listens; the others hand their files over. None when none could be made (then every
    launch is its own app, as before)."""
    name = server_name(library_root)
    path = name[: -len(".sock")] + ".lock" if name.endswith(".sock") else None
    if path is None:
        path = str(Path(tempfile.gettempdir()) / f"{name}.lock")
    lock = QLockFile(path)
    lock.setStaleLockTime(0)  # only a dead process's lock is stale, however old
    return lock


def send_to_running(library_root: Path, paths: Sequence[str], timeout_ms: int = 2000) -> bool:
    """Give `paths` to an Inkseal already running on this library. True when one took them
    (it also brings its window to the front); False when none runs.

    Once the message is written to a connected socket it is the running app's: a busy app
    reads it when its event loop is free again. So a missing "ok" within the timeout does not
    make this launch open the library a second time."""
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
    return True


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
