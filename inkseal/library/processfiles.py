"""Process evidence (layered documents, timelapses): what a file is, judged by its content.

Bytes in, a frozen `ProcessFile` out. Nothing is written to disk and nothing is extracted: the
archives that Krita, OpenRaster and Procreate use are ZIP files, read here in memory and
defensively (bounded member count and sizes, streaming reads with a hard cap, no unsafe names,
no encrypted members, no exotic compression). Hostile input raises `ProcessFileError` with one
line for the user, and nothing else. Pillow is imported lazily, only to confirm that a preview
opens.
"""

from __future__ import annotations

import contextlib
import io
import lzma
import plistlib
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from inkseal.library.errors import InksealError

# --- limits -----------------------------------------------------------------------------------

MAX_MEMBERS = 10_000
# A member read for a preview (or as metadata) never yields more than this many bytes.
MAX_MEMBER_BYTES = 64 * 1024 * 1024
# The sum of the uncompressed sizes an archive declares.
MAX_ARCHIVE_BYTES = 8 * 1024 * 1024 * 1024
# Members declaring more than this are held to MAX_RATIO (uncompressed : compressed).
RATIO_FLOOR_BYTES = 1024 * 1024
MAX_RATIO = 200
# XML (maindoc.xml, stack.xml) and Procreate's Document.archive.
MAX_METADATA_BYTES = 4 * 1024 * 1024
# The mimetype member of Krita and OpenRaster files is a few bytes.
MAX_MIMETYPE_BYTES = 256
# Sizes in documents above this are not believed.
MAX_DIMENSION = 1_000_000

_READ_CHUNK = 1024 * 1024
# Only these are read: deflate decompresses with a bounded output per call. bzip2 and LZMA
# in zipfile expand a whole compressed chunk at once, so a streaming cap cannot bound them.
_READABLE_METHODS = frozenset({zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED})
_METHOD_NAMES = {
    zipfile.ZIP_BZIP2: "bzip2",
    zipfile.ZIP_LZMA: "LZMA",
    9: "deflate64",
    93: "Zstandard",
    95: "XZ",
    98: "PPMd",
    99: "AES",
}

# --- the result -------------------------------------------------------------------------------


