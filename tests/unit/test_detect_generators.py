"""Tests for the generator-parameter detectors (inkseal.library.detect.a1111, comfyui, novelai,
invokeai, others and generators).

Real files come from the shared corpus (../shared/corpus, described by MANIFEST.tsv); the
values asserted for them were read from the files. Every other file is made here, modelled on
what the real tools write, so that every branch is exercised without network access.
"""

from __future__ import annotations

import gzip
import io
import json
import random
import struct
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, PngImagePlugin

from inkseal.library.detect import a1111, comfyui, generators, invokeai, novelai, others
from inkseal.library.detect.base import FileFacts, Finding
from inkseal.library.detect.generators import DETECTORS, detect_generators
from inkseal.library.formats import sniff
from inkseal.library.imaging import DecodeError, open_image
from inkseal.library.metadata import extract_metadata
from tests.detect_helpers import assert_scan_reads_alike

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"

A1111_TEXT = (
    "photo of a duck, (masterpiece:1.2),\nsecond line of the prompt\n"
    "Negative prompt: monochrome, lowres\n"
    "Steps: 28, Sampler: Euler a, Schedule type: Karras, CFG scale: 7, Seed: 1234, "
    "Size: 512x768, Model hash: c0d1994c73, Model: realisticVision_v51, "
    'Lora hashes: "detail: abc123, style: def456", Denoising strength: 0.45, '
    "Version: v1.10.1"
)


# ---------------------------------------------------------------------------------------------
# Building files and facts
# ---------------------------------------------------------------------------------------------


def facts_of(data: bytes) -> FileFacts:
    """FileFacts built exactly as the importer builds them (and scan reads alike)."""
    assert_scan_reads_alike(data)
    fmt = sniff(data)
    name = fmt.name if fmt is not None else "UNKNOWN"
    try:
        img = open_image(data)
    except DecodeError:
        img = None
    return FileFacts(data, name, extract_metadata(data, name, img), img)


def findings_of(data: bytes) -> list[Finding]:
    found = detect_generators(facts_of(data))
    for f in found:
        assert f.verdict == "ai-generated"
        assert f.verified is None
        json.dumps(f.to_json())  # JSON-able, extra included
    return found


def one(data: bytes, family: str | None = None) -> Finding:
    found = findings_of(data)
    if family is not None:
        found = [f for f in found if f.family == family]
    assert len(found) == 1, [f.to_json() for f in found]
    return found[0]


def noise_image(mode: str = "RGB", size: tuple[int, int] = (16, 16), seed: int = 1) -> Image.Image:
    bands = len(mode)
    raw = random.Random(seed).randbytes(size[0] * size[1] * bands)
    return Image.frombytes(mode, size, raw)


def png_bytes(
    texts: dict[str, str] | None = None,
    *,
    ztxt: dict[str, str] | None = None,
    itxt: dict[str, str] | None = None,
    image: Image.Image | None = None,
) -> bytes:
    info = PngImagePlugin.PngInfo()
    for key, value in (texts or {}).items():
        info.add_text(key, value)
    for key, value in (ztxt or {}).items():
        info.add_text(key, value, zip=True)
    for key, value in (itxt or {}).items():
        info.add_itxt(key, value, zip=True)
    buf = io.BytesIO()
    (image or noise_image()).save(buf, "PNG", pnginfo=info)
    return buf.getvalue()


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def before_iend(png: bytes, *chunks: bytes) -> bytes:
    at = png.rindex(b"IEND") - 4
    return png[:at] + b"".join(chunks) + png[at:]


def with_exif(
    fmt: str,
    *,
    user_comment: bytes | None = None,
    ifd0: dict[int, str] | None = None,
    endian: str = "<",
    image: Image.Image | None = None,
) -> bytes:
    exif = Image.Exif()
    exif.endian = endian
    for tag, value in (ifd0 or {}).items():
        exif[tag] = value
    if user_comment is not None:
        exif.get_ifd(0x8769)[0x9286] = user_comment
    buf = io.BytesIO()
    # As bytes: Pillow skips an Exif object whose first directory is empty when saving PNG.
    (image or noise_image()).save(buf, fmt, exif=exif.tobytes())
    return buf.getvalue()


def xmp_packet(body: str) -> str:
    return (
        '<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:exif="http://ns.adobe.com/exif/1.0/" xmlns:xmp="http://ns.adobe.com/xap/1.0/">'
        f"{body}</rdf:Description></rdf:RDF></x:xmpmeta>"
        '<?xpacket end="w"?>'
    )


def alt(text: str) -> str:
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f'<rdf:Alt><rdf:li xml:lang="x-default">{escaped}</rdf:li></rdf:Alt>'


# ---------------------------------------------------------------------------------------------
# The shared corpus
# ---------------------------------------------------------------------------------------------

DUCK = {
    "family": "a1111",
    "tool": "AUTOMATIC1111 web UI",
    "model": "realistic_realisticVisionV20_v20",
    "seed": 235284042,
    "prompt": "photo of a duck",
    "negative": "monochrome",
}
CORPUS_EXPECTED: dict[str, dict[str, Any]] = {
    "ai-a1111__png-parameters-1x1.png": {**DUCK, "source": "png:parameters"},
    "ai-a1111__jpeg-usercomment-1x1.jpg": {**DUCK, "source": "exif:UserComment"},
    "ai-a1111__ztxt-parameters-after-idat.png": {**DUCK, "source": "png:parameters"},
    "ai-a1111__full-1024.png": {
        "family": "a1111",
        "tool": "AUTOMATIC1111 web UI",
        "source": "png:parameters",
        "model": "perfectWorld_v2Baked",
        "seed": 806698555,
        "prompt_start": "ultra realistic 8k cg, HDR, epic",
    },
    "ai-a1111__stealth-alpha-pngcomp.png": {
        "family": "a1111",
        "tool": "AUTOMATIC1111 web UI",
        "version": "v1.9.4-169-ga30b19dd",
        "source": "alpha:stealth_pngcomp",
        "model": "realisticVisionV51_v51VAE",
        "seed": 2015833630,
        "prompt": "a circle",
        "negative": "a square",
    },
    "ai-comfyui__img2img-1x1.png": {
        "family": "comfyui",
        "tool": "ComfyUI",
        "source": "png:prompt",
        "model": "v1-5-pruned-emaonly.ckpt",
        "seed": 280823642470253,
        "prompt": "photograph of victorian woman with wings, sky clouds, meadow grass",
        "negative": "watermark, text",
    },
    "ai-comfyui__night-evening-1x1.png": {
        "family": "comfyui",
        "tool": "ComfyUI",
        "source": "png:prompt",
        # The second pass (KSampler 24) made the final image; its checkpoint comes first.
        "model": "AbyssOrangeMix2_hard.safetensors, Anything-V3.0.ckpt",
        "seed": 1122440447966177,
        "prompt_start": "(best quality) beautiful (HDR:1.2) (realistic:1.2) landscape",
    },
    "ai-comfyui__noisy-latents-1x1.png": {
        "family": "comfyui",
        "tool": "ComfyUI",
        "source": "png:prompt",
        "model": "Anything-V3.0.ckpt",
        "seed": 1084614416978598,
        "prompt_start": "girl (flat chest:0.9), (fennec ears:1.0)",
    },
    "ai-comfyui__unclip-2pass-1x1.png": {
        "family": "comfyui",
        "tool": "ComfyUI",
        "source": "png:prompt",
        "model": (
            "cardosAnimated_v20.safetensors, wd-1-5-beta2-aesthetic-unclip-h-fp32.safetensors"
        ),
        "seed": 119080905858220,
        "prompt": "beautiful scenery landscape outdoors mountains",
    },
    "ai-fooocus__json-1x1.png": {
        "family": "fooocus",
        "tool": "Fooocus",
        "version": "v2.4.3",
        "source": "png:parameters",
        "model": "juggernautXL_v8Rundiffusion",
        "seed": 6952411511246973023,
        "prompt": "a smiling goldfish",
    },
    "ai-invokeai__dream-legacy-1x1.png": {
        "family": "invokeai",
        "tool": "InvokeAI",
        "source": "png:Dream",
        "model": None,
        "seed": 2980747362,
        "prompt_start": "professional full body photo of young woman",
        "negative": "rendering, glowing eyes, skinny",
    },
    "ai-invokeai__invokeai-metadata-1x1.png": {
        "family": "invokeai",
        "tool": "InvokeAI",
        "source": "png:invokeai_metadata",
        "model": "juggernautXL",
        "seed": 3293022630,
        "prompt": "digital artwork, oil painting. painterly brushstrokes, holidays,",
    },
    "ai-invokeai__sd-metadata-1x1.png": {
        "family": "invokeai",
        "tool": "InvokeAI",
        "version": "2.3.0",
        "source": "png:sd-metadata",
        "model": "deliberateForInvoke_v08",
        "seed": 2980747362,
        "prompt_start": "professional full body photo of young woman",
    },
    "ai-novelai__v1-1x1.png": {
        "family": "novelai",
        "tool": "NovelAI",
        "source": "png:Comment",
        "model": "Stable Diffusion 1D44365E",
        "seed": 2253955223,
        "prompt": "masterpiece, best quality,  cat, space, icon",
        "negative_start": "lowres, bad anatomy, bad hands",
    },
}


