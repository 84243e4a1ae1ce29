"""The installed build: made with PyInstaller, packed as a .deb, installed with dpkg, started.

As root on Debian (CI, via .ci/run) the .deb is installed for real: /usr/bin/inkseal starts on
a virtual screen with a fresh library and an image, the window comes up and imports it, a
second launch hands over another image, the installed command line exports a report, Ctrl+Q
quits with status 0, and `dpkg --purge` leaves nothing behind but the user's library. The
per-user tarball is installed into a scratch home and removed again. Elsewhere (no dpkg, not
root) the install tests are skipped; the build itself still runs where PyInstaller is present.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.e2e.launching import make_app, virtual_screen
from tests.images import gradient, save

pytestmark = pytest.mark.slow

ON_DEBIAN = sys.platform.startswith("linux") and shutil.which("dpkg-deb") is not None
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def _load(relative: str):  # type: ignore[no-untyped-def]
    """A packaging script as a module (they are scripts, not a package)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(Path(relative).stem, REPO / relative)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    if not ON_DEBIAN:
        pytest.skip("the .deb is built with Debian's dpkg-deb")
    if IS_ROOT:
        # Where the test can install, it must: a missing PyInstaller is a failure, not a skip.
        import PyInstaller  # noqa: F401
    else:
        pytest.importorskip("PyInstaller")
    out = tmp_path_factory.mktemp("dist")
    made = _load("packaging/build.py").build(out, tmp_path_factory.mktemp("work"))
    bundle, deb, tarball = made
    return {"bundle": bundle, "deb": deb, "tarball": tarball}


@pytest.fixture
def images(tmp_path: Path) -> list[Path]:
    folder = tmp_path / "images with spaces"
    folder.mkdir()
    return [
        save(gradient((160, 120), seed=1), folder / "morning sketch.png", "PNG"),
        save(gradient((140, 100), seed=2), folder / "evening.jpg", "JPEG"),
    ]


