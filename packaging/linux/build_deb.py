"""Build the Debian package and the per-user tarball from the PyInstaller bundle.

    python packaging/linux/build_deb.py BUNDLE_DIR OUT_DIR

BUNDLE_DIR is PyInstaller's one-folder build (`dist/inkseal`, see packaging/inkseal.spec).
Writes OUT_DIR/inkseal_<version>_<arch>.deb, which installs

    /opt/inkseal/                                  the bundle
    /usr/bin/inkseal                               the launcher (a link into /opt/inkseal)
    /usr/share/applications/org.inkseal.Inkseal.desktop
    /usr/share/metainfo/org.inkseal.Inkseal.metainfo.xml
    /usr/share/icons/hicolor/*/apps/org.inkseal.Inkseal.{png,svg}
    /usr/share/doc/inkseal/copyright

and OUT_DIR/inkseal-<version>-linux-<arch>.tar.gz, whose install.sh puts the same under
~/.local without root. Needs dpkg-deb (Debian's dpkg) and, for the glibc requirement,
objdump (binutils).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tarfile
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
APP_ID = "org.inkseal.Inkseal"

# What the bundle takes from the system rather than carrying itself: OpenGL/EGL (drivers are
# the system's), the X11 and Wayland client libraries Qt's xcb plugin links to, fontconfig
# (its configuration is the system's). A CJK font is recommended so that Chinese, Japanese and
# Korean titles show in the window and the reports.
DEPENDS = [
    "libgl1",
    "libegl1",
    "libfontconfig1",
    "libfreetype6",
    "libx11-6",
    "libx11-xcb1",
    "libxkbcommon0",
    "libxkbcommon-x11-0",
    "libxcb-cursor0",
    "libxcb-icccm4",
    "libxcb-keysyms1",
    "libxcb-image0",
    "libxcb-render-util0",
    "libxcb-shape0",
    "libxcb-randr0",
    "libdbus-1-3",
]
RECOMMENDS = ["fonts-noto-cjk", "fonts-dejavu-core"]

POSTINST = """#!/bin/sh
set -e
# Let the desktop see the new launcher, its file types and its icon at once.
if command -v update-desktop-database >/dev/null 2>&1; then
    update-desktop-database -q /usr/share/applications || true
fi
if command -v gtk-update-icon-cache >/dev/null 2>&1; then
    gtk-update-icon-cache -q -t -f /usr/share/icons/hicolor || true
fi
exit 0
"""

# The library and preferences live in the user's home folder and are never touched here.
POSTRM = POSTINST.replace("the new launcher, its file types and its icon", "that it is gone")

COPYRIGHT = """Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: Inkseal
Source: https://github.com/inkseal/inkseal

Files: *
Copyright: Inkseal contributors
License: MIT