def corpus_files(*prefixes: str) -> list[str]:
    if not CORPUS.is_dir():
        return []
    return sorted(p.name for p in CORPUS.iterdir() if p.name.startswith(prefixes))


@pytest.fixture
def corpus_dir() -> Path:
    if not (CORPUS / "MANIFEST.tsv").exists():
        pytest.skip("../shared/corpus is not present")
    return CORPUS


@pytest.mark.parametrize("name", sorted(CORPUS_EXPECTED))
def test_corpus_ai_file(corpus_dir: Path, name: str) -> None:
    path = corpus_dir / name
    if not path.exists():
        pytest.skip(f"{name} is not in the corpus")
    want = CORPUS_EXPECTED[name]
    found = one(path.read_bytes())
    assert found.family == want["family"]
    assert found.tool == want["tool"]
    assert found.source == want["source"]
    assert found.model == want["model"]
    assert found.extra.get("seed") == want["seed"]
    if "version" in want:
        assert found.tool_version == want["version"]
    if "prompt" in want:
        assert found.prompt == want["prompt"]
    if "prompt_start" in want:
        assert found.prompt is not None and found.prompt.startswith(want["prompt_start"])
    if "negative" in want:
        assert found.extra.get("negative_prompt") == want["negative"]
    if "negative_start" in want:
        assert str(found.extra.get("negative_prompt")).startswith(want["negative_start"])
    assert found.detail and "Seed" in found.detail


def test_every_corpus_ai_file_is_covered(corpus_dir: Path) -> None:
    for name in corpus_files("ai-"):
        assert name in CORPUS_EXPECTED, f"{name}: add its expected values to this test"


def test_corpus_details(corpus_dir: Path) -> None:
    duck = one((corpus_dir / "ai-a1111__png-parameters-1x1.png").read_bytes())
    assert duck.detail == (
        "Steps: 15, Sampler: UniPC, CFG scale: 5, Seed: 235284042, Size: 512x400, "
        "Model: realistic_realisticVisionV20_v20"
    )
    assert duck.extra["model_hash"] == "c0d1994c73"
    assert duck.extra["size"] == "512x400"
    night = one((corpus_dir / "ai-comfyui__night-evening-1x1.png").read_bytes())
    assert night.extra["samplers"] == 2
    assert night.extra["has_workflow"] is True
    assert night.extra["steps"] == 14 and night.extra["sampler"] == "dpmpp_2m"
    fooocus = one((corpus_dir / "ai-fooocus__json-1x1.png").read_bytes())
    assert fooocus.extra["size"] == "768x1280"
    assert fooocus.extra["steps"] == 30
    invoke = one((corpus_dir / "ai-invokeai__invokeai-metadata-1x1.png").read_bytes())
    assert invoke.extra["generation_mode"] == "sdxl_txt2img"
    assert invoke.extra["size"] == "1024x1024"


@pytest.mark.parametrize(
    "name", corpus_files("camera__", "human__", "noai__", "iptc-xmp__", "format__")
)
def test_corpus_no_false_positives(corpus_dir: Path, name: str) -> None:
    assert findings_of((corpus_dir / name).read_bytes()) == []


@pytest.mark.parametrize("name", corpus_files(""))
def test_corpus_no_detector_raises(corpus_dir: Path, name: str) -> None:
    if name == "MANIFEST.tsv":
        return
    facts = facts_of((corpus_dir / name).read_bytes())
    for detector in DETECTORS:
        result = detector(facts)  # called directly: an exception would fail the test
        assert isinstance(result, list)
    if name.startswith(("broken__", "c2pa-")):
        assert detect_generators(facts) == []


def test_macos_screenshot_stealth_check_is_cheap(corpus_dir: Path) -> None:
    # A large RGBA screenshot: the stealth check must not decode its pixels.
    facts = facts_of((corpus_dir / "noai__macos-screenshot.png").read_bytes())
    assert facts.image is not None and facts.image.mode == "RGBA"
    assert novelai.detect(facts) == []
    assert getattr(facts.image, "tile", None), "the image was decoded"


# ---------------------------------------------------------------------------------------------
# A1111 text
# ---------------------------------------------------------------------------------------------


def check_a1111_text(found: Finding) -> None:
    assert found.family == "a1111"
    assert found.tool == "AUTOMATIC1111 web UI"
    assert found.tool_version == "v1.10.1"
    assert found.prompt == "photo of a duck, (masterpiece:1.2),\nsecond line of the prompt"
    assert found.model == "realisticVision_v51"
    assert found.extra["negative_prompt"] == "monochrome, lowres"
    assert found.extra["seed"] == 1234
    assert found.extra["steps"] == 28
    assert found.extra["sampler"] == "Euler a"
    assert found.extra["scheduler"] == "Karras"
    assert found.extra["cfg"] == 7
    assert found.extra["size"] == "512x768"
    assert found.extra["model_hash"] == "c0d1994c73"
    assert found.extra["denoising_strength"] == 0.45
    assert found.detail is not None
    assert found.detail.startswith("Steps: 28, Sampler: Euler a, CFG scale: 7, Seed: 1234")


def test_png_parameters_text() -> None:
    found = one(png_bytes({"parameters": A1111_TEXT}))
    assert found.source == "png:parameters"
    check_a1111_text(found)


def test_png_parameters_ztxt() -> None:
    check_a1111_text(one(png_bytes(ztxt={"parameters": A1111_TEXT})))


def test_png_parameters_itxt_unicode() -> None:
    text = A1111_TEXT.replace("photo of a duck", "photo of a duck, 鴨, café")
    found = one(png_bytes(itxt={"parameters": text}))
    assert found.prompt is not None and found.prompt.startswith("photo of a duck, 鴨, café")


def test_png_parameters_after_idat() -> None:
    body = b"parameters\x00" + A1111_TEXT.encode("latin-1")
    data = before_iend(png_bytes(), png_chunk(b"tEXt", body))
    check_a1111_text(one(data))


def test_png_parameters_after_idat_compressed() -> None:
    body = b"parameters\x00\x00" + zlib.compress(A1111_TEXT.encode("latin-1"))
    data = before_iend(png_bytes(), png_chunk(b"zTXt", body))
    check_a1111_text(one(data))


def test_same_text_twice_gives_one_finding() -> None:
    data = before_iend(
        png_bytes({"parameters": A1111_TEXT}),
        png_chunk(b"tEXt", b"parameters\x00" + A1111_TEXT.encode("latin-1")),
    )
    assert len(findings_of(data)) == 1


@pytest.mark.parametrize(
    ("raw", "endian"),
    [
        (b"UNICODE\x00" + A1111_TEXT.encode("utf-16-be"), ">"),
        (b"UNICODE\x00" + A1111_TEXT.encode("utf-16-be"), "<"),
        (b"UNICODE\x00" + A1111_TEXT.encode("utf-16-le"), "<"),
        (b"UNICODE\x00" + A1111_TEXT.encode("utf-16-le"), ">"),
        (b"ASCII\x00\x00\x00" + A1111_TEXT.encode("ascii"), "<"),
        (A1111_TEXT.encode("ascii"), "<"),  # no character code header at all
    ],
    ids=["utf16be-MM", "utf16be-II", "utf16le-II", "utf16le-MM", "ascii", "no-header"],
)
def test_jpeg_user_comment(raw: bytes, endian: str) -> None:
    found = one(with_exif("JPEG", user_comment=raw, endian=endian))
    assert found.source == "exif:UserComment"
    check_a1111_text(found)


def test_webp_user_comment() -> None:
    raw = b"UNICODE\x00" + A1111_TEXT.encode("utf-16-be")
    found = one(with_exif("WEBP", user_comment=raw))
    assert found.source == "exif:UserComment"
    check_a1111_text(found)


def test_png_exif_user_comment() -> None:
    raw = b"UNICODE\x00" + A1111_TEXT.encode("utf-16-le")
    check_a1111_text(one(with_exif("PNG", user_comment=raw)))