class ProcessFileError(InksealError):
    """The file cannot be used as evidence; str(exc) is one line for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(_one_line(message))


@dataclass(frozen=True)
class ProcessFile:
    """What a process file is, its preview image, and what it says about the document."""

    kind: str  # krita | openraster | procreate | photoshop | clip-studio | video | other
    label: str  # human words, e.g. "Krita document"
    media_type: str
    extension: str  # for the content-addressed store, no dot
    preview: bytes | None  # bytes PIL.Image.open can open; None when there is none
    facts: dict[str, Any] = field(default_factory=dict)  # JSON-able
    warnings: tuple[str, ...] = ()


# --- magic numbers ----------------------------------------------------------------------------

_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_JPEG_MAGIC = b"\xff\xd8\xff"
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")
_EBML_MAGIC = b"\x1a\x45\xdf\xa3"

_IMAGE_BRANDS = {b"heic", b"heix", b"mif1", b"msf1", b"avif", b"avis", b"hevc"}
_MP4_BRANDS = {
    b"isom",
    b"iso2",
    b"iso3",
    b"iso4",
    b"iso5",
    b"iso6",
    b"mp41",
    b"mp42",
    b"avc1",
    b"M4V ",
    b"M4VH",
    b"M4VP",
    b"dash",
}
_QUICKTIME_BRAND = b"qt  "
# ISO-BMFF files that list "isom" among their brands but are not videos: Canon CR3 raw,
# MPEG-4 audio and audio books, JPEG 2000.
_NOT_VIDEO_BRANDS = {b"crx ", b"M4A ", b"M4B ", b"M4P ", b"F4A ", b"F4B ", b"jp2 ", b"jpx "}
# Sizes of the BITMAPINFOHEADER variants that follow a BMP file header.
_BMP_DIB_SIZES = {12, 16, 40, 52, 56, 64, 108, 124}

_VIDEOS = {
    "mp4": ("Video (MP4)", "video/mp4"),
    "mov": ("Video (QuickTime)", "video/quicktime"),
    "webm": ("Video (WebM)", "video/webm"),
    "mkv": ("Video (Matroska)", "video/x-matroska"),
}

_SAFE_EXTENSION = re.compile(r"[a-z0-9]{1,10}")
_DRIVE = re.compile(r"^[A-Za-z]:")
_SEGMENT = re.compile(r"video/segments/[^/]+\.mp4", re.IGNORECASE)
_NS_SIZE = re.compile(r"\{\s*(\d+(?:\.\d+)?)\s*,\s*(\d+(?:\.\d+)?)\s*\}")


# --- entry point ------------------------------------------------------------------------------


def identify_process_file(data: bytes, name: str) -> ProcessFile | None:
    """What process file `data` is, with a preview image when the file carries one.

    None when `data` is an ordinary image (JPEG, PNG, WebP, GIF, TIFF, BMP, HEIF, AVIF): the
    caller's image pipeline handles those. Anything unrecognised is a ProcessFile of kind
    "other" whose extension comes from `name`; `name` never decides the kind.

    Raises ProcessFileError (and nothing else) when the file is damaged or hostile: an archive
    that is truncated, encrypted, over the size or member limits, or has unsafe member names.
    """
    try:
        return _identify(bytes(data), name if isinstance(name, str) else "")
    except ProcessFileError:
        raise
    except Exception as exc:  # hostile input must never raise anything else
        raise ProcessFileError(f"cannot read this file ({_describe(exc)})") from exc


def is_plain_image(data: bytes) -> bool:
    """True when the first bytes are those of an image format the image pipeline reads."""
    head = data[:64]
    if head.startswith((_JPEG_MAGIC, _PNG_MAGIC, b"GIF87a", b"GIF89a")):
        return True
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return True
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return True
    if head.startswith(b"BM") and len(head) >= 18:
        return struct.unpack("<I", head[14:18])[0] in _BMP_DIB_SIZES
    return _isobmff_kind(data) == "image"


def _identify(data: bytes, name: str) -> ProcessFile | None:
    if data.startswith(b"8BPS"):
        return _photoshop(data)
    if data.startswith(b"CSFCHUNK"):
        return ProcessFile(
            kind="clip-studio",
            label="Clip Studio Paint file",
            media_type="application/x-clip-studio",
            extension="clip",
            preview=None,
        )
    if data.startswith(_ZIP_MAGICS):
        return _archive(data, name)
    if data.startswith(_EBML_MAGIC):
        return _video("webm" if _ebml_doctype(data) == "webm" else "mkv")
    if is_plain_image(data):
        return None
    bmff = _isobmff_kind(data)
    if bmff in ("mp4", "mov"):
        return _video(bmff)
    return _other(name)


def _video(extension: str) -> ProcessFile:
    label, media_type = _VIDEOS[extension]
    return ProcessFile(
        kind="video", label=label, media_type=media_type, extension=extension, preview=None
    )


def _other(name: str) -> ProcessFile:
    return ProcessFile(
        kind="other",
        label="File",
        media_type="application/octet-stream",
        extension=extension_from_name(name),
        preview=None,
    )


def extension_from_name(name: str) -> str:
    """A safe lower-case extension from a file name ([a-z0-9]{1,10}), else "bin"."""
    base = re.split(r"[/\\]", name)[-1]
    stem, dot, suffix = base.rpartition(".")
    suffix = suffix.lower()
    if dot and stem.strip(".") and _SAFE_EXTENSION.fullmatch(suffix):
        return suffix
    return "bin"


# --- ISO-BMFF and EBML ------------------------------------------------------------------------


def _isobmff_kind(data: bytes) -> str | None:
    """'image', 'mp4' or 'mov' from an ISO-BMFF ftyp box; None when there is no such box."""
    if len(data) < 12 or data[4:8] != b"ftyp":
        return None
    size = struct.unpack(">I", data[:4])[0]
    if size < 12 or size > 4096:
        return None
    major = data[8:12]
    if major in _IMAGE_BRANDS:
        return "image"
    if major == _QUICKTIME_BRAND:
        return "mov"
    if major in _MP4_BRANDS:
        return "mp4"
    brands = {data[i : i + 4] for i in range(16, min(size, len(data)) - 3, 4)}
    if brands & _IMAGE_BRANDS:
        return "image"
    if major in _NOT_VIDEO_BRANDS:
        return None
    if _QUICKTIME_BRAND in brands:
        return "mov"
    if brands & _MP4_BRANDS:
        return "mp4"
    return None


def _vint(data: bytes, pos: int, *, keep_marker: bool) -> tuple[int, int] | None:
    """An EBML variable-length integer at `pos`: (value, next position), or None."""
    if pos >= len(data) or data[pos] == 0:
        return None
    first = data[pos]
    length = 9 - first.bit_length()
    if pos + length > len(data):
        return None
    value = first if keep_marker else first & (0xFF >> length)
    for byte in data[pos + 1 : pos + length]:
        value = (value << 8) | byte
    return value, pos + length


def _ebml_doctype(data: bytes) -> str | None:
    """The DocType of an EBML header ("webm", "matroska"), or None when it cannot be read."""
    size = _vint(data, 4, keep_marker=False)
    if size is None:
        return None
    header_size, pos = size
    end = min(pos + header_size, len(data), 4096)
    while pos < end:
        ident = _vint(data, pos, keep_marker=True)
        if ident is None:
            return None
        element, pos = ident
        length = _vint(data, pos, keep_marker=False)
        if length is None:
            return None
        value_size, pos = length
        if element == 0x4282:  # DocType
            raw = data[pos : min(pos + value_size, end)]
            return raw.rstrip(b"\x00").decode("ascii", "replace").lower()
        pos += value_size
    return None


# --- Photoshop --------------------------------------------------------------------------------

_PSD_DEPTHS = {1, 8, 16, 32}
_PSD_MODES = {0, 1, 2, 3, 4, 7, 8, 9}


def _photoshop(data: bytes) -> ProcessFile:
    if len(data) < 26:
        raise ProcessFileError("not a valid Photoshop file: the header is cut short")
    version, channels, height, width, depth, mode = struct.unpack(">H6xHIIHH", data[4:26])
    if version not in (1, 2):
        raise ProcessFileError(f"not a valid Photoshop file: unknown version {version}")
    big = version == 2
    limit = 300_000 if big else 30_000
    if not 1 <= channels <= 56:
        raise ProcessFileError(f"not a valid Photoshop file: {channels} channels")
    if not (1 <= width <= limit and 1 <= height <= limit):
        raise ProcessFileError(f"not a valid Photoshop file: size {width} x {height}")
    if depth not in _PSD_DEPTHS or mode not in _PSD_MODES:
        raise ProcessFileError(
            f"not a valid Photoshop file: colour mode {mode} at {depth} bits per channel"
        )
    facts: dict[str, Any] = {"width": width, "height": height}
    layers = _psd_layer_count(data, big)
    if layers:
        facts["layers"] = layers
    warnings: list[str] = []
    preview: bytes | None = data
    if big:
        preview = None
        warnings.append("large-format Photoshop (PSB) files have no preview here")
    elif _pillow_size(data) is None:
        preview = None
        warnings.append("the composite image inside the Photoshop file cannot be read; no preview")
    return ProcessFile(
        kind="photoshop",
        label="Photoshop document",
        media_type="image/vnd.adobe.photoshop",
        extension="psb" if big else "psd",
        preview=preview,
        facts=facts,
        warnings=tuple(warnings),
    )


def _psd_layer_count(data: bytes, big: bool) -> int | None:
    """The layer count in the layer-info section, or None when there is none or it does not
    fit inside the file."""
    word, step = (">Q", 8) if big else (">I", 4)
    try:
        pos = 26
        for _section in ("colour mode data", "image resources"):
            (length,) = struct.unpack_from(">I", data, pos)
            pos += 4 + length
        (section,) = struct.unpack_from(word, data, pos)
        (info,) = struct.unpack_from(word, data, pos + step)
        (count,) = struct.unpack_from(">h", data, pos + 2 * step)
    except struct.error:
        return None
    if info < 2 or step + info > section or pos + step + section > len(data):
        return None
    # A negative count means the first alpha channel holds the merged transparency.
    return abs(int(count))


# --- ZIP-based documents ----------------------------------------------------------------------


@contextlib.contextmanager
def _archive_errors(what: str) -> Iterator[None]:
    """Turn the ways zipfile and its decompressors fail into one-line ProcessFileErrors."""
    try:
        yield
    except ProcessFileError:
        raise
    except zipfile.BadZipFile as exc:
        raise ProcessFileError(f"damaged archive: {what}: {_describe(exc)}") from exc
    except EOFError as exc:
        raise ProcessFileError(f"damaged archive: {what} is cut short") from exc
    except (zlib.error, lzma.LZMAError) as exc:
        raise ProcessFileError(f"damaged archive: {what} has corrupt compressed data") from exc
    except NotImplementedError as exc:
        raise ProcessFileError(f"unsupported archive: {what}: {_describe(exc)}") from exc
    except RuntimeError as exc:  # zipfile's "encrypted, password required"
        raise ProcessFileError(f"unreadable archive: {what}: {_describe(exc)}") from exc
    except (OSError, ValueError, struct.error, OverflowError, UnicodeError) as exc:
        raise ProcessFileError(f"damaged archive: {what}: {_describe(exc)}") from exc


class _Archive:
    """A ZIP archive that has passed the structural checks, read only through `read`."""

    def __init__(self, data: bytes) -> None:
        declared = _central_directory_count(data)
        if declared is not None and declared > MAX_MEMBERS:
            raise ProcessFileError(_too_many())
        with _archive_errors("the table of contents"):
            self.zip = zipfile.ZipFile(io.BytesIO(data))
            self.infos = self.zip.infolist()
        if len(self.infos) > MAX_MEMBERS:
            raise ProcessFileError(_too_many())
        total = 0
        self.by_name: dict[str, list[zipfile.ZipInfo]] = {}
        for info in self.infos:
            for member_name in {info.filename, info.orig_filename}:
                if not _safe_member_name(member_name):
                    raise ProcessFileError(f"unsafe path in archive: {_display(member_name)}")
            if info.flag_bits & 0x1:
                raise ProcessFileError(
                    f"encrypted member in archive: {_display(info.filename)} "
                    "(encrypted files cannot be checked)"
                )
            total += info.file_size
            self.by_name.setdefault(info.filename, []).append(info)
        if total > MAX_ARCHIVE_BYTES:
            raise ProcessFileError(
                f"refused as a zip bomb: the archive would expand to {_human(total)}"
            )

    def find(self, name: str) -> zipfile.ZipInfo | None:
        found = self.by_name.get(name)
        if not found:
            return None
        if len(found) > 1:
            raise ProcessFileError(
                f"ambiguous archive: it holds {len(found)} members named {_display(name)}"
            )
        return found[0]

    def read(self, info: zipfile.ZipInfo, cap: int) -> bytes:
        """The member's bytes, refusing anything that is or could become larger than `cap`."""
        shown = _display(info.filename)
        method = info.compress_type
        if method not in _READABLE_METHODS:
            method_name = _METHOD_NAMES.get(method, f"method {method}")
            raise ProcessFileError(
                f"unsupported compression in archive: {shown} uses {method_name}"
            )
        size, packed = info.file_size, info.compress_size
        absurd = size > RATIO_FLOOR_BYTES and size > MAX_RATIO * max(packed, 1)
        if absurd:
            raise ProcessFileError(
                f"refused as a zip bomb: {shown} would expand to {_human(size)} "
                f"from {_human(packed)}"
            )
        if size > cap:
            raise ProcessFileError(
                f"refused: {shown} would expand to {_human(size)}, over the {_human(cap)} limit"
            )
        chunks: list[bytes] = []
        got = 0
        with _archive_errors(shown), self.zip.open(info) as stream:
            # The header may lie: read in bounded steps and stop one byte past the cap.
            while got <= cap:
                chunk = stream.read(min(_READ_CHUNK, cap + 1 - got))
                if not chunk:
                    break
                chunks.append(chunk)
                got += len(chunk)
        if got > cap:
            raise ProcessFileError(
                f"refused as a zip bomb: {shown} expands past {_human(cap)} "
                f"although its header says {_human(size)}"
            )
        return b"".join(chunks)


