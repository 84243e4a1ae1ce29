"""Decoding images and making thumbnails (Pillow, imported lazily)."""

from __future__ import annotations

import io
import threading
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL import Image

THUMB_SIDE = 512
# Pillow refuses images over twice this many pixels as decompression bombs. 256 Mpx covers
# the largest real artwork scans (e.g. 16k x 16k) while refusing files that declare billions.
MAX_PIXELS = 256_000_000

_setup_lock = threading.Lock()
_setup_done = False


class DecodeError(Exception):
    """The image's pixels cannot be read; the message says why, in one line."""


def setup_pillow() -> None:
    """Register the HEIF opener and set Pillow's safety limits (once per process)."""
    global _setup_done
    with _setup_lock:
        if _setup_done:
            return
        from PIL import Image, ImageFile

        Image.MAX_IMAGE_PIXELS = MAX_PIXELS // 2
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        try:
            import pillow_heif

            pillow_heif.register_heif_opener()
        except ImportError:  # pragma: no cover - a declared dependency
            pass
        # Large-but-allowed images and malformed MPO headers warn; they are not errors here.
        warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)
        warnings.filterwarnings("ignore", message="Image appears to be a malformed MPO file")
        warnings.filterwarnings("ignore", message=".*Corrupt EXIF data.*")
        warnings.filterwarnings("ignore", message=".*Possibly corrupt EXIF.*")
        warnings.filterwarnings("ignore", message="Tag data larger than file")
        warnings.filterwarnings("ignore", message=".*Palette images with Transparency.*")
        _setup_done = True


@dataclass(frozen=True)
class Decoded:
    width: int
    height: int
    frames: int
    orientation: int
    thumbnail: bytes
    thumbnail_ext: str  # "jpg", or "webp" where transparency must survive
    warnings: tuple[str, ...] = ()
    # A difference hash of the oriented picture, for "similar to work N"; None when the
    # picture is too flat to tell apart from others.
    perceptual_hash: str | None = None


def _without_text_chunks(data: bytes) -> bytes:
    """The PNG `data` with its tEXt, zTXt and iTXt chunks left out."""
    from inkseal.library.pngchunks import PNG_SIGNATURE, iter_chunks

    parts = [PNG_SIGNATURE]
    for chunk in iter_chunks(data):
        if chunk.type not in ("tEXt", "zTXt", "iTXt"):
            parts.append(data[chunk.offset : chunk.offset + chunk.length + 12])
    return b"".join(parts)


def open_image(data: bytes) -> Image.Image:
    """Open (but do not decode) an image held in memory."""
    setup_pillow()
    from PIL import Image, UnidentifiedImageError

    try:
        try:
            return Image.open(io.BytesIO(data))
        except ValueError as exc:
            # Pillow refuses a whole PNG over one text chunk that inflates past its limit (a
            # zTXt bomb, or a huge prompt). The pixels are fine: open them without the text,
            # which Inkseal's own reader takes, cut to its limits.
            if "too large" not in str(exc).lower() or not data.startswith(b"\x89PNG"):
                raise
            return Image.open(io.BytesIO(_without_text_chunks(data)))
    except Image.DecompressionBombError as exc:
        raise DecodeError(f"refused as a decompression bomb: {_bomb_detail(exc)}") from exc
    except UnidentifiedImageError as exc:
        raise DecodeError("not a readable image (its structure is damaged)") from exc
    except (OSError, ValueError, TypeError, SyntaxError, EOFError) as exc:
        raise DecodeError(f"not a readable image: {_one_line(exc)}") from exc


def _bomb_detail(exc: Exception) -> str:
    text = str(exc)
    if "Image size (" in text:
        return text.split("(")[1].split(")")[0] + " declared"
    return _one_line(exc)


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:300]


_TRANSPOSE = {2: 0, 3: 3, 4: 1, 5: 5, 6: 4, 7: 6, 8: 2}  # EXIF orientation -> Image.Transpose


def _orientation(img: Image.Image) -> int:
    try:
        value = img.getexif().get(0x0112, 1)
    except Exception:  # metadata is untrusted; a broken EXIF block must not stop the import
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


MAX_FRAMES_CHECKED = 5000


def _count_frames(img: Image.Image, problems: list[str]) -> int:
    """The number of frames or pages, after checking each one's declared size.

    A later frame may declare a size far beyond the first (a decompression bomb hidden in
    an animation): that refuses the file. Other damage in later frames is a warning.
    """
    from PIL import Image

    try:
        n = max(int(getattr(img, "n_frames", 1)), 1)
    except Image.DecompressionBombError:
        raise
    except Exception as exc:
        problems.append(f"frames could not be counted ({_one_line(exc)})")
        return 1
    if n > 1:
        for i in range(1, min(n, MAX_FRAMES_CHECKED)):
            try:
                img.seek(i)
            except Image.DecompressionBombError as exc:
                raise DecodeError(
                    f"refused as a decompression bomb: frame {i + 1} has {_bomb_detail(exc)}"
                ) from exc
            except Exception as exc:
                problems.append(f"frame {i + 1} of {n} cannot be read ({_one_line(exc)})")
                break
        img.seek(0)
    return n