@pytest.mark.parametrize(
    "comment",
    [
        "Screenshot",
        "Steps: 5",  # no sampler, no seed
        "Holiday photo. Steps: 20, Sampler: my feet",  # not at the start of a line
        "Steps: 0, Sampler: Euler",  # absurd step count
        "Steps: 99999999999, Sampler: Euler, Seed: 1",
        '{"Steps": 20, "Sampler": "Euler"}',
        "",
    ],
)
def test_user_comment_that_is_not_a1111(comment: str) -> None:
    raw = b"UNICODE\x00" + comment.encode("utf-16-le")
    assert findings_of(with_exif("JPEG", user_comment=raw)) == []


def test_parameters_without_negative_and_with_trailing_lines() -> None:
    text = (
        "a castle\non a hill\n"
        "Steps: 20, Sampler: DPM++ 2M, Seed: 42, Model: sdxl\n"
        "Template: a castle\nNegative Template: ugly"
    )
    found = one(png_bytes({"parameters": text}))
    assert found.prompt == "a castle\non a hill"
    assert "negative_prompt" not in found.extra
    assert found.extra["seed"] == 42


def test_parameters_with_empty_prompt_and_crlf() -> None:
    text = "Negative prompt: blurry\r\nSteps: 20, Sampler: Euler, Seed: 7"
    found = one(png_bytes({"parameters": text}))
    assert found.prompt is None
    assert found.extra["negative_prompt"] == "blurry"


def test_settings_values_quoted_and_json() -> None:
    line = (
        'Steps: 30, Sampler: DPM++ 2M, Lora hashes: "a: 1, b: 2", '
        'Civitai resources: [{"type":"checkpoint","modelName":"Z, Image","modelVersionName":'
        '"Turbo"}, {"type":"lora","weight":0.8}], Odd piece without colon, Seed: 9, '
        'Quote: "He said \\"hi, there\\"", Size: 832x1216'
    )
    settings = a1111.parse_settings(line)
    assert settings["Lora hashes"] == "a: 1, b: 2"
    assert (
        settings["Civitai resources"].startswith("[{") and settings["Civitai resources"][-1] == "]"
    )
    assert settings["Seed"] == "9"
    assert settings["Quote"] == 'He said "hi, there"'
    assert settings["Size"] == "832x1216"
    found = one(png_bytes({"parameters": "a dog\n" + line}))
    assert found.tool == "Civitai"
    assert found.model == "Z, Image Turbo"


@pytest.mark.parametrize(
    ("extra", "tool", "version"),
    [
        ("Version: v1.9.4-169-ga30b19dd", "AUTOMATIC1111 web UI", "v1.9.4-169-ga30b19dd"),
        ("Version: f0.0.17v1.8.0rc-latest-276-g29be1da7", "Forge",
         "f0.0.17v1.8.0rc-latest-276-g29be1da7"),
        ("Version: f2.0.1v1.10.1-previous-665-gae278f79", "Forge",
         "f2.0.1v1.10.1-previous-665-gae278f79"),
        ("App: SD.Next, Version: 8b73cb6", "SD.Next", "8b73cb6"),
        ("Version: 2e6e7a6", "SD.Next", "2e6e7a6"),
        ("Version: Fooocus v2.5.5", "Fooocus", "v2.5.5"),
        ("Version: ComfyUI", "ComfyUI", None),
        ('Civitai resources: [{"type":"checkpoint","modelVersionId":1}], Civitai metadata: {}',
         "Civitai", None),
        ("Clip skip: 2", "AUTOMATIC1111 web UI", None),
    ],
)  # fmt: skip
def test_a1111_tool_identification(extra: str, tool: str, version: str | None) -> None:
    text = f"a cat\nSteps: 20, Sampler: Euler, Seed: 1, {extra}"
    found = one(png_bytes({"parameters": text}))
    assert (found.tool, found.tool_version) == (tool, version)


def test_a1111_absurd_values_are_ignored() -> None:
    text = (
        "a cat\nSteps: 20, Sampler: Euler, Seed: 99999999999999999999999, CFG scale: nan, Size: 0x5"
    )
    found = one(png_bytes({"parameters": text}))
    assert "seed" not in found.extra
    assert "cfg" not in found.extra
    assert "size" not in found.extra


def test_a1111_long_prompt_is_clipped() -> None:
    text = "word " * 5000 + "\nSteps: 20, Sampler: Euler, Seed: 1"
    found = one(png_bytes({"parameters": text}))
    assert found.prompt is not None and len(found.prompt) <= 8000


def test_a1111_jpeg_comment_segment() -> None:
    buf = io.BytesIO()
    noise_image().save(buf, "JPEG", comment=A1111_TEXT.encode("latin-1"))
    found = one(buf.getvalue())
    assert found.source == "comment"
    check_a1111_text(found)


# ---------------------------------------------------------------------------------------------
# ComfyUI
# ---------------------------------------------------------------------------------------------

# A hand-made API graph: the positive prompt reaches the final sampler through a
# ConditioningCombine and a ControlNet; there is a first pass and a hires pass.
COMFY_GRAPH: dict[str, Any] = {
    "1": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "sdxl_base.safetensors"}},
    "2": {"class_type": "LoraLoader", "inputs": {"lora_name": "detail.safetensors",
          "strength_model": 0.8, "strength_clip": 0.8, "model": ["1", 0], "clip": ["1", 1]}},
    "3": {"class_type": "CLIPTextEncode", "inputs": {"text": "a red fox in the snow",
          "clip": ["2", 1]}},
    "4": {"class_type": "CLIPTextEncode", "inputs": {"text": "golden hour", "clip": ["2", 1]}},
    "5": {"class_type": "ConditioningCombine", "inputs": {"conditioning_1": ["3", 0],
          "conditioning_2": ["4", 0]}},
    "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "blurry, watermark",
          "clip": ["2", 1]}},
    "7": {"class_type": "LoadImage", "inputs": {"image": "pose.png"}},
    "8": {"class_type": "ControlNetLoader", "inputs": {"control_net_name": "openpose.pth"}},
    "9": {"class_type": "ControlNetApplyAdvanced", "inputs": {"positive": ["5", 0],
          "negative": ["6", 0], "control_net": ["8", 0], "image": ["7", 0], "strength": 0.7}},
    "10": {"class_type": "EmptyLatentImage", "inputs": {"width": 832, "height": 1216,
           "batch_size": 1}},
    "11": {"class_type": "KSampler", "inputs": {"seed": 111, "steps": 25, "cfg": 6.5,
           "sampler_name": "euler", "scheduler": "karras", "denoise": 1.0, "model": ["2", 0],
           "positive": ["9", 0], "negative": ["9", 1], "latent_image": ["10", 0]}},
    "12": {"class_type": "LatentUpscaleBy", "inputs": {"samples": ["11", 0], "scale_by": 1.5,
           "upscale_method": "nearest-exact"}},
    "13": {"class_type": "KSampler", "inputs": {"seed": ["14", 0], "steps": 12, "cfg": 5.0,
           "sampler_name": "dpmpp_2m", "scheduler": "karras", "denoise": 0.5, "model": ["2", 0],
           "positive": ["9", 0], "negative": ["9", 1], "latent_image": ["12", 0]}},
    "14": {"class_type": "PrimitiveNode", "inputs": {"value": 222}},
    "15": {"class_type": "VAEDecode", "inputs": {"samples": ["13", 0], "vae": ["1", 2]}},
    "16": {"class_type": "SaveImage", "inputs": {"images": ["15", 0], "filename_prefix": "x"}},
}  # fmt: skip


def check_comfy(found: Finding) -> None:
    assert found.family == "comfyui"
    assert found.tool == "ComfyUI"
    assert found.model == "sdxl_base.safetensors"
    assert found.prompt == "a red fox in the snow\ngolden hour"
    assert found.extra["negative_prompt"] == "blurry, watermark"
    assert found.extra["seed"] == 222  # the hires pass, seed from a primitive node
    assert found.extra["steps"] == 12
    assert found.extra["sampler"] == "dpmpp_2m"
    assert found.extra["loras"] == ["detail.safetensors"]
    assert found.extra["samplers"] == 2


def test_comfyui_png_api_graph() -> None:
    found = one(png_bytes({"prompt": json.dumps(COMFY_GRAPH)}))
    assert found.source == "png:prompt"
    check_comfy(found)
    assert "has_workflow" not in found.extra


