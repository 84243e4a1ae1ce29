"""Real image files made on the spot for tests."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, PngImagePlugin


def gradient(size: tuple[int, int] = (64, 48), mode: str = "RGB", seed: int = 0) -> Image.Image:
    """A non-uniform picture (so that different seeds give different bytes)."""
    w, h = size
    img = Image.new("RGB", size)
    px = img.load()
    assert px is not None
    for y in range(h):
        for x in range(w):
            px[x, y] = ((x * 4 + seed * 7) % 256, (y * 5 + seed * 3) % 256, (x + y + seed) % 256)
    return img.convert(mode) if mode != "RGB" else img


def save(img: Image.Image, path: Path, fmt: str, **kw: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path, fmt, **kw)
    return path


def png_with_text(path: Path, seed: int = 0, **text: str) -> Path:
    info = PngImagePlugin.PngInfo()
    for k, v in text.items():
        info.add_text(k, v)
    return save(gradient(seed=seed), path, "PNG", pnginfo=info)


def jpeg_bytes(
    seed: int = 0, size: tuple[int, int] = (64, 48), exif: Image.Exif | None = None
) -> bytes:
    out = io.BytesIO()
    kw: dict[str, object] = {"quality": 90}
    if exif is not None:
        kw["exif"] = exif
    gradient(size, seed=seed).save(out, "JPEG", **kw)
    return out.getvalue()


def kra_file(path: Path, seed: int = 4, size: tuple[int, int] = (60, 40)) -> Path:
    """A minimal Krita document: a ZIP with its mimetype first and a merged image."""
    import zipfile

    buf = io.BytesIO()
    gradient(size, seed=seed).save(buf, "PNG")
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("mimetype", "application/x-krita", compress_type=zipfile.ZIP_STORED)
        z.writestr("mergedimage.png", buf.getvalue())
    return path