def _too_many() -> str:
    return f"refused: the archive has more than {MAX_MEMBERS:,} members"


def _central_directory_count(data: bytes) -> int | None:
    """How many entries zipfile will find in the central directory, counting no further than
    one past MAX_MEMBERS, so that a huge directory is refused before zipfile builds it.

    None when the end record cannot be found; zipfile then reports the damage itself.
    """
    end = len(data) - 22
    if end < 0:
        return None
    if data[end : end + 4] != b"PK\x05\x06":
        end = data.rfind(b"PK\x05\x06", max(0, len(data) - 22 - 0xFFFF))
        if end < 0 or end + 22 > len(data):
            return None
    cd_size = struct.unpack_from("<I", data, end + 12)[0]
    start = end - cd_size
    locator = end - 20
    if locator >= 56 and data[locator : locator + 4] == b"PK\x06\x07":
        record = locator - 56
        if data[record : record + 4] == b"PK\x06\x06":
            cd_size = struct.unpack_from("<Q", data, record + 40)[0]
            start = record - cd_size
    if start < 0:
        return None
    count, pos = 0, start
    stop = min(start + cd_size, len(data))
    while pos + 46 <= stop and count <= MAX_MEMBERS:
        if data[pos : pos + 4] != b"PK\x01\x02":
            break
        name_len, extra_len, comment_len = struct.unpack_from("<3H", data, pos + 28)
        pos += 46 + name_len + extra_len + comment_len
        count += 1
    return count