def test_comfyui_single_sampler_size_and_cfg() -> None:
    graph = {k: v for k, v in COMFY_GRAPH.items() if k not in ("12", "13", "14", "15", "16")}
    found = one(png_bytes({"prompt": json.dumps(graph)}))
    assert found.extra["seed"] == 111
    assert found.extra["size"] == "832x1216"
    assert found.extra["cfg"] == 6.5


def test_comfyui_flux_custom_sampler() -> None:
    graph = {
        "1": {"class_type": "UNETLoader", "inputs": {"unet_name": "flux1-dev.safetensors",
              "weight_dtype": "default"}},
        "2": {"class_type": "CLIPTextEncode", "inputs": {"text": "a lighthouse", "clip": ["9", 0]}},
        "3": {"class_type": "FluxGuidance", "inputs": {"guidance": 3.5, "conditioning": ["2", 0]}},
        "4": {"class_type": "BasicGuider", "inputs": {"model": ["1", 0], "conditioning": ["3", 0]}},
        "5": {"class_type": "RandomNoise", "inputs": {"noise_seed": 987654321}},
        "6": {"class_type": "SamplerCustomAdvanced", "inputs": {"noise": ["5", 0],
              "guider": ["4", 0], "sampler": ["7", 0], "sigmas": ["8", 0],
              "latent_image": ["10", 0]}},
        "7": {"class_type": "KSamplerSelect", "inputs": {"sampler_name": "euler"}},
        "8": {"class_type": "BasicScheduler", "inputs": {"scheduler": "simple", "steps": 20,
              "denoise": 1.0, "model": ["1", 0]}},
        "9": {"class_type": "DualCLIPLoader", "inputs": {"clip_name1": "t5xxl.safetensors",
              "clip_name2": "clip_l.safetensors", "type": "flux"}},
        "10": {"class_type": "EmptySD3LatentImage", "inputs": {"width": 1024, "height": 1024,
               "batch_size": 1}},
    }  # fmt: skip
    found = one(png_bytes({"prompt": json.dumps(graph)}))
    assert found.model == "flux1-dev.safetensors"
    assert found.prompt == "a lighthouse"
    assert found.extra["seed"] == 987654321
    assert found.extra["samplers"] == 1


def test_comfyui_prompt_falls_back_to_longest_text() -> None:
    graph = {
        "1": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "m.ckpt"}},
        "2": {"class_type": "CLIPTextEncode", "inputs": {"text": "short", "clip": ["1", 1]}},
        "3": {"class_type": "CLIPTextEncode", "inputs": {"text": "the longest text here"}},
        "4": {"class_type": "MysteryNode", "inputs": {"anything": ["2", 0]}},
    }
    found = one(png_bytes({"prompt": json.dumps(graph)}))
    assert found.prompt == "the longest text here"
    assert found.model == "m.ckpt"


WORKFLOW: dict[str, Any] = {
    "last_node_id": 9,
    "nodes": [
        {"id": 4, "type": "CheckpointLoaderSimple", "mode": 0,
         "widgets_values": ["dreamshaper_8.safetensors"]},
        {"id": 6, "type": "CLIPTextEncode", "mode": 0,
         "inputs": [{"name": "clip", "type": "CLIP", "link": 3}],
         "widgets_values": ["a misty forest"]},
        {"id": 7, "type": "CLIPTextEncode", "mode": 0,
         "inputs": [{"name": "clip", "type": "CLIP", "link": 5}], "widgets_values": ["ugly"]},
        {"id": 3, "type": "KSampler", "mode": 0,
         "inputs": [{"name": "model", "link": 1}, {"name": "positive", "link": 4},
                    {"name": "negative", "link": 6}, {"name": "latent_image", "link": 2}],
         "widgets_values": [5550123, "randomize", 20, 8, "euler", "normal", 1]},
        {"id": 5, "type": "EmptyLatentImage", "mode": 0, "widgets_values": [512, 768, 1]},
        {"id": 8, "type": "KSampler", "mode": 4, "widgets_values": [1, "fixed", 5, 1, "x", "y", 1],
         "inputs": [{"name": "positive", "link": 4}]},
    ],
    "links": [[1, 4, 0, 3, 0, "MODEL"], [2, 5, 0, 3, 3, "LATENT"], [3, 4, 1, 6, 0, "CLIP"],
              {"id": 4, "origin_id": 6, "origin_slot": 0, "target_id": 3, "target_slot": 1},
              [5, 4, 1, 7, 0, "CLIP"], [6, 7, 0, 3, 2, "CONDITIONING"]],
}  # fmt: skip


def test_comfyui_workflow_only() -> None:
    found = one(png_bytes({"workflow": json.dumps(WORKFLOW)}))
    assert found.source == "png:workflow"
    assert found.model == "dreamshaper_8.safetensors"
    assert found.prompt == "a misty forest"
    assert found.extra["negative_prompt"] == "ugly"
    assert found.extra["seed"] == 5550123
    assert found.extra["size"] == "512x768"
    assert found.extra["samplers"] == 1  # the bypassed sampler did not run


def test_comfyui_prompt_and_workflow_give_one_finding() -> None:
    data = png_bytes({"prompt": json.dumps(COMFY_GRAPH), "workflow": json.dumps(WORKFLOW)})
    found = one(data)
    assert found.source == "png:prompt"
    assert found.extra["has_workflow"] is True


def test_comfyui_webp_exif() -> None:
    data = with_exif(
        "WEBP",
        ifd0={
            0x0110: "prompt:" + json.dumps(COMFY_GRAPH),
            0x010F: "workflow:" + json.dumps(WORKFLOW),
        },
    )
    found = one(data)
    assert found.source == "exif:Model"
    check_comfy(found)


def test_comfyui_jpeg_exif_description() -> None:
    data = with_exif("JPEG", ifd0={0x010E: "Prompt: " + json.dumps(COMFY_GRAPH)})
    found = one(data)
    assert found.source == "exif:ImageDescription"
    check_comfy(found)


def test_comfyui_webp_exif_workflow_only() -> None:
    found = one(with_exif("WEBP", ifd0={0x010F: "workflow:" + json.dumps(WORKFLOW)}))
    assert found.source == "exif:Make"
    assert found.prompt == "a misty forest"


def test_comfyui_webp_exif_longer_than_metadata_keeps() -> None:
    # metadata.py cuts EXIF strings at 64 Ki characters; the graph is read again from Pillow.
    graph = dict(COMFY_GRAPH)
    for i in range(600):
        graph[f"note{i}"] = {"class_type": "Note", "inputs": {"text": "x" * 150}}
    text = "prompt:" + json.dumps(graph)
    assert len(text) > 70_000
    found = one(with_exif("WEBP", ifd0={0x0110: text}))
    assert found.source == "exif:0x0110"
    check_comfy(found)


def test_comfyui_graph_in_user_comment() -> None:
    comment = json.dumps({**COMFY_GRAPH, "extraMetadata": "{}"})
    found = one(with_exif("JPEG", user_comment=b"UNICODE\x00" + comment.encode("utf-16-be")))
    assert found.source == "exif:UserComment"
    check_comfy(found)


@pytest.mark.parametrize(
    "prompt",
    [
        "a cat on a mat",  # Easy Diffusion writes a plain-text `prompt` chunk
        '{"3": {"class_type": "KSampler", "inputs": {"seed": ',  # cut-off JSON
        '{"3": "not a node"}',
        "[" * 100_000 + "]" * 100_000,  # deeper than json can go
        '{"1": {"class_type": "KSampler", "inputs": {"seed": NaN, "positive": ["1", 0]}}}',
    ],
    ids=["plain", "cut", "no-nodes", "deep", "nan-loop"],
)
def test_comfyui_malformed_prompt(prompt: str) -> None:
    found = [f for f in findings_of(png_bytes({"prompt": prompt})) if f.family == "comfyui"]
    if prompt.startswith('{"1"'):
        # A sampler that feeds itself: still ComfyUI, the walk must end, NaN is ignored.
        assert len(found) == 1 and "seed" not in found[0].extra
    else:
        assert found == []


def test_comfyui_links_to_missing_nodes_and_cycles() -> None:
    graph = {
        "1": {"class_type": "KSampler", "inputs": {"seed": ["99", 0], "positive": ["2", 0],
              "negative": ["3", 0], "model": ["1", 0], "latent_image": ["4", 0]}},
        "2": {"class_type": "ConditioningCombine", "inputs": {"conditioning_1": ["2", 0],
              "conditioning_2": ["77", 0]}},
        "3": {"class_type": "CLIPTextEncode", "inputs": {"text": ["3", 0]}},
        "4": {"class_type": "KSampler", "inputs": {"positive": ["1", 0], "latent_image": ["1", 0]}},
    }  # fmt: skip
    found = one(png_bytes({"prompt": json.dumps(graph)}))
    assert found.family == "comfyui"