Files: opt/inkseal/_internal/*
Comment: Python, Qt (PySide6, LGPL-3), Pillow, SQLAlchemy, c2pa-python, pyHanko,
 cryptography and the other libraries listed in the bundle, each under its own licence.
"""

INSTALL_SH = r"""#!/bin/sh
# Install Inkseal for this user only (no root): the app under ~/.local/opt/inkseal, the
# command in ~/.local/bin, the launcher and icons where the desktop looks for them.
# ./install.sh --uninstall takes it all away again (your library stays).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
data=${XDG_DATA_HOME:-$HOME/.local/share}
prefix=$HOME/.local
app=$prefix/opt/inkseal
if [ "${1:-}" = "--uninstall" ]; then
    rm -rf "$app"
    rm -f "$prefix/bin/inkseal" "$data/applications/@ID@.desktop" \
        "$data/metainfo/@ID@.metainfo.xml"
    find "$data/icons/hicolor" -name '@ID@.*' -delete 2>/dev/null || true
    command -v update-desktop-database >/dev/null 2>&1 && \
        update-desktop-database -q "$data/applications" || true
    echo "Inkseal removed. Your library was not touched."
    exit 0
fi
mkdir -p "$prefix/opt" "$prefix/bin" "$data/applications" "$data/metainfo" "$data/icons"
rm -rf "$app.new"
cp -R "$here/inkseal" "$app.new"
rm -rf "$app"
mv "$app.new" "$app"
ln -sf "$app/inkseal" "$prefix/bin/inkseal"
sed "s|^Exec=inkseal|Exec=$app/inkseal|; s|^TryExec=inkseal|TryExec=$app/inkseal|" \
    "$here/@ID@.desktop" > "$data/applications/@ID@.desktop"
cp "$here/@ID@.metainfo.xml" "$data/metainfo/"
cp -R "$here/hicolor" "$data/icons/"
command -v update-desktop-database >/dev/null 2>&1 && \
    update-desktop-database -q "$data/applications" || true
echo "Inkseal installed: start it from your applications menu, or run $prefix/bin/inkseal"
""".replace("@ID@", APP_ID)


def version() -> str:
    return str(tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["version"])


def architecture() -> str:
    return subprocess.run(
        ["dpkg", "--print-architecture"], check=True, capture_output=True, text=True
    ).stdout.strip()


def glibc_needed(bundle: Path) -> str | None:
    """The newest GLIBC_x.y symbol version any ELF file in the bundle asks for."""
    if shutil.which("objdump") is None:
        return None
    newest: tuple[int, ...] = ()
    for path in bundle.rglob("*"):
        if not path.is_file() or path.is_symlink():
            continue
        with path.open("rb") as f:
            if f.read(4) != b"\x7fELF":
                continue
        out = subprocess.run(
            ["objdump", "-T", str(path)], capture_output=True, text=True, check=False
        ).stdout
        for m in re.finditer(r"GLIBC_(\d+(?:\.\d+)+)", out):
            newest = max(newest, tuple(int(x) for x in m.group(1).split(".")))
    return ".".join(map(str, newest)) if newest else None


def _icons(out: Path) -> Path:
    sys.path.insert(0, str(ROOT / "packaging"))
    from make_icons import make_icons

    make_icons(out)
    return out / "hicolor"


def _tree_size_kib(path: Path) -> int:
    total = 0
    for p in path.rglob("*"):
        if p.is_file() and not p.is_symlink():
            total += p.stat().st_size
    return (total + 1023) // 1024


def build_deb(bundle: Path, out: Path, work: Path) -> Path:
    ver, arch = version(), architecture()
    stage = work / "deb"
    shutil.rmtree(stage, ignore_errors=True)
    (stage / "DEBIAN").mkdir(parents=True)
    shutil.copytree(bundle, stage / "opt" / "inkseal", symlinks=True)
    (stage / "usr" / "bin").mkdir(parents=True)
    os.symlink("/opt/inkseal/inkseal", stage / "usr" / "bin" / "inkseal")
    share = stage / "usr" / "share"
    (share / "applications").mkdir(parents=True)
    shutil.copy(HERE / f"{APP_ID}.desktop", share / "applications")
    (share / "metainfo").mkdir()
    shutil.copy(HERE / f"{APP_ID}.metainfo.xml", share / "metainfo")
    shutil.copytree(_icons(work / "icons"), share / "icons" / "hicolor")
    (share / "doc" / "inkseal").mkdir(parents=True)
    (share / "doc" / "inkseal" / "copyright").write_text(COPYRIGHT, "utf-8")

    depends = list(DEPENDS)
    glibc = glibc_needed(bundle)
    if glibc:
        depends.insert(0, f"libc6 (>= {glibc})")
    control = "\n".join(
        [
            "Package: inkseal",
            f"Version: {ver}",
            f"Architecture: {arch}",
            "Maintainer: Inkseal contributors <inkseal@example.org>",
            f"Installed-Size: {_tree_size_kib(stage)}",
            f"Depends: {', '.join(depends)}",
            f"Recommends: {', '.join(RECOMMENDS)}",
            "Section: graphics",
            "Priority: optional",
            "Homepage: https://github.com/inkseal/inkseal",
            "Description: artwork library with an honest record of how each work was made",
            " Inkseal keeps a local library of an artist's works with a checkable record of",
            " how each was made: by hand, with AI assistance, or generated by AI. It reads",
            " generator parameters, Content Credentials (C2PA) and IPTC source types from the",
            " files, and exports signed PDF provenance reports.",
            "",
        ]
    )
    (stage / "DEBIAN" / "control").write_text(control, "utf-8")
    for name, text in (("postinst", POSTINST), ("postrm", POSTRM)):
        script = stage / "DEBIAN" / name
        script.write_text(text, "utf-8")
        script.chmod(0o755)
    for p in [stage, *stage.rglob("*")]:
        if p.is_dir() and not p.is_symlink():
            p.chmod(0o755)
    out.mkdir(parents=True, exist_ok=True)
    deb = out / f"inkseal_{ver}_{arch}.deb"
    subprocess.run(
        ["dpkg-deb", "--root-owner-group", "-Zxz", "--build", str(stage), str(deb)],
        check=True,
        capture_output=True,
    )
    return deb


def build_tarball(bundle: Path, out: Path, work: Path) -> Path:
    ver, arch = version(), architecture()
    top = f"inkseal-{ver}"
    tarball = out / f"inkseal-{ver}-linux-{arch}.tar.gz"
    icons = _icons(work / "icons")
    install = work / "install.sh"
    install.write_text(INSTALL_SH, "utf-8")
    install.chmod(0o755)

    def owned_by_root(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        return info

    with tarfile.open(tarball, "w:gz", compresslevel=6) as tar:
        tar.add(bundle, arcname=f"{top}/inkseal", filter=owned_by_root)
        tar.add(icons, arcname=f"{top}/hicolor", filter=owned_by_root)
        tar.add(install, arcname=f"{top}/install.sh", filter=owned_by_root)
        for name in (f"{APP_ID}.desktop", f"{APP_ID}.metainfo.xml"):
            tar.add(HERE / name, arcname=f"{top}/{name}", filter=owned_by_root)
    return tarball


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    bundle, out = Path(argv[0]).resolve(), Path(argv[1]).resolve()
    if not (bundle / "inkseal").is_file():
        print(f"{bundle} holds no PyInstaller bundle (run `make package`)", file=sys.stderr)
        return 1
    work = out / "work"
    deb = build_deb(bundle, out, work)
    tarball = build_tarball(bundle, out, work)
    shutil.rmtree(work, ignore_errors=True)
    for path in (deb, tarball):
        print(f"{path}  {path.stat().st_size / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
