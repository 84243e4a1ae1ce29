"""Helpers the generator detectors share (a1111, comfyui, novelai, invokeai, others):
bounded JSON loading, number and text checks, and building a generator Finding."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from inkseal.library.detect.base import FileFacts, Finding

# Texts longer than this are not parsed at all (PNG text chunks are already capped at 4 MiB).
MAX_TEXT = 4 * 1024 * 1024
# Longest string kept in a Finding's extra dict (the negative prompt can be long).
MAX_EXTRA_TEXT = 2000
MAX_SEED = 2**64
MAX_STEPS = 10_000
MAX_CFG = 100.0
MAX_SIDE = 100_000


def load_json(text: str | None) -> Any:
    """The JSON value in `text`, or None when it is missing, too big or not JSON."""
    if not text or len(text) > MAX_TEXT:
        return None
    text = text.strip().lstrip("\ufeff")
    if not text or text[0] not in "{[":
        return None
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def json_object(text: str | None) -> dict[str, Any] | None:
    """The JSON object in `text`, or None."""
    value = load_json(text)
    return value if isinstance(value, dict) else None


def as_int(value: Any, low: int = 0, high: int = MAX_SEED) -> int | None:
    """`value` as a whole number within [low, high], or None (booleans are not numbers)."""
    if isinstance(value, bool):
        return None
    number: int | None = None
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if math.isfinite(value) and value.is_integer():
            number = int(value)
    elif isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"[+-]?\d{1,24}", text):
            number = int(text)
        elif re.fullmatch(r"[+-]?\d{1,24}\.0*", text):
            number = int(text.split(".")[0])
    if number is None or not low <= number <= high:
        return None
    return number


def as_float(value: Any, low: float = 0.0, high: float = MAX_CFG) -> float | None:
    """`value` as a finite number within [low, high], or None."""
    if isinstance(value, bool):
        return None
    number: float | None = None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str) and len(value) <= 40:
        try:
            number = float(value.strip())
        except ValueError:
            return None
    if number is None or not math.isfinite(number) or not low <= number <= high:
        return None
    return int(number) if number.is_integer() and abs(number) < 2**53 else number


def as_text(value: Any, limit: int = 300) -> str | None:
    """`value` as a stripped, non-empty string of at most `limit` characters, or None."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text:
        return None
    return text if len(text) <= limit else text[: limit - 1] + "…"


def size_text(width: Any, height: Any) -> str | None:
    """ "WxH" when both sides are sensible pixel counts, else None."""
    w, h = as_int(width, 1, MAX_SIDE), as_int(height, 1, MAX_SIDE)
    return f"{w}x{h}" if w and h else None


def parse_size(value: Any) -> str | None:
    """A "512x768" / "(768, 1280)" / [768, 1280] size as "WxH", or None."""
    if isinstance(value, list | tuple) and len(value) == 2:
        return size_text(value[0], value[1])
    if isinstance(value, str):
        m = re.fullmatch(r"\s*\(?\s*(\d{1,6})\s*[x×,*]\s*(\d{1,6})\s*\)?\s*", value)
        if m:
            return size_text(m.group(1), m.group(2))
    return None


def text_of(value: Any) -> str | None:
    """A metadata value (a string, or a list such as an XMP rdf:Alt) as one string."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        for item in value:
            if isinstance(item, str) and item.strip():
                return item
    return None


def clean_extra(extra: Mapping[str, Any]) -> dict[str, Any]:
    """`extra` without empty values, with long strings and lists cut down to size."""
    out: dict[str, Any] = {}
    for key, value in extra.items():
        if value is None or value == "" or value == [] or value == {}:
            continue
        if isinstance(value, str):
            value = as_text(value, MAX_EXTRA_TEXT)
            if value is None:
                continue
        elif isinstance(value, list):
            value = [as_text(v) if isinstance(v, str) else v for v in value[:20]]
        out[key] = value
    return out


def describe(pairs: Iterable[tuple[str, Any]]) -> str | None:
    """ "Steps: 20, Sampler: Euler a, ..." from the pairs that have a value."""
    parts = [f"{k}: {v}" for k, v in pairs if v is not None and v != ""]
    return ", ".join(parts) or None


def generator_finding(
    source: str,
    family: str,
    tool: str | None,
    *,
    tool_version: str | None = None,
    model: str | None = None,
    prompt: str | None = None,
    detail: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Finding:
    """A Finding for generation parameters: unsigned metadata that says "made by a generator"."""
    return Finding(
        source=source,
        family=family,
        tool=tool,
        tool_version=tool_version,
        model=model,
        prompt=prompt,
        verdict="ai-generated",
        detail=detail,
        verified=None,
        extra=clean_extra(extra or {}),
    )


def exif_user_comment(facts: FileFacts) -> str | None:
    """The decoded EXIF UserComment of the file, if it has a non-empty one."""
    value = facts.exif.get("EXIF UserComment")
    return value if isinstance(value, str) and value.strip() else None


def unique_texts(texts: Iterable[tuple[str, str]]) -> Iterator[tuple[str, str]]:
    """(source, text) pairs with repeated texts left out (the first source wins)."""
    seen: set[str] = set()
    for source, text in texts:
        key = text.strip()
        if key and key not in seen:
            seen.add(key)
            yield source, text


def sampling_finding(
    source: str,
    family: str,
    tool: str,
    *,
    model: str | None,
    prompt: str | None,
    seed: int | None,
    steps: int | None,
    sampler: str | None,
    cfg: float | None,
    size: str | None,
    cfg_label: str = "CFG",
    tool_version: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Finding:
    """A generator Finding from the usual sampling settings: the detail line reads
    "Steps: …, Sampler: …, <cfg_label>: …, Seed: …, Size: …, Model: …" and the same values
    go into `extra` beside whatever else the tool records."""
    return generator_finding(
        source,
        family,
        tool,
        tool_version=tool_version,
        model=model,
        prompt=prompt,
        detail=describe(
            [
                ("Steps", steps),
                ("Sampler", sampler),
                (cfg_label, cfg),
                ("Seed", seed),
                ("Size", size),
                ("Model", model),
            ]
        ),  # fmt: skip
        extra={
            "seed": seed,
            "steps": steps,
            "sampler": sampler,
            "cfg": cfg,
            "size": size,
            **(extra or {}),
        },
    )