# ---------------------------------------------------------------------------------------------
# NovelAI
# ---------------------------------------------------------------------------------------------

NAI_V4_COMMENT = {
    "prompt": "1girl, reading a book in a library, very aesthetic",
    "steps": 28,
    "height": 1216,
    "width": 832,
    "scale": 5.0,
    "seed": 3057171225,
    "noise_schedule": "karras",
    "sampler": "k_euler_ancestral",
    "v4_prompt": {
        "caption": {
            "base_caption": "1girl, reading a book in a library, very aesthetic",
            "char_captions": [{"char_caption": "girl, glasses", "centers": [{"x": 0.5, "y": 0.5}]}],
        },
        "use_coords": False,
        "use_order": True,
    },
    "v4_negative_prompt": {"caption": {"base_caption": "lowres, blurry", "char_captions": []}},
    "uc": "lowres, blurry",
    "request_type": "PromptGenerateRequest",
    "signed_hash": "bWFkZSB1cCBmb3IgYSB0ZXN0Lg==",
}
NAI_CHUNKS = {
    "Title": "NovelAI generated image",
    "Description": "1girl, reading a book in a library, very aesthetic",
    "Software": "NovelAI",
    "Source": "NovelAI Diffusion V4.5 4BDE2A90",
    "Generation time": "5.216",
    "Comment": json.dumps(NAI_V4_COMMENT),
}


def check_nai_v4(found: Finding) -> None:
    assert found.family == "novelai"
    assert found.tool == "NovelAI"
    assert found.model == "NovelAI Diffusion V4.5 4BDE2A90"
    assert found.prompt == "1girl, reading a book in a library, very aesthetic"
    assert found.extra["seed"] == 3057171225
    assert found.extra["steps"] == 28
    assert found.extra["size"] == "832x1216"
    assert found.extra["cfg"] == 5
    assert found.extra["negative_prompt"] == "lowres, blurry"
    assert found.extra["characters"] == ["girl, glasses"]
    assert found.extra["signed_hash"] is True
    assert found.detail is not None and "signature present (not checked)" in found.detail


def test_novelai_v4_png_chunks() -> None:
    found = one(png_bytes(NAI_CHUNKS))
    assert found.source == "png:Comment"
    check_nai_v4(found)


def test_novelai_v4_prompt_only_in_v4_structure() -> None:
    comment = {k: v for k, v in NAI_V4_COMMENT.items() if k not in ("prompt", "uc")}
    found = one(png_bytes({**NAI_CHUNKS, "Description": "", "Comment": json.dumps(comment)}))
    assert found.prompt == "1girl, reading a book in a library, very aesthetic"
    assert found.extra["negative_prompt"] == "lowres, blurry"


def test_novelai_software_without_comment() -> None:
    found = one(png_bytes({"Software": "NovelAI", "Description": "a cat", "Comment": "{broken"}))
    assert found.source == "png:Software"
    assert found.prompt == "a cat"


def test_novelai_comment_without_software() -> None:
    found = one(png_bytes({"Comment": json.dumps(NAI_V4_COMMENT)}))
    assert found.tool == "NovelAI"


@pytest.mark.parametrize(
    "chunks",
    [
        {"Software": "GIMP 2.10", "Comment": "Created with GIMP"},
        {"Comment": json.dumps({"prompt": "x", "steps": 3})},  # no NovelAI-only key
        {"Description": "a holiday photo", "Source": "Stable Diffusion 1D44365E"},
    ],
)
def test_novelai_lookalikes_are_not_novelai(chunks: dict[str, str]) -> None:
    assert findings_of(png_bytes(chunks)) == []


# ---------------------------------------------------------------------------------------------
# Stealth data in pixels
# ---------------------------------------------------------------------------------------------


def bits_of(data: bytes) -> str:
    return "".join(f"{b:08b}" for b in data)


def embed_stealth(
    image: Image.Image, payload: bytes, magic: bytes, *, rgb: bool = False
) -> Image.Image:
    """Write stealth data the way the stealth-pnginfo extension and NovelAI do: magic, 32-bit
    length in bits, payload; least significant bits, column by column (x outer, y inner)."""
    if magic.endswith(b"comp"):
        payload = gzip.compress(payload)
    bits = bits_of(magic) + f"{len(payload) * 8:032b}" + bits_of(payload)
    image = image.copy()
    px = image.load()
    assert px is not None
    width, height = image.size
    per_pixel = 3 if rgb else 1
    assert len(bits) <= width * height * per_pixel, "image too small for the payload"
    i = 0
    for x in range(width):
        for y in range(height):
            if i >= len(bits):
                return image
            pixel = list(px[x, y])  # type: ignore[arg-type]
            channels = (0, 1, 2) if rgb else (len(pixel) - 1,)
            for c in channels:
                if i < len(bits):
                    pixel[c] = (pixel[c] & ~1) | int(bits[i])
                    i += 1
            px[x, y] = tuple(pixel)
    return image


