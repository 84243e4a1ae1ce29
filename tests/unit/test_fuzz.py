"""Fuzzing every reader of untrusted bytes with hypothesis.

Each target is fed real files with random damage (bytes overwritten, cut short, chunks
repeated, lengths lied about) and plain random bytes behind real magic numbers. A target may
refuse a file only with its own error type (ReadError, DecodeError, ProcessFileError); any
other exception, or a hang, is a bug.

The suite runs a short round (INKSEAL_FUZZ_EXAMPLES, default 60 a target); `make fuzz` runs
thousands with a fixed time budget and prints what it tried.
"""

from __future__ import annotations

import contextlib
import io
import os
import zipfile
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import PngImagePlugin

from inkseal.library.imaging import DecodeError, decode
from inkseal.library.pngchunks import text_chunks
from inkseal.library.probe import RawFile, ReadError, probe_file
from inkseal.library.processfiles import ProcessFileError, identify_process_file
from tests.conftest import CORPUS
from tests.images import gradient

EXAMPLES = int(os.environ.get("INKSEAL_FUZZ_EXAMPLES", "60"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=os.environ.get("INKSEAL_FUZZ_RANDOM") is None,
)


@cache
def seeds() -> tuple[bytes, ...]:
    """Small valid files of every kind the readers take, metadata included."""
    out = []
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", "a crane\nNegative prompt: blur\nSteps: 20, Seed: 1, Model: x")
    info.add_itxt("XML:com.adobe.xmp", '<x:xmpmeta xmlns:x="adobe:ns:meta/"/>', zip=True)
    info.add_text("prompt", '{"3": {"class_type": "KSampler", "inputs": {"seed": 5}}}', zip=True)
    buf = io.BytesIO()
    gradient((24, 16)).save(buf, "PNG", pnginfo=info)
    out.append(buf.getvalue())
    exif = gradient((8, 8)).getexif()
    exif[0x010F] = "Camera"
    exif[0x0131] = "Midjourney"
    exif[0x9286] = b"UNICODE\x00" + "hello".encode("utf-16-be")
    for fmt in ("JPEG", "WEBP", "TIFF", "GIF", "BMP"):
        buf = io.BytesIO()
        img = gradient((24, 16), mode="P" if fmt == "GIF" else "RGB")
        img.save(buf, fmt, **({"exif": exif} if fmt in ("JPEG", "WEBP", "TIFF") else {}))
        out.append(buf.getvalue())
    if CORPUS.is_dir():
        small = sorted(p for p in CORPUS.iterdir() if p.is_file() and p.stat().st_size < 150_000)
        out += [p.read_bytes() for p in small if p.suffix != ".tsv"][:40]
    return tuple(out)


@st.composite
def damaged(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(seeds())))
    for _ in range(draw(st.integers(0, 6))):
        if not data:
            break
        action = draw(st.sampled_from(["overwrite", "cut", "repeat", "lie", "insert"]))
        at = draw(st.integers(0, len(data) - 1))
        if action == "overwrite":
            data[at : at + 4] = draw(st.binary(min_size=1, max_size=4))
        elif action == "cut":
            del data[at:]
        elif action == "repeat":
            span = draw(st.integers(1, 64))
            data[at:at] = data[at : at + span] * draw(st.integers(1, 50))
        elif action == "lie":  # a length or offset field made huge
            data[at : at + 4] = draw(st.sampled_from([b"\xff\xff\xff\xff", b"\x7f\xff\xff\xf0"]))
        else:
            data[at:at] = draw(st.binary(max_size=64))
    return bytes(data)


MAGICS = [
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff",
    b"GIF89a",
    b"RIFF\x00\x00\x00\x00WEBP",
    b"II*\x00",
    b"MM\x00*",
    b"BM",
    b"\x00\x00\x00\x18ftypheic",
    b"PK\x03\x04",
    b"8BPS",
]
random_behind_magic = st.builds(
    lambda magic, tail: magic + tail, st.sampled_from(MAGICS), st.binary(max_size=2048)
)
hostile = st.one_of(damaged(), random_behind_magic)


def _raw(data: bytes) -> RawFile:
    import hashlib
    from datetime import UTC, datetime

    return RawFile(Path("fuzz.bin"), data, hashlib.sha256(data).hexdigest(), datetime.now(UTC))


@FUZZ
@given(hostile)
def test_probe_reads_or_refuses(data: bytes) -> None:
    """Format sniffing, every metadata reader, every detector and the C2PA check."""
    try:
        inspection = probe_file(_raw(data))
    except ReadError:
        return
    assert isinstance(inspection.metadata, dict)
    if inspection.image is not None:
        with contextlib.suppress(DecodeError):
            decode(inspection.image, max_side=64)


@FUZZ
@given(hostile)
def test_png_text_chunks(data: bytes) -> None:
    warnings: list[str] = []
    try:
        chunks = text_chunks(data, warnings)
    except ValueError:  # not a PNG at all: its documented refusal
        return
    for chunk in chunks:
        assert len(chunk.text) <= 64 * 1024 * 1024


@st.composite
def archives(draw: st.DrawFn) -> bytes:
    """ZIP-based process files (Krita, OpenRaster, Procreate) with damage of their own."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("mimetype", draw(st.sampled_from([b"application/x-krita", b"image/openraster"])))
        for i in range(draw(st.integers(0, 4))):
            name = draw(st.sampled_from(["maindoc.xml", "stack.xml", "../evil", "/abs", "a/b"]))
            z.writestr(f"{name}{i}", draw(st.binary(max_size=256)))
    data = bytearray(buf.getvalue())
    if draw(st.booleans()) and data:
        at = draw(st.integers(0, len(data) - 1))
        data[at : at + 4] = draw(st.binary(min_size=1, max_size=4))
    return bytes(data)


@FUZZ
@given(st.one_of(archives(), hostile), st.sampled_from(["x.kra", "x.ora", "x.psd", "x.clip"]))
def test_process_files_read_or_refuse(data: bytes, name: str) -> None:
    with contextlib.suppress(ProcessFileError):
        identify_process_file(data, name)


@pytest.mark.parametrize("kind", ["xmp", "iptc", "usercomment"])
def test_small_parsers_on_random_bytes(kind: str) -> None:
    from inkseal.library import metadata

    @FUZZ
    @given(st.binary(max_size=4096))
    def run(data: bytes) -> None:
        if kind == "iptc":
            assert isinstance(metadata.parse_iptc(data, lambda _m: None), dict)
        elif kind == "usercomment":
            assert isinstance(metadata.decode_user_comment(data), str)
        else:
            ctx = metadata._Context(data, "PNG", None)
            metadata._parse_xmp(data, ctx)

    run()


def test_a_codec_error_of_its_own_kind_is_a_decode_error(monkeypatch: pytest.MonkeyPatch) -> None:
    # Found by atheris: libavif reports a damaged frame as RuntimeError("Failed to decode
    # frame 0: Decoding of color planes failed"), which escaped the import's error handling.
    from PIL import Image

    img = gradient((16, 16))

    def fails() -> None:
        raise RuntimeError("Failed to decode frame 0: Decoding of color planes failed")

    monkeypatch.setattr(img, "load", fails)
    assert isinstance(img, Image.Image)
    with pytest.raises(DecodeError, match="color planes"):
        decode(img)
