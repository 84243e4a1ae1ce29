"""What XMP, IPTC and EXIF text fields say: Digital Source Type, IPTC 2025.1 AI fields,
credit lines that say AI-generated, and software fields that name an AI generator."""

from __future__ import annotations

import re
from typing import Any

from inkseal.library.detect.base import FileFacts, Finding
from inkseal.library.detect.sourcetypes import TERMS, describe, term_of

FAMILY = "metadata"

# Image generators: a file whose software or creator-tool field names one of these was made
# by it. Editors with AI features (Photoshop, Lightroom) are deliberately not listed.
AI_GENERATORS: dict[str, str] = {
    "midjourney": "Midjourney",
    "dall-e": "DALL·E",
    "dall·e": "DALL·E",
    "dalle": "DALL·E",
    "stable diffusion": "Stable Diffusion",
    "stablediffusion": "Stable Diffusion",
    "sdxl": "Stable Diffusion XL",
    "novelai": "NovelAI",
    "adobe firefly": "Adobe Firefly",
    "google imagen": "Google Imagen",
    "leonardo.ai": "Leonardo.Ai",
    "ideogram": "Ideogram",
    "flux.1": "FLUX.1",
    "comfyui": "ComfyUI",
    "automatic1111": "AUTOMATIC1111",
    "invokeai": "InvokeAI",
    "fooocus": "Fooocus",
    "bing image creator": "Bing Image Creator",
    "image creator from designer": "Microsoft Designer",
    "craiyon": "Craiyon",
    "nightcafe": "NightCafe",
    "dreamstudio": "DreamStudio",
    "playground ai": "Playground AI",
    "krea ai": "Krea",
    "chatgpt": "ChatGPT",
    "gpt-4o": "GPT-4o",
    "gpt-image": "GPT Image",
    "dreamshaper": "DreamShaper",
    "draw things": "Draw Things",
    "diffusionbee": "DiffusionBee",
}
# The word boundaries stand outside the alternation: checked once a position, not once a name
# (fourteen times faster on the tool names of ordinary files).
_GENERATOR_RE = re.compile(
    r"(?<![a-z0-9])(?:" + "|".join(re.escape(k) for k in AI_GENERATORS) + r")(?![a-z0-9])",
    re.IGNORECASE,
)
# Credit and description lines in which people say an image is AI-generated.
_AI_CREDIT_RE = re.compile(
    r"\b(ai[- ]generated|generated (?:with|by|using) (?:an? )?ai|made with ai|"
    r"created (?:with|by|using) (?:an? )?(?:generative )?ai|generative ai|"
    r"ai[- ]generiert|généré par (?:l')?ia|ai生成|ai 生成|生成ai|ai作成)\b",
    re.IGNORECASE,
)

# XMP keys (as metadata.py names them) that hold a Digital Source Type.
SOURCE_TYPE_KEYS = ("Iptc4xmpExt:DigitalSourceType", "plus:DigitalSourceType")
# IPTC Photo Metadata 2025.1 AI fields.
AI_SYSTEM_KEYS = ("Iptc4xmpExt:AISystemUsed",)
AI_VERSION_KEYS = ("Iptc4xmpExt:AISystemVersionUsed",)
AI_PROMPT_KEYS = ("Iptc4xmpExt:AIPromptInformation",)
AI_PROMPT_WRITER_KEYS = ("Iptc4xmpExt:AIPromptWriterName",)
CREDIT_KEYS = ("photoshop:Credit", "Iptc4xmpCore:CreditLine", "dc:description", "dc:rights")
TOOL_KEYS = ("xmp:CreatorTool", "tiff:Software", "exif:Software")
EXIF_TOOL_KEYS = ("Image Software", "Image ImageDescription", "Image Artist", "Image Make")
IPTC_CREDIT_KEYS = ("Credit", "Caption-Abstract", "Source", "OriginatingProgram")