def stealth_png(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return buf.getvalue()


def test_stealth_pngcomp_a1111() -> None:
    image = embed_stealth(noise_image("RGBA", (200, 160)), A1111_TEXT.encode(), b"stealth_pngcomp")
    found = one(stealth_png(image))
    assert found.source == "alpha:stealth_pngcomp"
    check_a1111_text(found)


def test_stealth_pnginfo_novelai_json() -> None:
    payload = json.dumps(NAI_CHUNKS).encode()
    image = embed_stealth(noise_image("RGBA", (160, 180)), payload, b"stealth_pnginfo")
    found = one(stealth_png(image))
    assert found.source == "alpha:stealth_pnginfo"
    check_nai_v4(found)


def test_stealth_novelai_comment_as_object() -> None:
    payload = json.dumps({**NAI_CHUNKS, "Comment": NAI_V4_COMMENT}).encode()
    image = embed_stealth(noise_image("RGBA", (160, 160)), payload, b"stealth_pngcomp")
    check_nai_v4(one(stealth_png(image)))


def test_stealth_short_wide_image_reads_several_columns() -> None:
    # Height 20: the 152-bit header spans 8 columns.
    image = embed_stealth(noise_image("RGBA", (900, 20)), A1111_TEXT.encode(), b"stealth_pngcomp")
    check_a1111_text(one(stealth_png(image)))


def test_stealth_grey_alpha_image() -> None:
    image = embed_stealth(noise_image("LA", (120, 200)), A1111_TEXT.encode(), b"stealth_pnginfo")
    check_a1111_text(one(stealth_png(image)))


@pytest.mark.parametrize("mode", ["RGB", "RGBA"])
def test_stealth_rgb_variant(mode: str) -> None:
    image = embed_stealth(
        noise_image(mode, (100, 100)), A1111_TEXT.encode(), b"stealth_rgbcomp", rgb=True
    )
    found = one(stealth_png(image))
    assert found.source == "rgb:stealth_rgbcomp"
    check_a1111_text(found)


def test_stealth_comfyui_payload() -> None:
    payload = json.dumps({"prompt": COMFY_GRAPH, "workflow": WORKFLOW}).encode()
    image = embed_stealth(noise_image("RGBA", (300, 300)), payload, b"stealth_pngcomp")
    found = one(stealth_png(image))
    assert found.source == "alpha:stealth_pngcomp"
    check_comfy(found)


def test_stealth_unknown_payload() -> None:
    image = embed_stealth(noise_image("RGBA", (64, 64)), b"hello there", b"stealth_pnginfo")
    found = one(stealth_png(image))
    assert found.family == "stealth"
    assert found.source == "alpha:stealth_pnginfo"
    assert found.extra["excerpt"] == "hello there"


def test_stealth_fallback_reader(monkeypatch: pytest.MonkeyPatch) -> None:
    # PNGs our row reader does not handle (interlaced, 16-bit) are read with Pillow.
    monkeypatch.setattr(novelai, "_png_layout", lambda data: None)
    image = embed_stealth(noise_image("RGBA", (90, 70)), A1111_TEXT.encode(), b"stealth_pngcomp")
    check_a1111_text(one(stealth_png(image)))


def test_stealth_in_other_formats_is_not_read() -> None:
    image = embed_stealth(noise_image("RGBA", (64, 64)), A1111_TEXT.encode(), b"stealth_pnginfo")
    buf = io.BytesIO()
    image.save(buf, "WEBP", lossless=True)
    assert findings_of(buf.getvalue()) == []


def set_alpha_bits(image: Image.Image, bits: str) -> Image.Image:
    """Write `bits` into the alpha LSBs of the first column(s), as raw as they come."""
    image = image.copy()
    px = image.load()
    assert px is not None
    for i, bit in enumerate(bits):
        x, y = divmod(i, image.height)
        r, g, b, a = px[x, y]  # type: ignore[misc]
        px[x, y] = (r, g, b, (a & ~1) | int(bit))
    return image


def test_stealth_broken_payloads() -> None:
    base = noise_image("RGBA", (64, 64))
    # A length field far beyond the pixels there are.
    huge = set_alpha_bits(base, bits_of(b"stealth_pnginfo") + f"{2**31:032b}")
    assert novelai.read_stealth(facts_of(stealth_png(huge))) is None
    # A length that is not a whole number of bytes.
    odd = set_alpha_bits(base, bits_of(b"stealth_pnginfo") + f"{13:032b}")
    assert novelai.read_stealth(facts_of(stealth_png(odd))) is None
    # A "compressed" payload that is not gzip.
    not_gzip = set_alpha_bits(
        base, bits_of(b"stealth_pngcomp") + f"{64:032b}" + bits_of(b"garbage!")
    )
    assert findings_of(stealth_png(not_gzip)) == []


def test_stealth_magic_prefix_trap_stops() -> None:
    # Alpha bits that spell "stealth_" and then something else: no finding.
    img = set_alpha_bits(noise_image("RGBA", (64, 64)), bits_of(b"stealth_xxxxxxx") + "0" * 32)
    assert novelai.read_stealth(facts_of(stealth_png(img))) is None


def test_plain_rgba_image_costs_almost_nothing() -> None:
    buf = io.BytesIO()
    Image.new("RGBA", (4000, 4000), (10, 20, 30, 255)).save(buf, "PNG", compress_level=1)
    facts = facts_of(buf.getvalue())
    assert facts.image is not None
    start = time.perf_counter()
    assert novelai.detect(facts) == []
    elapsed = time.perf_counter() - start
    assert elapsed < 0.05, f"stealth check took {elapsed * 1000:.1f} ms"
    assert getattr(facts.image, "tile", None), "the pixels were decoded"


def test_plain_rgb_image_is_not_decoded() -> None:
    facts = facts_of(stealth_png(noise_image("RGB", (600, 400))))
    assert novelai.detect(facts) == []
    assert getattr(facts.image, "tile", None)


def write_png_with_filter(image: Image.Image, filters: list[int]) -> bytes:
    """A PNG whose rows use the given filter types (0-4) in turn, to test unfiltering."""
    width, height = image.size
    bpp = len(image.mode)
    raw = image.tobytes()
    stride = width * bpp
    prev = bytes(stride)
    out = bytearray()
    for y in range(height):
        row = raw[y * stride : (y + 1) * stride]
        kind = filters[y % len(filters)]
        filtered = bytearray(stride)
        for i in range(stride):
            a = row[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            predictor = [0, a, b, (a + b) >> 1, novelai._paeth(a, b, c)][kind]
            filtered[i] = (row[i] - predictor) & 0xFF
        out += bytes([kind]) + filtered
        prev = row
    color = {"RGBA": 6, "RGB": 2, "LA": 4}[image.mode]
    ihdr = struct.pack(">IIBBBBB", width, height, 8, color, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", zlib.compress(bytes(out))[:50])
        + png_chunk(b"IDAT", zlib.compress(bytes(out))[50:])
        + png_chunk(b"IEND", b"")
    )


@pytest.mark.parametrize("mode", ["RGBA", "RGB", "LA"])
def test_png_row_reader_undoes_every_filter(mode: str) -> None:
    image = noise_image(mode, (7, 12), seed=5)
    data = write_png_with_filter(image, [0, 1, 2, 3, 4])
    layout = novelai._png_layout(data)
    assert layout is not None
    rows = list(novelai.png_row_prefixes(data, layout, 3))
    bpp = len(mode)
    raw = image.tobytes()
    assert rows == [raw[y * 7 * bpp : y * 7 * bpp + 3 * bpp] for y in range(12)]
    # Pillow agrees that the file is what it should be.
    assert Image.open(io.BytesIO(data)).tobytes() == raw


def test_png_row_reader_stops_on_garbage() -> None:
    data = write_png_with_filter(noise_image("RGBA", (5, 5)), [0])
    layout = novelai._png_layout(data)
    assert layout is not None
    broken = data.replace(data[data.index(b"IDAT") + 4 : data.index(b"IDAT") + 20], b"\x00" * 16)
    assert len(list(novelai.png_row_prefixes(broken, layout, 1))) <= 5


# ---------------------------------------------------------------------------------------------
# InvokeAI
# ---------------------------------------------------------------------------------------------

INVOKE_METADATA = {
    "generation_mode": "txt2img",
    "positive_prompt": "a cozy cabin in the woods",
    "negative_prompt": "people",
    "width": 768,
    "height": 512,
    "seed": 4242,
    "cfg_scale": 7.5,
    "steps": 30,
    "scheduler": "dpmpp_2m",
    "model": {"key": "abc", "hash": "blake3:00", "name": "dreamshaper_8", "base": "sd-1",
              "type": "main"},
    "app_version": "5.6.0",
}  # fmt: skip
INVOKE_GRAPH = {
    "id": "graph",
    "nodes": {
        "main_model_loader": {"id": "main_model_loader", "type": "main_model_loader",
                              "model": {"model_name": "juggernaut", "base_model": "sdxl"}},
        "positive_conditioning": {"id": "positive_conditioning", "type": "compel",
                                  "prompt": "a snowy mountain"},
        "negative_conditioning": {"id": "negative_conditioning", "type": "compel",
                                  "prompt": "fog"},
        "noise": {"id": "noise", "type": "noise", "seed": 77, "width": 512, "height": 512},
    },
    "edges": [],
}  # fmt: skip
SD_METADATA = {
    "model": "stable diffusion",
    "model_weights": "stable-diffusion-1.5",
    "app_id": "invoke-ai/InvokeAI",
    "app_version": "2.2.5",
    "image": {
        "prompt": [{"prompt": "a bowl of fruit [apples]", "weight": 1.0}],
        "steps": 40,
        "cfg_scale": 7.5,
        "height": 512,
        "width": 512,
        "seed": 123456789,
        "sampler": "k_euler_a",
        "type": "txt2img",
    },
}
DREAM = '"a bowl of fruit [apples]" -s 40 -S 123456789 -W 512 -H 512 -C 7.5 -A k_euler_a'


def test_invokeai_metadata() -> None:
    found = one(png_bytes({"invokeai_metadata": json.dumps(INVOKE_METADATA)}))
    assert found.source == "png:invokeai_metadata"
    assert (found.tool, found.tool_version) == ("InvokeAI", "5.6.0")
    assert found.model == "dreamshaper_8"
    assert found.prompt == "a cozy cabin in the woods"
    assert found.extra["seed"] == 4242
    assert found.extra["size"] == "768x512"
    assert found.extra["negative_prompt"] == "people"


def test_invokeai_graph_only() -> None:
    found = one(png_bytes({"invokeai_graph": json.dumps(INVOKE_GRAPH)}))
    assert found.source == "png:invokeai_graph"
    assert found.model == "juggernaut"
    assert found.prompt == "a snowy mountain"
    assert found.extra["negative_prompt"] == "fog"
    assert found.extra["seed"] == 77


def test_invokeai_metadata_wins_over_graph() -> None:
    data = png_bytes(
        {
            "invokeai_metadata": json.dumps(INVOKE_METADATA),
            "invokeai_graph": json.dumps(INVOKE_GRAPH),
        }
    )
    assert one(data).source == "png:invokeai_metadata"


def test_invokeai_sd_metadata_and_dream() -> None:
    found = one(png_bytes({"Dream": DREAM, "sd-metadata": json.dumps(SD_METADATA)}))
    assert found.source == "png:sd-metadata"
    assert found.tool_version == "2.2.5"
    assert found.model == "stable-diffusion-1.5"
    assert found.prompt == "a bowl of fruit"
    assert found.extra["negative_prompt"] == "apples"
    assert found.extra["seed"] == 123456789


def test_invokeai_dream_only() -> None:
    found = one(png_bytes({"Dream": DREAM}))
    assert found.source == "png:Dream"
    assert found.prompt == "a bowl of fruit"
    assert found.extra["steps"] == 40
    assert found.extra["cfg"] == 7.5
    assert found.extra["sampler"] == "k_euler_a"
    assert found.extra["size"] == "512x512"


def test_invokeai_dream_with_quotes_in_prompt() -> None:
    parsed = invokeai.parse_dream('"a sign saying "open"" -s 10 -S 5')
    assert parsed == {"prompt": 'a sign saying "open"', "options": {"-s": "10", "-S": "5"}}


def test_invokeai_malformed_metadata_falls_back_to_dream() -> None:
    found = one(png_bytes({"invokeai_metadata": "{not json", "Dream": DREAM}))
    assert found.source == "png:Dream"


@pytest.mark.parametrize(
    "chunks",
    [
        {"Dream": "just some words"},
        {"Dream": '"quoted" and nothing else'},
        {"sd-metadata": json.dumps({"image": "nope"})},
        {"invokeai_graph": json.dumps({"nodes": [1, 2, 3]})},
        {"invokeai_metadata": json.dumps([1, 2])},
    ],
)
def test_invokeai_malformed(chunks: dict[str, str]) -> None:
    assert findings_of(png_bytes(chunks)) == []


# ---------------------------------------------------------------------------------------------
# Fooocus, SwarmUI, Easy Diffusion, Draw Things, Midjourney
# ---------------------------------------------------------------------------------------------


def test_fooocus_old_style_keys() -> None:
    data = {
        "Prompt": "a lighthouse",
        "Negative Prompt": "blurry",
        "Base Model": "juggernautXL_v8",
        "Seed": "12345",
        "Steps": 30,
        "Guidance Scale": 4,
        "Resolution": "(1024, 1024)",
        "Sampler": "dpmpp_2m_sde_gpu",
        "Version": "Fooocus v2.1.865",
    }
    found = one(png_bytes({"parameters": json.dumps(data)}))
    assert (found.tool, found.tool_version) == ("Fooocus", "v2.1.865")
    assert found.model == "juggernautXL_v8"
    assert found.prompt == "a lighthouse"
    assert found.extra["seed"] == 12345
    assert found.extra["size"] == "1024x1024"


def test_fooocus_jpeg_user_comment(corpus_dir: Path) -> None:
    text = facts_of((corpus_dir / "ai-fooocus__json-1x1.png").read_bytes()).png_text("parameters")
    assert text is not None
    found = one(with_exif("JPEG", user_comment=b"UNICODE\x00" + text[1].encode("utf-16-le")))
    assert found.source == "exif:UserComment"
    assert found.tool == "Fooocus"
    assert found.extra["seed"] == 6952411511246973023


def test_ruined_fooocus() -> None:
    data = {
        "Prompt": "a dog",
        "Negative": "ugly",
        "steps": 24,
        "cfg": 4.5,
        "width": 1152,
        "height": 896,
        "seed": 7,
        "sampler_name": "dpmpp_2m",
        "scheduler": "simple",
        "base_model_name": "sd_xl_base_1.0_0.9vae.safetensors",
        "base_model_hash": "be9edd61",
        "loras": [["4852686128", "0.1 - offset.safetensors"]],
        "software": "RuinedFooocus",
    }
    found = one(png_bytes({"parameters": json.dumps(data)}))
    assert found.tool == "RuinedFooocus"
    assert found.model == "sd_xl_base_1.0_0.9vae.safetensors"
    assert found.prompt == "a dog"
    assert found.extra["negative_prompt"] == "ugly"
    assert found.extra["size"] == "1152x896"


SWARM = {
    "sui_image_params": {
        "prompt": "1girl, office lady",
        "negativeprompt": "blurry",
        "model": "realDream_animaV2",
        "seed": 1755497345,
        "steps": 16,
        "cfgscale": 2.0,
        "width": 1248,
        "height": 1824,
        "sampler": "er_sde",
        "scheduler": "beta",
        "swarm_version": "0.9.8.1",
    },
    "sui_extra_data": {"date": "2025-01-01", "generation_time": "2.7 sec"},
    "sui_models": [{"name": "realDream_animaV2.safetensors", "param": "model", "hash": "0x84"}],
}


def check_swarm(found: Finding) -> None:
    assert (found.family, found.tool, found.tool_version) == ("swarmui", "SwarmUI", "0.9.8.1")
    assert found.model == "realDream_animaV2"
    assert found.prompt == "1girl, office lady"
    assert found.extra["seed"] == 1755497345
    assert found.extra["negative_prompt"] == "blurry"


def test_swarmui_png_parameters() -> None:
    found = one(png_bytes({"parameters": json.dumps(SWARM, indent=2)}))
    assert found.source == "png:parameters"
    check_swarm(found)


def test_swarmui_own_chunk_and_jpeg() -> None:
    check_swarm(one(png_bytes({"sui_image_params": json.dumps(SWARM)})))
    comment = b"UNICODE\x00" + json.dumps(SWARM).encode("utf-16-be")
    check_swarm(one(with_exif("JPEG", user_comment=comment)))


def test_easy_diffusion_png_chunks() -> None:
    chunks = {
        "prompt": "a watercolor fox",
        "negative_prompt": "text",
        "seed": "3210",
        "use_stable_diffusion_model": "sd-v1-5",
        "sampler_name": "euler_a",
        "width": "512",
        "height": "640",
        "num_inference_steps": "25",
        "guidance_scale": "7.5",
        "use_vae_model": "vae-ft-mse-840000-ema-pruned",
    }
    found = one(png_bytes(chunks))
    assert (found.family, found.tool) == ("easydiffusion", "Easy Diffusion")
    assert found.source == "png:use_stable_diffusion_model"
    assert found.model == "sd-v1-5"
    assert found.prompt == "a watercolor fox"
    assert found.extra["seed"] == 3210
    assert found.extra["steps"] == 25
    assert found.extra["size"] == "512x640"


def test_easy_diffusion_json_display_names() -> None:
    data = {
        "Prompt": "a watercolor fox",
        "Negative Prompt": "text",
        "Seed": 3210,
        "Stable Diffusion model": "sd-v1-5",
        "Sampler": "euler_a",
        "Width": 512,
        "Height": 640,
        "Steps": 25,
        "Guidance Scale": 7.5,
    }
    comment = b"UNICODE\x00" + json.dumps(data).encode("utf-16-le")
    found = one(with_exif("WEBP", user_comment=comment))
    assert found.tool == "Easy Diffusion"
    assert found.model == "sd-v1-5"
    assert found.extra["cfg"] == 7.5


DRAW_THINGS = {
    "c": "a lighthouse at dusk",
    "uc": "blurry",
    "model": "sd_xl_base_1.0_f16.ckpt",
    "sampler": "DPM++ 2M Karras",
    "seed": 1234,
    "steps": 30,
    "scale": 5,
    "size": "1024x1024",
    "strength": 1,
    "seed_mode": "Scale Alike",
}


def test_draw_things_xmp() -> None:
    packet = xmp_packet(
        "<xmp:CreatorTool>Draw Things</xmp:CreatorTool>"
        f"<dc:description>{alt('a lighthouse at dusk -uc blurry')}</dc:description>"
        f"<exif:UserComment>{alt(json.dumps(DRAW_THINGS))}</exif:UserComment>"
    )
    found = one(png_bytes(itxt={"XML:com.adobe.xmp": packet}))
    assert (found.family, found.tool) == ("drawthings", "Draw Things")
    assert found.source == "xmp:exif:UserComment"
    assert found.model == "sd_xl_base_1.0_f16.ckpt"
    assert found.prompt == "a lighthouse at dusk"
    assert found.extra["seed"] == 1234
    assert found.extra["negative_prompt"] == "blurry"
    assert found.extra["size"] == "1024x1024"


def test_draw_things_exif_user_comment() -> None:
    comment = b"UNICODE\x00" + json.dumps(DRAW_THINGS).encode("utf-16-le")
    assert one(with_exif("JPEG", user_comment=comment)).tool == "Draw Things"


MJ_DESCRIPTION = (
    "a koi pond in autumn, ukiyo-e --ar 2:1 --stylize 80 --v 6.1 "
    "Job ID: a7421d2f-b262-44f9-977c-ac23e9c7d3e3"
)


def test_midjourney_png() -> None:
    found = one(png_bytes({"Description": MJ_DESCRIPTION, "Author": "someartist"}))
    assert (found.family, found.tool, found.tool_version) == ("midjourney", "Midjourney", "6.1")
    assert found.source == "png:Description"
    assert found.model == "Midjourney v6.1"
    assert found.prompt == "a koi pond in autumn, ukiyo-e --ar 2:1 --stylize 80 --v 6.1"
    assert found.extra == {
        "job_id": "a7421d2f-b262-44f9-977c-ac23e9c7d3e3",
        "aspect_ratio": "2:1",
        "author": "someartist",
    }


def test_midjourney_niji_xmp_description() -> None:
    text = "cat girl --niji 6 Job ID: 0f3e4a55-0000-4000-8000-123456789abc"
    packet = xmp_packet(f"<dc:description>{alt(text)}</dc:description>")
    buf = io.BytesIO()
    noise_image().save(buf, "JPEG", xmp=packet.encode())
    found = one(buf.getvalue())
    assert found.source == "xmp:dc:description"
    assert found.model == "niji 6"


def test_midjourney_exif_description() -> None:
    found = one(with_exif("JPEG", ifd0={0x010E: MJ_DESCRIPTION}))
    assert found.source == "exif:ImageDescription"
    assert found.extra["job_id"] == "a7421d2f-b262-44f9-977c-ac23e9c7d3e3"


@pytest.mark.parametrize(
    "chunks",
    [
        {"Description": "a koi pond --ar 2:1 --v 6"},  # no job id
        {"parameters": json.dumps({"foo": 1, "prompt": "x"})},
        {"parameters": json.dumps({"c": "a prompt"})},  # Draw Things needs more than "c"
        {"parameters": "{" * 50_000},
        {"fooocus_scheme": "fooocus", "parameters": "not json"},
    ],
)
def test_others_lookalikes(chunks: dict[str, str]) -> None:
    assert findings_of(png_bytes(chunks)) == []


# ---------------------------------------------------------------------------------------------
# Running them all
# ---------------------------------------------------------------------------------------------


def test_detectors_registry() -> None:
    expected = (a1111.detect, comfyui.detect, novelai.detect, invokeai.detect, others.detect)
    assert expected == DETECTORS


def test_a_failing_detector_is_contained(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(facts: FileFacts) -> list[Finding]:
        raise RuntimeError("boom")

    monkeypatch.setattr(generators, "DETECTORS", (broken, a1111.detect, broken))
    found = detect_generators(facts_of(png_bytes({"parameters": A1111_TEXT})))
    assert [f.family for f in found] == ["a1111"]


def test_several_formats_in_one_file() -> None:
    data = png_bytes({"parameters": A1111_TEXT, "prompt": json.dumps(COMFY_GRAPH)})
    assert sorted(f.family for f in findings_of(data)) == ["a1111", "comfyui"]


@pytest.mark.parametrize("seed", range(6))
def test_fuzzed_text_chunks_never_raise(seed: int) -> None:
    rng = random.Random(seed)
    pieces = [
        A1111_TEXT, json.dumps(COMFY_GRAPH), json.dumps(NAI_V4_COMMENT), json.dumps(SWARM),
        json.dumps(INVOKE_METADATA), json.dumps(SD_METADATA), DREAM, json.dumps(WORKFLOW),
        MJ_DESCRIPTION, json.dumps(DRAW_THINGS),
    ]  # fmt: skip
    keys = ["parameters", "prompt", "workflow", "Comment", "Software", "Source", "Dream",
            "sd-metadata", "invokeai_metadata", "invokeai_graph", "Description",
            "sui_image_params", "fooocus_scheme"]  # fmt: skip
    for _ in range(20):
        chunks = {}
        for key in rng.sample(keys, 4):
            text = rng.choice(pieces)
            cut = rng.randrange(len(text) + 1)
            text = text[:cut] + "".join(chr(rng.randrange(32, 127)) for _ in range(5)) + text[cut:]
            chunks[key] = text
        facts = facts_of(png_bytes(chunks))
        for detector in DETECTORS:
            assert isinstance(detector(facts), list)


def test_random_bytes_never_raise() -> None:
    rng = random.Random(3)
    for size in (0, 1, 8, 33, 100, 1000):
        for prefix in (b"", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"RIFF\x00\x00\x00\x00WEBP"):
            data = prefix + rng.randbytes(size)
            facts = facts_of(data)
            for detector in DETECTORS:
                assert isinstance(detector(facts), list)


def test_comfyui_loader_with_both_prompts_as_text() -> None:
    # Efficiency-style nodes take both prompts as text and output both conditionings.
    graph = {
        "1": {"class_type": "Efficient Loader", "inputs": {"ckpt_name": "anything.safetensors",
              "positive": "a red kite", "negative": "lowres", "lora_name": "None"}},
        "2": {"class_type": "KSampler (Efficient)", "inputs": {"seed": 5, "steps": 20,
              "cfg": 7, "sampler_name": "euler", "scheduler": "normal", "model": ["1", 0],
              "positive": ["1", 1], "negative": ["1", 2], "latent_image": ["1", 3]}},
    }  # fmt: skip
    found = one(png_bytes({"prompt": json.dumps(graph)}))
    assert found.prompt == "a red kite"
    assert found.extra["negative_prompt"] == "lowres"
    assert found.model == "anything.safetensors"


def test_a1111_hostile_settings_line_is_fast() -> None:
    line = "Steps: 1, Seed: 2, " + ", ".join(f"k{i}: [" for i in range(600)) + "x" * 3_000_000
    start = time.perf_counter()
    params = a1111.parse_parameters("prompt\n" + line)
    assert params is not None and params.settings["Seed"] == "2"
    assert time.perf_counter() - start < 1.0


def _count_rows(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """The rows the stealth check reads from now on."""
    rows: list[bytes] = []
    real = novelai.png_row_prefixes

    def counting(*args: Any, **kwargs: Any) -> Iterator[bytes]:
        for row in real(*args, **kwargs):
            rows.append(row)
            yield row

    monkeypatch.setattr(novelai, "png_row_prefixes", counting)
    return rows


def test_stealth_check_on_a_short_image_stops_after_a_few_rows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Shorter than the 152-bit header, so a header would span several columns; but the
    # first column's first byte of bits already rules one out, and only those rows are read.
    rows = _count_rows(monkeypatch)
    facts = facts_of(stealth_png(noise_image("RGBA", (300, 100))))
    rows.clear()  # facts_of ran the detectors too
    assert novelai.read_stealth(facts) is None
    assert 0 < len(rows) <= 9


@pytest.mark.parametrize("colour, rows", [((255, 255, 255, 255), 1), ((254, 255, 255, 254), 2)])
def test_stealth_check_on_an_ordinary_picture_reads_its_first_rows_only(
    monkeypatch: pytest.MonkeyPatch, colour: tuple[int, int, int, int], rows: int
) -> None:
    # Each bit is held against the magics as it comes ("s" is 0111 0011). Opaque white fails
    # at its first pixel in both forms; a pixel whose low bits are alpha 0 and RGB 0, 1, 1
    # starts both magics, and the second pixel down (the same again) ends them.
    read = _count_rows(monkeypatch)
    facts = facts_of(stealth_png(Image.new("RGBA", (300, 400), colour)))
    read.clear()  # facts_of ran the detectors too
    assert novelai.read_stealth(facts) is None
    assert len(read) == rows


def test_stealth_in_an_image_shorter_than_a_byte_of_bits() -> None:
    # Height 5: the first column holds fewer bits than one byte of the magic.
    image = embed_stealth(noise_image("RGBA", (900, 5)), b"hi from a strip", b"stealth_pnginfo")
    found = one(stealth_png(image))
    assert found.source == "alpha:stealth_pnginfo"
    assert found.extra["excerpt"] == "hi from a strip"


@pytest.mark.parametrize("mode", ["L", "I;16", "P", "1"])
def test_grey_and_palette_pngs_are_not_opened_for_stealth(mode: str) -> None:
    # Their pixels carry no stealth form (the row reader does not take them, and Pillow's
    # modes for them have neither alpha nor RGB): the header says so without opening them.
    image = noise_image("L", (64, 64)).convert(mode)
    data = stealth_png(image)
    opened = []

    def opener() -> Image.Image:
        opened.append(True)
        return Image.open(io.BytesIO(data))

    facts = FileFacts(data, "PNG", {}, opener=opener)
    assert novelai.read_stealth(facts) is None
    assert opened == []


def test_tiny_rgb_png_is_not_opened_for_stealth(monkeypatch: pytest.MonkeyPatch) -> None:
    # As if the row reader did not take it (interlaced, 16-bit): 4x4 pixels cannot hold the
    # 152-bit header, so Pillow is not asked.
    buf = io.BytesIO()
    Image.new("RGB", (4, 4), (1, 2, 3)).save(buf, "PNG")
    data = buf.getvalue()
    monkeypatch.setattr(novelai, "_png_layout", lambda data: None)
    facts = FileFacts(data, "PNG", {}, opener=lambda: pytest.fail("opened"))
    assert novelai.read_stealth(facts) is None
