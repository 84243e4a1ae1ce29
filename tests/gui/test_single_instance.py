"""One app per library: later launches hand their files to the running window."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.images import gradient, save

SEND = """
import sys, json
from pathlib import Path
from PySide6.QtCore import QCoreApplication
from inkseal.ui.single_instance import send_to_running
app = QCoreApplication([])
print(json.dumps(send_to_running(Path(sys.argv[1]), sys.argv[2:])))
"""


def send_from_another_process(root: Path, *paths: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", SEND, str(root), *paths],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture
def server(qapp):
    from inkseal.ui.single_instance import InstanceServer

    s = InstanceServer()
    yield s
    s.close()


def test_paths_from_a_second_launch_arrive(qtbot, server, tmp_path: Path) -> None:
    root = tmp_path / "lib"
    assert server.listen(root)
    with qtbot.waitSignal(server.received, timeout=20000) as blocker:
        proc = send_from_another_process(root, "relative.png", str(tmp_path / "b c.jpg"))
    out, err = proc.communicate(timeout=20)
    assert json.loads(out) is True, err
    assert blocker.args[0] == [str(REPO / "relative.png"), str(tmp_path / "b c.jpg")]


def test_no_running_app_means_no_handover(qapp, tmp_path: Path) -> None:
    from inkseal.ui.single_instance import send_to_running

    assert send_to_running(tmp_path / "nobody", ["x.png"], timeout_ms=300) is False


def test_the_name_is_per_library_and_the_same_for_any_spelling(tmp_path: Path) -> None:
    from inkseal.ui.single_instance import server_name

    (tmp_path / "a").mkdir()
    assert server_name(tmp_path / "a") == server_name(tmp_path / "a" / ".." / "a")
    assert server_name(tmp_path / "a") != server_name(tmp_path / "b")
    name = server_name(tmp_path / ("x" * 200))
    assert len(name.encode()) < 100  # Unix socket paths hold about a hundred bytes
    # In a folder only this user can enter: nobody else can listen in the app's place.
    folder = Path(name).parent
    assert folder.is_dir() and folder.stat().st_uid == os.getuid()
    assert folder.stat().st_mode & 0o077 == 0


def test_a_second_listener_on_the_same_library_is_refused(qapp, server, tmp_path: Path) -> None:
    from inkseal.ui.single_instance import InstanceServer

    assert server.listen(tmp_path / "lib")
    other = InstanceServer()
    try:
        assert other.listen(tmp_path / "lib") is False
        assert other.listen(tmp_path / "another") is True
    finally:
        other.close()


def test_a_socket_left_by_a_crash_is_taken_over(qtbot, server, tmp_path: Path) -> None:
    from PySide6.QtNetwork import QLocalServer

    from inkseal.ui.single_instance import server_name

    root = tmp_path / "lib"
    probe = QLocalServer()
    assert probe.listen(server_name(root))
    path = probe.fullServerName()
    probe.close()
    # What a killed app leaves: the socket file, with nobody listening on it.
    dead = socket.socket(socket.AF_UNIX)
    dead.bind(path)
    dead.close()
    assert Path(path).exists()
    assert server.listen(root)
    with qtbot.waitSignal(server.received, timeout=20000):
        proc = send_from_another_process(root, "x.png")
    assert json.loads(proc.communicate(timeout=20)[0]) is True


def test_garbage_is_dropped_and_the_server_keeps_listening(qtbot, server, tmp_path: Path) -> None:
    from PySide6.QtNetwork import QLocalSocket

    root = tmp_path / "lib"
    assert server.listen(root)
    received: list[object] = []
    server.received.connect(received.append)
    for junk in (b"not json\n", b'{"no paths": 1}\n', b'{"paths": 5}\n'):
        s = QLocalSocket()
        s.connectToServer(server.name)
        assert s.waitForConnected(2000)
        s.write(junk)
        s.waitForBytesWritten(2000)
        qtbot.waitUntil(lambda s=s: s.state() == QLocalSocket.LocalSocketState.UnconnectedState)
    assert received == []
    with qtbot.waitSignal(server.received, timeout=20000):
        proc = send_from_another_process(root, "x.png")
    assert json.loads(proc.communicate(timeout=20)[0]) is True


def test_files_handed_over_during_an_import_wait_their_turn(qtbot, window, tmp_path: Path) -> None:
    first = [save(gradient((80, 60), seed=i), tmp_path / f"a{i}.png", "PNG") for i in range(6)]
    later = [str(save(gradient((80, 60), seed=50), tmp_path / "later.png", "PNG"))]
    reports = []
    window.import_finished.connect(reports.append)
    window.open_files([str(p) for p in first])
    assert window.importing
    window.open_files(later)  # arrives while the first import runs
    qtbot.waitUntil(lambda: len(reports) == 2, timeout=30000)
    assert [r.added for r in reports] == [6, 1]
    assert window.model.rowCount() == 7


def test_a_busy_app_still_gets_the_files(qtbot, server, tmp_path: Path) -> None:
    # The running window is busy (its thread blocked): the launch must not decide that no
    # app runs and open the library a second time.
    root = tmp_path / "lib"
    assert server.listen(root)
    received: list[object] = []
    server.received.connect(received.append)
    proc = send_from_another_process(root, "x.png")
    time.sleep(4)  # the GUI thread does not run its event loop meanwhile
    out, err = proc.communicate(timeout=20)
    assert json.loads(out) is True, err
    qtbot.waitUntil(lambda: received == [[str(REPO / "x.png")]], timeout=5000)