def _safe_member_name(name: str) -> bool:
    if "\x00" in name:
        return False
    normal = name.replace("\\", "/")
    if normal.startswith("/") or _DRIVE.match(normal):
        return False
    return ".." not in normal.split("/")


def _archive(data: bytes, name: str) -> ProcessFile:
    archive = _Archive(data)
    mimetype = _mimetype(archive)
    if mimetype == "application/x-krita":
        return _krita(archive)
    if mimetype == "image/openraster":
        return _openraster(archive)
    if archive.find("Document.archive") is not None:
        return _procreate(archive)
    return _other(name)


def _mimetype(archive: _Archive) -> str | None:
    if not archive.infos or archive.infos[0].filename != "mimetype":
        return None
    info = archive.infos[0]
    if info.file_size > MAX_MIMETYPE_BYTES:
        return None
    raw = archive.read(info, MAX_MIMETYPE_BYTES)
    return raw.decode("ascii", "replace").strip()


class _Evidence:
    """Facts and warnings gathered while a document is read."""

    def __init__(self) -> None:
        self.facts: dict[str, Any] = {}
        self.warnings: list[str] = []

    def preview(
        self, archive: _Archive, candidates: Sequence[tuple[str, str | None]], what: str
    ) -> bytes | None:
        """The first candidate member present, if it is a PNG or JPEG that Pillow can open.

        Each candidate comes with the warning to give when it is used (a fallback), or None.
        """
        for candidate, fallback_note in candidates:
            info = archive.find(candidate)
            if info is None:
                continue
            if fallback_note:
                self.warnings.append(fallback_note)
            raw = archive.read(info, MAX_MEMBER_BYTES)
            shown = _display(candidate)
            if not raw.startswith((_PNG_MAGIC, _JPEG_MAGIC)):
                self.warnings.append(
                    f"{shown} inside the {what} is not a PNG or JPEG image; no preview"
                )
                return None
            if _pillow_size(raw) is None:
                self.warnings.append(f"{shown} inside the {what} cannot be read; no preview")
                return None
            return raw
        noun = "thumbnail" if what == "Procreate file" else "merged image"
        self.warnings.append(f"the {noun} inside the {what} is missing; no preview")
        return None

    def size(self, width: object, height: object) -> bool:
        """Record the document size when both values are sensible whole numbers."""
        try:
            w = int(float(str(width)))
            h = int(float(str(height)))
        except (TypeError, ValueError, OverflowError):
            return False
        if not (0 < w <= MAX_DIMENSION and 0 < h <= MAX_DIMENSION):
            return False
        self.facts["width"] = w
        self.facts["height"] = h
        return True

    def metadata(self, archive: _Archive, member: str, what: str) -> bytes | None:
        """A metadata member's bytes, or None (with a warning) when missing or too large."""
        info = archive.find(member)
        if info is None:
            self.warnings.append(f"{member} is missing from the {what}; document size unknown")
            return None
        if info.file_size > MAX_METADATA_BYTES:
            self.warnings.append(
                f"{member} in the {what} is over {_human(MAX_METADATA_BYTES)}; "
                "document size unknown"
            )
            return None
        return archive.read(info, MAX_METADATA_BYTES)


