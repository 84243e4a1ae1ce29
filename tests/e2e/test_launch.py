"""The app launched from the checkout as a desktop launches it: `inkseal [--library] FILE...`.

The window comes up on a fresh library and imports the files it was given; a second launch on
the same library hands its files to the running window and exits; SIGTERM or Ctrl+Q quits
cleanly (exit status 0). tests/e2e/test_package.py does the same with the installed .deb.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.e2e.launching import make_app, virtual_screen
from tests.images import gradient, save


@pytest.fixture
def images(tmp_path: Path) -> list[Path]:
    folder = tmp_path / "images"
    folder.mkdir()
    paths = []
    third = folder / "third.webp"
    for i, (name, fmt) in enumerate([("first light.png", "PNG"), ("second.jpg", "JPEG")]):
        path = folder / name
        save(gradient((96 + i * 8, 64), seed=i), path, fmt)
        paths.append(path)
    paths.append(save(gradient((120, 80), seed=7), third, "WEBP"))
    return paths


@pytest.mark.parametrize("screen", ["offscreen", "xvfb"])
def test_open_files_with_the_app_and_a_second_launch(
    tmp_path: Path, images: list[Path], screen: str
) -> None:
    with virtual_screen() if screen == "xvfb" else contextlib.nullcontext() as found:
        if screen == "xvfb" and found is None:
            pytest.skip("Xvfb is not installed")
        display = found if screen == "xvfb" else None
        app = make_app([sys.executable, str(REPO / "main.py")], tmp_path / "home", display)
        app.start(images[:1])
        try:
            seconds = app.seconds_to_window()
            assert seconds < 30
            app.wait_for_titles(["first light"])
            if display:
                assert app.window_ids(), "no Inkseal window on the screen"
            # "Open with Inkseal" while it runs: the running window imports, no second app.
            second = app.open_more(images[1:])
            assert second.returncode == 0, second.stderr
            assert "Traceback" not in second.stderr
            app.wait_for_titles(["first light", "second", "third"])
            assert app.quit() == 0, app.output()
        finally:
            app.stop()
    assert "Traceback" not in app.output()
    # The window's state was saved on the way out: a clean quit, not a kill.
    assert list((tmp_path / "home" / ".config").rglob("*.conf")), app.output()


def test_a_launch_on_another_library_is_its_own_app(tmp_path: Path, images: list[Path]) -> None:
    first = make_app([sys.executable, str(REPO / "main.py")], tmp_path / "one", None)
    other = make_app([sys.executable, str(REPO / "main.py")], tmp_path / "two", None)
    first.start(images[:1])
    other.start(images[1:2])
    try:
        first.seconds_to_window()
        other.seconds_to_window()
        first.wait_for_titles(["first light"])
        other.wait_for_titles(["second"])
        assert first.quit() == 0
        assert other.quit() == 0
    finally:
        first.stop()
        other.stop()


def test_two_launches_at_the_same_moment_make_one_app(tmp_path: Path, images: list[Path]) -> None:
    import signal
    import subprocess
    import time

    app = make_app([sys.executable, str(REPO / "main.py")], tmp_path / "home", None)
    launches = [
        subprocess.Popen(
            [*app.command, "--library", str(app.library), str(image)],
            env=app.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for image in images[:2]
    ]
    try:
        # Whichever took the lock first is the app; the other hands its file over and leaves.
        deadline = time.monotonic() + 60
        while all(p.poll() is None for p in launches):
            assert time.monotonic() < deadline, "neither launch handed over"
            time.sleep(0.1)
        (left,) = [p for p in launches if p.poll() is not None]
        (survivor,) = [p for p in launches if p.poll() is None]
        assert left.returncode == 0, left.stderr.read() if left.stderr else ""
        app.wait_for_titles(["first light", "second"])
        survivor.send_signal(signal.SIGTERM)
        assert survivor.wait(30) == 0
    finally:
        for p in launches:
            if p.poll() is None:
                p.kill()