def test_the_bundle_is_trimmed_and_runs_both_faces(built: dict[str, Path], tmp_path: Path) -> None:
    bundle = built["bundle"]
    plugins = bundle / "_internal" / "PySide6" / "Qt" / "plugins"
    assert (plugins / "platforms" / "libqxcb.so").exists()
    assert (plugins / "platforms" / "libqoffscreen.so").exists()  # reports from the CLI
    assert (plugins / "iconengines" / "libqsvgicon.so").exists()
    for unused in ("sqldrivers", "tls", "qmltooling", "egldeviceintegrations"):
        assert not (plugins / unused).exists(), unused
    assert not list(bundle.rglob("qtbase_*.qm")), "Qt's translations should be trimmed"
    icons = bundle / "_internal" / "inkseal" / "resources" / "icons" / "inkseal.svg"
    assert icons.exists()
    migrations = bundle / "_internal" / "inkseal" / "models" / "migrations"
    assert list((migrations / "versions").glob("*.py"))
    # One executable: the command line ...
    exe = str(bundle / "inkseal")
    lib = tmp_path / "L"
    version = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=60)
    assert version.returncode == 0 and version.stdout.startswith("inkseal "), version.stderr
    image = save(gradient((64, 48)), tmp_path / "a.png", "PNG")
    result = subprocess.run(
        [exe, "import", str(image), "--library", str(lib), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    # ... and the window, which migrations, Qt's plugins and the icon all have to reach.
    app = make_app([exe], tmp_path / "home", None)
    app.start([])
    try:
        app.seconds_to_window()
        assert app.quit() == 0, app.output()
    finally:
        app.stop()
    assert "Traceback" not in app.output()


def test_desktop_and_appstream_files_are_valid() -> None:
    import xml.etree.ElementTree as ET

    desktop = REPO / "packaging" / "linux" / "org.inkseal.Inkseal.desktop"
    text = desktop.read_text("utf-8")
    assert "Exec=inkseal %F" in text and "Categories=Graphics;Photography;" in text
    if shutil.which("desktop-file-validate"):
        result = subprocess.run(["desktop-file-validate", str(desktop)], capture_output=True)
        assert result.returncode == 0, result.stdout.decode() + result.stderr.decode()
    meta = ET.parse(REPO / "packaging" / "linux" / "org.inkseal.Inkseal.metainfo.xml")
    assert meta.getroot().findtext("id") == "org.inkseal.Inkseal"
    launchable = meta.getroot().find("launchable")
    assert launchable is not None and launchable.text == desktop.name


def test_debian_dependencies_are_the_ones_make_run_installs() -> None:
    depends = _load("packaging/linux/build_deb.py").DEPENDS
    listed = (REPO / "packaging" / "linux" / "system-packages.txt").read_text().split()
    assert set(depends) <= set(listed)


def _installed_files() -> list[Path]:
    out = subprocess.run(["dpkg", "-L", "inkseal"], capture_output=True, text=True, check=True)
    return [Path(line) for line in out.stdout.splitlines() if line.startswith("/")]


@pytest.mark.skipif(not (ON_DEBIAN and IS_ROOT), reason="installing a .deb needs root and dpkg")
def test_install_launch_and_remove_the_deb(
    built: dict[str, Path], tmp_path: Path, images: list[Path]
) -> None:
    deb = built["deb"]
    info = subprocess.run(["dpkg-deb", "-f", str(deb)], capture_output=True, text=True).stdout
    assert "libgl1" in info and "Recommends: fonts-noto-cjk" in info
    install = subprocess.run(["dpkg", "-i", str(deb)], capture_output=True, text=True)
    assert install.returncode == 0, install.stdout + install.stderr
    try:
        files = _installed_files()
        assert Path("/usr/bin/inkseal").resolve() == Path("/opt/inkseal/inkseal")
        assert Path("/usr/share/applications/org.inkseal.Inkseal.desktop").exists()
        assert Path("/usr/share/icons/hicolor/256x256/apps/org.inkseal.Inkseal.png").exists()
        assert Path("/usr/share/metainfo/org.inkseal.Inkseal.metainfo.xml").exists()

        home = tmp_path / "home"
        with virtual_screen() as display:
            app = make_app(["/usr/bin/inkseal"], home, display)
            app.start(images[:1])
            try:
                seconds = app.seconds_to_window()
                assert seconds < 30, seconds
                app.wait_for_titles(["morning sketch"])
                if display and shutil.which("xdotool"):
                    assert app.window_ids(), "no Inkseal window on the screen"
                second = app.open_more(images[1:])
                assert second.returncode == 0, second.stderr
                app.wait_for_titles(["evening", "morning sketch"])
                report = tmp_path / "report.pdf"
                app.cli("declare", "1", "--class", "human-made")
                app.cli("report", "1", "-o", str(report), "--no-sign")
                assert app.quit() == 0, app.output()
            finally:
                app.stop()
        assert "Traceback" not in app.output()

        from pypdf import PdfReader

        text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(report).pages)
        assert "morning sketch" in text
        assert (home / "Library" / "library.sqlite").exists()
    finally:
        remove = subprocess.run(["dpkg", "--purge", "inkseal"], capture_output=True, text=True)
    assert remove.returncode == 0, remove.stdout + remove.stderr
    # Nothing the package put down (or the app wrote beside itself) is left ...
    assert not Path("/opt/inkseal").exists()
    left = [p for p in files if p.exists() and not p.is_dir()]
    assert not left, left
    for folder in (Path("/usr/share/doc/inkseal"), Path("/opt/inkseal")):
        assert not folder.exists()
    # ... but the user's library is.
    assert (home / "Library" / "library.sqlite").exists()


def test_per_user_install_from_the_tarball(built: dict[str, Path], tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    with tarfile.open(built["tarball"]) as tar:
        tar.extractall(tmp_path / "unpacked", filter="tar")
    (top,) = (tmp_path / "unpacked").iterdir()
    env = {"HOME": str(home), "PATH": os.environ["PATH"]}
    result = subprocess.run(
        ["sh", str(top / "install.sh")], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    local = home / ".local"
    command = local / "bin" / "inkseal"
    version = subprocess.run([str(command), "--version"], capture_output=True, text=True)
    assert version.returncode == 0 and version.stdout.startswith("inkseal"), version.stderr
    desktop = (local / "share" / "applications" / "org.inkseal.Inkseal.desktop").read_text()
    assert f"Exec={local}/opt/inkseal/inkseal %F" in desktop
    assert (local / "share/icons/hicolor/48x48/apps/org.inkseal.Inkseal.png").exists()
    result = subprocess.run(
        ["sh", str(top / "install.sh"), "--uninstall"], env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    # Only the desktop's own cache of file types stays (rebuilt without Inkseal's).
    left = [p for p in local.rglob("*") if p.is_file() or p.is_symlink()]
    assert [p.name for p in left] in ([], ["mimeinfo.cache"]), left
    cache = local / "share" / "applications" / "mimeinfo.cache"
    assert not cache.exists() or "Inkseal" not in cache.read_text()