def _krita(archive: _Archive) -> ProcessFile:
    what = "Krita file"
    ev = _Evidence()
    fallback = f"the merged image inside the {what} is missing; using its small preview"
    preview = ev.preview(archive, [("mergedimage.png", None), ("preview.png", fallback)], what)
    xml = ev.metadata(archive, "maindoc.xml", what)
    if xml is not None:
        found = _scan_xml(xml, size_tag="IMAGE", size_attrs=("width", "height"))
        if isinstance(found, str):
            ev.warnings.append(f"maindoc.xml in the {what} {found}; document size unknown")
        else:
            (width, height), layers = found
            if not ev.size(width, height):
                ev.warnings.append(f"maindoc.xml in the {what} gives no usable document size")
            ev.facts["layers"] = layers
    return ProcessFile(
        kind="krita",
        label="Krita document",
        media_type="application/x-krita",
        extension="kra",
        preview=preview,
        facts=ev.facts,
        warnings=tuple(ev.warnings),
    )


def _openraster(archive: _Archive) -> ProcessFile:
    what = "OpenRaster file"
    ev = _Evidence()
    fallback = f"the merged image inside the {what} is missing; using its thumbnail"
    candidates = [("mergedimage.png", None), ("Thumbnails/thumbnail.png", fallback)]
    preview = ev.preview(archive, candidates, what)
    xml = ev.metadata(archive, "stack.xml", what)
    if xml is not None:
        found = _scan_xml(xml, size_tag="image", size_attrs=("w", "h"))
        if isinstance(found, str):
            ev.warnings.append(f"stack.xml in the {what} {found}; document size unknown")
        else:
            (width, height), layers = found
            if not ev.size(width, height):
                ev.warnings.append(f"stack.xml in the {what} gives no usable document size")
            ev.facts["layers"] = layers
    return ProcessFile(
        kind="openraster",
        label="OpenRaster document",
        media_type="image/openraster",
        extension="ora",
        preview=preview,
        facts=ev.facts,
        warnings=tuple(ev.warnings),
    )


