"""Starting the real app in another process, as a desktop does, and watching it from outside.

Used for the app from the checkout (`python -m inkseal`) and for the installed build
(`/usr/bin/inkseal`). The window is seen through INKSEAL_SHOWN_FILE (written at its first
paint), under Xvfb also through xdotool; the library through the app's own command line.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path


def wait_for(condition, timeout: float, what: str, interval: float = 0.1):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


@contextlib.contextmanager
def virtual_screen() -> Iterator[str | None]:
    """An Xvfb display when Xvfb is installed (its name, for DISPLAY), else None (then the app
    runs on Qt's offscreen platform)."""
    if shutil.which("Xvfb") is None:
        yield None
        return
    for number in range(90, 120):
        if (
            not Path(f"/tmp/.X11-unix/X{number}").exists()
            and not Path(f"/tmp/.X{number}-lock").exists()
        ):
            break
    display = f":{number}"
    proc = subprocess.Popen(
        ["Xvfb", display, "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(lambda: Path(f"/tmp/.X11-unix/X{number}").exists(), 10, "Xvfb to start")
        yield display
    finally:
        proc.terminate()
        proc.wait(10)


@dataclass
class RunningApp:
    """One launched GUI process and the ways to look at it."""

    command: list[str]
    library: Path
    env: dict[str, str]
    shown_file: Path
    log: Path
    proc: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    extra: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(self, files: Sequence[Path]) -> None:
        self.started = time.time()
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(
                [*self.command, "--library", str(self.library), *map(str, files)],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def seconds_to_window(self, timeout: float = 60) -> float:
        """Seconds from the launch to the window's first paint."""

        def shown() -> float | None:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise AssertionError(f"the app exited with {self.proc.returncode}: {self.output()}")
            text = self.shown_file.read_text() if self.shown_file.exists() else ""
            return float(text) if text.strip() else None

        return float(wait_for(shown, timeout, "the window to appear")) - self.started

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [*self.command, *args, "--library", str(self.library)],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"{args} failed: {result.stderr}")
        return result

    def titles(self) -> list[str]:
        return sorted(w["title"] for w in json.loads(self.cli("list", "--json").stdout))

    def wait_for_titles(self, expected: list[str], timeout: float = 60) -> None:
        wait_for(lambda: self.titles() == sorted(expected), timeout, f"works {expected}")

    def open_more(self, files: Sequence[Path]) -> subprocess.CompletedProcess[str]:
        """A second launch with files, as a file manager's "Open with" does."""
        return subprocess.run(
            [*self.command, "--library", str(self.library), *map(str, files)],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    def window_ids(self) -> list[str]:
        """The app's visible top-level windows on the Xvfb screen (xdotool)."""
        out = subprocess.run(
            ["xdotool", "search", "--onlyvisible", "--name", "^Inkseal"],
            env=self.env,
            capture_output=True,
            text=True,
        ).stdout
        return out.split()

    def quit(self, timeout: float = 30) -> int:
        """File > Quit: Ctrl+Q typed into the window under Xvfb, else SIGTERM (which the
        app treats the same way). Returns the exit status."""
        assert self.proc is not None
        windows = self.window_ids() if self.env.get("DISPLAY") and shutil.which("xdotool") else []
        if windows:
            subprocess.run(
                ["xdotool", "windowfocus", "--sync", windows[0]]
                + ["key", "--clearmodifiers", "ctrl+q"],
                env=self.env,
                check=True,
                timeout=10,
            )
        else:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise AssertionError(f"the app did not quit: {self.output()}") from None

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


def make_app(command: Sequence[str], home: Path, display: str | None) -> RunningApp:
    """An app to launch with `command`, its home, preferences and caches all under `home`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QT_", "INKSEAL_", "XDG_"))}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"))
    env.update(XDG_DATA_HOME=str(home / ".local/share"), XDG_CACHE_HOME=str(home / ".cache"))
    if display:
        env["DISPLAY"] = display
    else:
        env.pop("DISPLAY", None)
        env["QT_QPA_PLATFORM"] = "offscreen"
    shown = home / "shown.txt"
    env["INKSEAL_SHOWN_FILE"] = str(shown)
    home.mkdir(parents=True, exist_ok=True)
    return RunningApp(list(command), home / "Library", env, shown, home / "app.log")
