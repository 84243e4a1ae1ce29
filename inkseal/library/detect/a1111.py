"""AUTOMATIC1111-style generation parameters, and helpers the other generator detectors share.

The AUTOMATIC1111 web UI and the tools that copy its format (Forge, reForge, SD.Next, Civitai,
Fooocus in its "a1111" scheme, some ComfyUI save nodes) write one block of text:

    a photo of a duck, <lora:foo:0.6>
    Negative prompt: monochrome
    Steps: 15, Sampler: UniPC, CFG scale: 5, Seed: 235284042, Size: 512x400, Model: realistic

The prompt may span many lines; the settings line is a comma-separated list of "Key: value"
pairs whose values may be quoted ("Lora hashes: "a: 1, b: 2"") or JSON ("Civitai resources:
[{...}]"). PNG files keep it in a `parameters` text chunk (tEXt, zTXt or iTXt, sometimes after
the image data); JPEG and WebP files in the EXIF UserComment, which metadata.py has already
decoded from its UNICODE / ASCII header.

A text counts as A1111 parameters only when its settings line starts with "Steps: <number>" and
also names a sampler or a seed: a UserComment that merely exists says nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from inkseal.library.detect.base import FileFacts, Finding
from inkseal.library.detect.common import (
    MAX_STEPS,
    MAX_TEXT,
    as_float,
    as_int,
    as_text,
    describe,
    exif_user_comment,
    generator_finding,
    load_json,
    parse_size,
    unique_texts,
)

FAMILY = "a1111"


# ------------------------------------------------------------------------------------------
# The A1111 text format
# ------------------------------------------------------------------------------------------

_STEPS_LINE = re.compile(r"\s*Steps:\s*\d")
_NEGATIVE = "Negative prompt:"
_KEY = re.compile(r"[A-Za-z][\w \-/().+]{0,63}")
_MAX_SETTINGS = 500
_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_JSON_DECODER = json.JSONDecoder()
_VALUE_WINDOW = 64 * 1024
_MAX_SETTINGS_LINE = 256 * 1024


@dataclass(frozen=True)
class A1111Params:
    """One parsed A1111 parameters text."""

    prompt: str | None
    negative_prompt: str | None
    settings: dict[str, str] = field(default_factory=dict)

    def get(self, key: str) -> str | None:
        return self.settings.get(key)


def parse_parameters(text: str | None) -> A1111Params | None:
    """Parse A1111-style parameters text; None when `text` is not in that format."""
    if not text or len(text) > MAX_TEXT:
        return None
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip("\x00 \n\t\ufeff")
    if not text or text[0] in "{[":
        return None  # JSON: Fooocus, SwarmUI and others, read elsewhere
    lines = text.split("\n")
    index = next((i for i in range(len(lines) - 1, -1, -1) if _STEPS_LINE.match(lines[i])), None)
    if index is None:
        return None
    settings = parse_settings(lines[index])
    if as_int(settings.get("Steps"), 1, MAX_STEPS) is None:
        return None
    if "Sampler" not in settings and "Seed" not in settings:
        return None
    head = lines[:index]
    negative: str | None = None
    neg_at = next((i for i, line in enumerate(head) if line.lstrip().startswith(_NEGATIVE)), None)
    if neg_at is not None:
        neg_lines = head[neg_at:]
        neg_lines[0] = neg_lines[0].lstrip()[len(_NEGATIVE) :]
        negative = "\n".join(neg_lines).strip() or None
        head = head[:neg_at]
    prompt = "\n".join(head).strip() or None
    return A1111Params(prompt=prompt, negative_prompt=negative, settings=settings)


def parse_settings(line: str) -> dict[str, str]:
    """The "Key: value, Key: value" pairs of a settings line (first occurrence of a key wins).

    Values may be double-quoted (with backslash escapes) or a JSON list/object; both may hold
    commas. A piece that is not "Key: value" is skipped up to the next comma.
    """
    out: dict[str, str] = {}
    line = line[:_MAX_SETTINGS_LINE]
    n = len(line)
    pos = 0
    while pos < n and len(out) < _MAX_SETTINGS:
        while pos < n and line[pos] in ", \t":
            pos += 1
        if pos >= n:
            break
        key_match = _KEY.match(line, pos)
        colon = key_match.end() if key_match else -1
        if key_match is None or colon >= n or line[colon] != ":":
            comma = line.find(",", pos)
            pos = n if comma < 0 else comma + 1
            continue
        key = key_match.group(0).strip()
        pos = colon + 1
        while pos < n and line[pos] == " ":
            pos += 1
        value, pos = _read_value(line, pos)
        if key and key not in out:
            out[key] = value.strip()
    return out


def _read_value(line: str, pos: int) -> tuple[str, int]:
    """The value starting at `pos` and the position after it.

    Quoted and JSON values are looked for within a window, so that a line full of unclosed
    quotes or brackets cannot make each of its pairs scan to the end of a huge line.
    """
    n = len(line)
    window = min(n, pos + _VALUE_WINDOW)
    if pos < n and line[pos] == '"':
        quoted = _QUOTED.match(line, pos, window)
        if quoted is not None:
            raw = quoted.group(0)
            try:
                decoded = json.loads(raw)
            except (ValueError, RecursionError):
                decoded = raw[1:-1]
            return (decoded if isinstance(decoded, str) else raw[1:-1]), quoted.end()
    if pos < n and line[pos] in "[{":
        try:
            _, length = _JSON_DECODER.raw_decode(line[pos:window])
        except (ValueError, RecursionError):
            length = 0
        if length:
            return line[pos : pos + length], pos + length
    comma = line.find(",", pos)
    end = n if comma < 0 else comma
    return line[pos:end], end


def identify_tool(settings: Mapping[str, str]) -> tuple[str, str | None]:
    """(product, version) that wrote an A1111-style settings line, from its own fields."""
    version = as_text(settings.get("Version"), 120)
    app = (settings.get("App") or "").strip().lower()
    if "sd.next" in app or "sdnext" in app:
        return "SD.Next", version
    if version:
        low = version.lower()
        if low.startswith("fooocus"):
            return "Fooocus", as_text(version[len("fooocus") :], 120)
        if low == "comfyui":
            return "ComfyUI", None
        if re.match(r"f\d", low) or low.startswith(("forge", "neo")):
            return "Forge", version
        if re.match(r"v?\d+\.\d+", low):
            return "AUTOMATIC1111 web UI", version
        if re.fullmatch(r"[0-9a-f]{7,10}", low):
            return "SD.Next", version  # SD.Next used to write its short git hash
    if "Civitai resources" in settings or "Civitai metadata" in settings:
        return "Civitai", version
    return "AUTOMATIC1111 web UI", version


def _civitai_checkpoint(settings: Mapping[str, str]) -> str | None:
    resources = load_json(settings.get("Civitai resources"))
    if not isinstance(resources, list):
        return None
    for item in resources[:50]:
        if isinstance(item, dict) and item.get("type") == "checkpoint":
            name = as_text(item.get("modelName"))
            version = as_text(item.get("modelVersionName"))
            if name:
                return f"{name} {version}" if version else name
    return None


def finding_from_params(params: A1111Params, source: str, *, family: str = FAMILY) -> Finding:
    """The Finding for parsed A1111 parameters found at `source`."""
    s = params.settings
    tool, version = identify_tool(s)
    steps = as_int(s.get("Steps"), 1, MAX_STEPS)
    seed = as_int(s.get("Seed"))
    cfg = as_float(s.get("CFG scale"))
    sampler = as_text(s.get("Sampler"), 100)
    size = parse_size(s.get("Size"))
    model = as_text(s.get("Model")) or _civitai_checkpoint(s)
    detail = describe(
        [("Steps", steps), ("Sampler", sampler), ("CFG scale", cfg), ("Seed", seed),
         ("Size", size), ("Model", model), ("Version", version)]
    )  # fmt: skip
    return generator_finding(
        source,
        family,
        tool,
        tool_version=version,
        model=model,
        prompt=params.prompt,
        detail=detail,
        extra={
            "seed": seed,
            "steps": steps,
            "sampler": sampler,
            "scheduler": as_text(s.get("Schedule type"), 100),
            "cfg": cfg,
            "size": size,
            "model_hash": as_text(s.get("Model hash"), 100),
            "denoising_strength": as_float(s.get("Denoising strength"), 0.0, 1.0),
            "clip_skip": as_int(s.get("Clip skip"), 1, 100),
            "negative_prompt": params.negative_prompt,
        },
    )


def parse_finding(text: str | None, source: str, *, family: str = FAMILY) -> Finding | None:
    """The Finding for `text` if it is A1111 parameters, else None."""
    params = parse_parameters(text)
    return finding_from_params(params, source, family=family) if params else None


# ------------------------------------------------------------------------------------------
# The detector
# ------------------------------------------------------------------------------------------


def _candidates(facts: FileFacts) -> Iterator[tuple[str, str]]:
    for chunk in facts.png_texts:
        if chunk.keyword.lower() == "parameters":
            yield "png:parameters", chunk.text
    comment = exif_user_comment(facts)
    if comment:
        yield "exif:UserComment", comment
    comments = facts.metadata.get("comments")
    if isinstance(comments, list):
        for text in comments[:16]:
            if isinstance(text, str):
                yield "comment", text


def detect(facts: FileFacts) -> list[Finding]:
    """A1111-style parameters in PNG `parameters` chunks, EXIF UserComment and comments."""
    findings: list[Finding] = []
    for source, text in unique_texts(_candidates(facts)):
        found = parse_finding(text, source)
        if found is not None:
            findings.append(found)
    return findings