def _procreate(archive: _Archive) -> ProcessFile:
    what = "Procreate file"
    ev = _Evidence()
    candidates = [("QuickLook/Thumbnail.png", None), ("QuickLook/Thumbnail.jpg", None)]
    preview = ev.preview(archive, candidates, what)
    ev.facts["timelapse_segments"] = sum(
        1 for info in archive.infos if _SEGMENT.fullmatch(info.filename)
    )
    raw = ev.metadata(archive, "Document.archive", what)
    if raw is not None:
        found = _procreate_document(raw)
        if found is None:
            ev.warnings.append(f"Document.archive in the {what} cannot be read; size unknown")
        else:
            size, layers = found
            if size is not None:
                ev.size(*size)
            if layers is not None:
                ev.facts["layers"] = layers
    return ProcessFile(
        kind="procreate",
        label="Procreate document",
        media_type="application/x-procreate",
        extension="procreate",
        preview=preview,
        facts=ev.facts,
        warnings=tuple(ev.warnings),
    )


# --- metadata inside the archives -------------------------------------------------------------


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _scan_xml(
    xml: bytes, *, size_tag: str, size_attrs: tuple[str, str]
) -> tuple[tuple[str | None, str | None], int] | str:
    """((width, height) of the first `size_tag` element, number of <layer> elements), or a
    short reason the XML was refused. Streams the document and drops elements as it goes."""
    import defusedxml
    from defusedxml import ElementTree

    size: tuple[str | None, str | None] | None = None
    layers = 0
    try:
        for event, elem in ElementTree.iterparse(
            io.BytesIO(xml), events=("start", "end"), forbid_entities=True, forbid_external=True
        ):
            if event == "end":
                elem.clear()
                continue
            local = _local(elem.tag)
            if local == "layer":
                layers += 1
            elif size is None and local == size_tag:
                size = (elem.get(size_attrs[0]), elem.get(size_attrs[1]))
    except defusedxml.DefusedXmlException as exc:
        return f"was refused ({type(exc).__name__})"
    except Exception:  # ParseError and whatever expat makes of hostile bytes
        return "is not well-formed XML"
    return (size or (None, None)), layers