def decode(img: Image.Image, max_side: int = THUMB_SIDE) -> Decoded:
    """Decode the first frame of `img` at reduced size and make its thumbnail.

    Width and height are the stored pixel size of the full image. The thumbnail has the
    EXIF orientation applied and its long side at most `max_side`.
    """
    from PIL import Image

    problems: list[str] = []
    width, height = img.size
    if width <= 0 or height <= 0:
        raise DecodeError("the image declares a zero width or height")
    try:
        frames = _count_frames(img, problems)
        if img.format == "JPEG" or img.format == "MPO":
            # Let libjpeg decode at 1/2, 1/4 or 1/8 scale: most of the cost of a big JPEG.
            img.draft("RGB", (max_side, max_side))
        # Decode before anything else touches the pixels: some readers (PNG's getexif)
        # load the image themselves and a failure there must not be swallowed.
        img.load()
        orientation = _orientation(img)
        thumb = _thumbnail(img, max_side)
        if orientation != 1:
            thumb = thumb.transpose(Image.Transpose(_TRANSPOSE[orientation]))
        phash = _picture_hash(thumb)
        out = io.BytesIO()
        if thumb.mode == "RGBA":
            thumb.save(out, "WEBP", quality=80, method=0)
            ext = "webp"
        else:
            thumb.save(out, "JPEG", quality=85)
            ext = "jpg"
    except Image.DecompressionBombError as exc:
        raise DecodeError(f"refused as a decompression bomb: {_bomb_detail(exc)}") from exc
    except MemoryError as exc:
        raise DecodeError("too large to decode in memory") from exc
    except (OSError, ValueError, TypeError, SyntaxError, EOFError, IndexError, KeyError) as exc:
        raise DecodeError(_decode_reason(exc)) from exc
    except Exception as exc:  # codecs' own errors (libavif's RuntimeError, found by fuzzing)
        raise DecodeError(_decode_reason(exc)) from exc
    return Decoded(width, height, frames, orientation, out.getvalue(), ext, tuple(problems), phash)


def _thumbnail(img: Image.Image, max_side: int) -> Image.Image:
    """A new RGB or RGBA image at most `max_side` long, `img` left as it is."""
    from PIL import Image

    if img.mode in ("RGB", "RGBA"):
        # Straight from the decoded pixels: no full-size copy first.
        w, h = img.size
        scale = min(1.0, max_side / max(w, h))
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        if size == img.size:
            return img.copy()
        return img.resize(size, Image.Resampling.LANCZOS, reducing_gap=2.0)
    thumb = _to_display_mode(img)
    thumb.thumbnail((max_side, max_side), Image.Resampling.LANCZOS, reducing_gap=2.0)
    return thumb


def _picture_hash(img: Image.Image) -> str | None:
    """The perceptual hash, or None: it is a hint and must never fail an import."""
    from inkseal.library.phash import perceptual_hash

    try:
        return perceptual_hash(img)
    except Exception:
        return None


def _decode_reason(exc: BaseException) -> str:
    text = _one_line(exc)
    low = text.lower()
    if "truncated" in low or "end of file" in low or "eof" in low:
        return f"the file is truncated: its image data ends early ({text})"
    return f"the image data cannot be decoded: {text}"


def _to_display_mode(img: Image.Image) -> Image.Image:
    """An RGB or RGBA copy of `img` suitable for a thumbnail."""
    mode = img.mode
    if mode in ("RGB", "RGBA"):
        return img.copy() if mode == "RGBA" else img.convert("RGB")
    if mode.startswith("I;16") or mode == "I":
        # 16-bit and 32-bit integer greyscale: scale into 8 bits instead of clipping.
        if mode.startswith("I;16"):
            top = 65535
        else:
            extrema = img.getextrema()
            high = extrema[1] if isinstance(extrema, tuple) else 1
            top = max(1, int(high)) if isinstance(high, int | float) else 1
        return img.convert("I").point(lambda v: v * (255 / top)).convert("L").convert("RGB")
    if mode == "F":
        return img.convert("L").convert("RGB")
    has_alpha = (
        mode in ("LA", "PA", "La", "RGBa")
        or (mode == "P" and "transparency" in img.info)
        or (mode in ("L", "RGB") and "transparency" in img.info)
    )
    return img.convert("RGBA" if has_alpha else "RGB")