def _texts(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def _first(d: dict[str, Any], keys: tuple[str, ...]) -> tuple[str, str] | None:
    for key in keys:
        for text in _texts(d.get(key)):
            if text.strip():
                return key, text.strip()
    return None


# "DALL·E" loses its middle dot in ASCII-only fields ("DALL?E", "DALL E").
_DALLE_RE = re.compile(r"(?<![a-z0-9])dall.?e(?![a-z0-9])", re.IGNORECASE)


# Plain ASCII text that holds none of these (in any case) cannot match either pattern, and
# most fields are such text: a few substring searches spare a regex that tries every name
# at every position. "dall" stands for every spelling of DALL·E, the only non-ASCII name.
_ASCII_HINTS = ("dall", *(name for name in AI_GENERATORS if not name.startswith("dall")))
# Likewise for the credit pattern: every alternative ASCII text can match holds one of these.
_CREDIT_HINTS = ("gener", "made with ai", "created")


def _maybe(text: str, hints: tuple[str, ...]) -> bool:
    """False only when `text` is ASCII and holds none of `hints`, whatever its case."""
    if not text.isascii():
        return True  # case folding beyond ASCII ("ſ" is an "s" to the pattern): ask it
    low = text.lower()
    return any(map(low.__contains__, hints))


def _says_ai_made(text: str) -> bool:
    return _maybe(text, _CREDIT_HINTS) and _AI_CREDIT_RE.search(text) is not None


def _label(matched: str) -> str:
    """The generator's name for text the pattern matched, also where case folding went
    beyond ASCII ("ſdxl", "MİDJOURNEY"), which str.lower() does not undo."""
    label = AI_GENERATORS.get(matched.lower())
    if label is not None:
        return label
    for name, label in AI_GENERATORS.items():
        if re.fullmatch(re.escape(name), matched, re.IGNORECASE):
            return label
    return matched


def _generator_named(text: str) -> str | None:
    if not _maybe(text, _ASCII_HINTS):
        return None
    m = _GENERATOR_RE.search(text)
    if m:
        return _label(m.group(0))
    return "DALL·E" if _DALLE_RE.search(text) else None


def _source_type_findings(xmp: dict[str, Any]) -> list[Finding]:
    found: list[Finding] = []
    for key in SOURCE_TYPE_KEYS:
        for raw in _texts(xmp.get(key)):
            term = term_of(raw)
            if term is None:
                # Placeholders such as "nil" are common; say what is there without judging.
                if raw.strip() and raw.strip().lower() not in ("nil", "none", "null", "-"):
                    found.append(
                        Finding(
                            source=f"xmp:{key}",
                            family=FAMILY,
                            detail=f"unrecognised digital source type {raw.strip()[:100]!r}",
                        )
                    )
                continue
            verdict = TERMS[term][0]
            found.append(
                Finding(
                    source=f"xmp:{key}",
                    family=FAMILY,
                    verdict=verdict,
                    detail=f"IPTC digital source type {describe(term)}",
                    extra={"digital_source_type": term},
                )
            )
    return found


def _ai_fields_finding(xmp: dict[str, Any]) -> Finding | None:
    system = _first(xmp, AI_SYSTEM_KEYS)
    version = _first(xmp, AI_VERSION_KEYS)
    prompt = _first(xmp, AI_PROMPT_KEYS)
    writer = _first(xmp, AI_PROMPT_WRITER_KEYS)
    if not (system or prompt):
        return None
    return Finding(
        source="xmp:Iptc4xmpExt:AISystemUsed" if system else "xmp:Iptc4xmpExt:AIPromptInformation",
        family=FAMILY,
        tool=system[1] if system else None,
        tool_version=version[1] if version else None,
        prompt=prompt[1] if prompt else None,
        verdict="ai-generated",
        detail="IPTC AI fields: "
        + ", ".join(
            part
            for part in (
                f"system {system[1]}" if system else "",
                f"version {version[1]}" if version else "",
                "prompt given" if prompt else "",
                f"prompt by {writer[1]}" if writer else "",
            )
            if part
        ),
    )


def _places(fields: dict[str, Any], keys: tuple[str, ...], prefix: str) -> list[tuple[str, str]]:
    """(source, text) of every text under `keys` in `fields`, in the order of `keys`."""
    places: list[tuple[str, str]] = []
    for key in keys:
        value = fields.get(key)
        if value is not None:  # most files have few of these fields: skip the rest cheaply
            places += [(f"{prefix}:{key}", t) for t in _texts(value)]
    return places


def _credit_findings(facts: FileFacts) -> list[Finding]:
    found: list[Finding] = []
    places = _places(facts.xmp, CREDIT_KEYS, "xmp") + _places(facts.iptc, IPTC_CREDIT_KEYS, "iptc")
    for source, text in places:
        if _says_ai_made(text):
            found.append(
                Finding(
                    source=source,
                    family=FAMILY,
                    tool=_generator_named(text),
                    verdict="ai-generated",
                    detail=f"says {text[:200]!r}",
                )
            )
            break  # one credit line saying so is enough
    return found


def _tool_findings(facts: FileFacts) -> list[Finding]:
    places = _places(facts.xmp, TOOL_KEYS, "xmp")
    exif = facts.exif
    for key in EXIF_TOOL_KEYS:
        value = exif.get(key)
        if isinstance(value, str):
            places.append((f"exif:{key.split(' ', 1)[1]}", value))
    places += _places(facts.iptc, ("OriginatingProgram",), "iptc")
    for source, text in places:
        # Generator parameters (prompt JSON, A1111 text) in these fields belong to the
        # generator detectors; here only short names of tools count.
        if len(text) > 300 or text.lstrip().startswith(("{", "prompt:", "workflow:")):
            continue
        tool = _generator_named(text)
        if tool:
            return [
                Finding(
                    source=source,
                    family=FAMILY,
                    tool=tool,
                    verdict="ai-generated",
                    detail=f"{source.split(':', 1)[1]} names an AI image generator: {text[:120]!r}",
                )
            ]
    return []


def _camera_finding(facts: FileFacts) -> list[Finding]:
    """EXIF that names the camera which took the picture: weak, unsigned evidence of a
    capture, but what a photographer's files normally carry."""
    exif = facts.exif
    make = (exif.get("Image Make") or "").strip()
    model = (exif.get("Image Model") or "").strip()
    if not make or not model or len(make) > 80 or len(model) > 120:
        return []
    if _generator_named(make) or _generator_named(model) or make.startswith(("{", "prompt:")):
        return []
    taken = exif.get("EXIF DateTimeOriginal")
    return [
        Finding(
            source="exif:Make",
            family=FAMILY,
            tool=f"{make} {model}" if not model.lower().startswith(make.lower()) else model,
            verdict="human-made",
            detail=f"EXIF names the camera {make} {model}" + (f", taken {taken}" if taken else ""),
        )
    ]


def detect(facts: FileFacts) -> list[Finding]:
    """Findings from XMP, IPTC IIM and EXIF text fields."""
    xmp = facts.xmp
    found: list[Finding] = []
    if xmp:  # most files have no XMP: skip what reads only it
        found += _source_type_findings(xmp)
        ai_fields = _ai_fields_finding(xmp)
        if ai_fields:
            found.append(ai_fields)
    if xmp or facts.iptc:
        found += _credit_findings(facts)
    found += _tool_findings(facts)
    if not any(f.verdict in ("ai-generated", "ai-assisted") for f in found):
        found += _camera_finding(facts)
    return found