def _procreate_document(raw: bytes) -> tuple[tuple[str, str] | None, int | None] | None:
    """(canvas size, layer count) from Document.archive (an NSKeyedArchiver binary plist);
    None when it cannot be parsed. Either part is None when the archive does not hold it."""
    try:
        plist = plistlib.loads(raw, fmt=plistlib.FMT_BINARY)
    except Exception:  # plistlib raises a variety of errors on bad input
        return None
    if not isinstance(plist, dict):
        return None
    objects = plist.get("$objects")
    top = plist.get("$top")
    if not isinstance(objects, list) or not isinstance(top, dict):
        return None

    def deref(value: object) -> object:
        if isinstance(value, plistlib.UID) and 0 <= value.data < len(objects):
            return objects[value.data]
        return value

    root = deref(top.get("root"))
    if not isinstance(root, dict):
        return None
    size: tuple[str, str] | None = None
    text = deref(root.get("size"))
    if isinstance(text, str) and len(text) < 100:
        match = _NS_SIZE.fullmatch(text.strip())
        if match:
            size = (match.group(1), match.group(2))
    layers: int | None = None
    holder = deref(root.get("layers"))
    if isinstance(holder, dict) and isinstance(holder.get("NS.objects"), list):
        layers = len(holder["NS.objects"])
    return size, layers


# --- helpers ----------------------------------------------------------------------------------


def _pillow_size(data: bytes) -> tuple[int, int] | None:
    """The size Pillow reads from the image's header, or None when Pillow cannot open it."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
    except Exception:  # Pillow raises many types on bad input, bombs included
        return None
    return int(width), int(height)


def _human(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            if unit == "bytes":
                return f"{size} bytes"
            text = f"{value:.1f}".removesuffix(".0")
            return f"{text} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def _display(name: str, limit: int = 80) -> str:
    """A member name made safe to show on one line."""
    shown = "".join(ch if ch.isprintable() else "?" for ch in name)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def _one_line(text: str, limit: int = 300) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _describe(exc: BaseException) -> str:
    message = _one_line(str(exc), 120)
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__
