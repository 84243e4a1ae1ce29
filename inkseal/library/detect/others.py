"""Generation parameters of Fooocus, RuinedFooocus, SwarmUI, Easy Diffusion, Draw Things and
Midjourney.

* Fooocus (metadata scheme "fooocus"): a JSON object in the PNG `parameters` chunk (JPEG/WebP:
  the EXIF UserComment), with a `fooocus_scheme` chunk; keys prompt, negative_prompt,
  base_model, seed (a string), steps, sampler, scheduler, guidance_scale, resolution
  "(768, 1280)", version "Fooocus v2.4.3". Older builds used "Prompt", "Base Model"... Its
  "a1111" scheme is plain A1111 text, which the a1111 detector reads.
* RuinedFooocus: flat JSON in `parameters` with "software": "RuinedFooocus", "Prompt",
  "Negative", steps, cfg, seed, sampler_name, base_model_name, width, height.
* SwarmUI: {"sui_image_params": {prompt, negativeprompt, model, seed, steps, cfgscale, width,
  height, sampler, swarm_version...}, "sui_extra_data": ..., "sui_models": [...]} in the PNG
  `parameters` chunk or the EXIF UserComment.
* Easy Diffusion: one PNG text chunk per setting (prompt, negative_prompt, seed,
  use_stable_diffusion_model, sampler_name, num_inference_steps, guidance_scale, width,
  height), or the same as JSON, sometimes with display names ("Stable Diffusion model").
* Draw Things: XMP exif:UserComment holding JSON {"c": prompt, "uc": negative, "model",
  "sampler", "seed", "steps", "scale", "size"} (also accepted in the EXIF UserComment or a PNG
  text chunk).
* Midjourney: the PNG `Description` (or XMP dc:description, EXIF ImageDescription, IPTC caption)
  "<prompt> --ar 2:1 --v 6 Job ID: <uuid>", and the user name in `Author`.

Credit lines and creator-tool fields that merely name a generator, and Digital Source Types,
are left to the XMP/IPTC field detector.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from inkseal.library.detect.base import FileFacts, Finding
from inkseal.library.detect.common import (
    MAX_STEPS,
    as_float,
    as_int,
    as_text,
    describe,
    exif_user_comment,
    generator_finding,
    json_object,
    parse_size,
    sampling_finding,
    size_text,
    text_of,
    unique_texts,
)

# Chunks other detectors read, and XMP: never JSON parameters for the tools here.
_NOT_HERE = frozenset(
    {"prompt", "workflow", "invokeai_metadata", "invokeai_graph", "sd-metadata", "comment",
     "xml:com.adobe.xmp", "dream"}
)  # fmt: skip
_MAX_JSON_CHUNKS = 32


def _norm(data: dict[str, Any]) -> dict[str, Any]:
    """Keys lower-cased with spaces as underscores ("Base Model" -> "base_model")."""
    out: dict[str, Any] = {}
    for key, value in list(data.items())[:2000]:
        if isinstance(key, str):
            out.setdefault(key.strip().lower().replace(" ", "_"), value)
    return out


def _first(data: dict[str, Any], *keys: str) -> Any:
    for key in keys:
        if key in data and data[key] is not None:
            return data[key]
    return None


def _version_after(text: str | None, name: str) -> str | None:
    """ "v2.4.3" from "Fooocus v2.4.3"."""
    if not text or not text.lower().startswith(name.lower()):
        return None
    return as_text(text[len(name) :], 50)


# ------------------------------------------------------------------------------------------
# JSON formats
# ------------------------------------------------------------------------------------------


def _fooocus(data: dict[str, Any], source: str, scheme: str | None) -> Finding | None:
    d = _norm(data)
    version_text = as_text(d.get("version"), 100)
    is_fooocus = (
        (version_text or "").lower().startswith("fooocus")
        or str(d.get("metadata_scheme", "")).lower() == "fooocus"
        or (scheme == "fooocus" and "prompt" in d)
        or ("full_prompt" in d and "base_model" in d)
    )
    if not is_fooocus:
        return None
    model = as_text(d.get("base_model"))
    refiner = as_text(d.get("refiner_model"))
    seed = as_int(d.get("seed"))
    steps = as_int(d.get("steps"), 1, MAX_STEPS)
    cfg = as_float(d.get("guidance_scale"))
    sampler = as_text(d.get("sampler"), 100)
    size = parse_size(d.get("resolution"))
    detail = describe(
        [("Steps", steps), ("Sampler", sampler), ("Guidance", cfg), ("Seed", seed),
         ("Size", size), ("Model", model), ("Performance", as_text(d.get("performance"), 50))]
    )  # fmt: skip
    return generator_finding(
        source,
        "fooocus",
        "Fooocus",
        tool_version=_version_after(version_text, "Fooocus") or version_text,
        model=model,
        prompt=as_text(d.get("prompt"), 100_000),
        detail=detail,
        extra={
            "seed": seed,
            "steps": steps,
            "sampler": sampler,
            "scheduler": as_text(d.get("scheduler"), 100),
            "cfg": cfg,
            "size": size,
            "model_hash": as_text(d.get("base_model_hash"), 100),
            "refiner": refiner if refiner and refiner.lower() != "none" else None,
            "styles": as_text(d.get("styles"), 500),
            "negative_prompt": as_text(d.get("negative_prompt"), 100_000),
        },
    )


def _ruined_fooocus(data: dict[str, Any], source: str) -> Finding | None:
    d = _norm(data)
    if str(d.get("software", "")).strip().lower() != "ruinedfooocus":
        return None
    return sampling_finding(
        source,
        "fooocus",
        "RuinedFooocus",
        model=as_text(d.get("base_model_name")),
        prompt=as_text(d.get("prompt"), 100_000),
        seed=as_int(d.get("seed")),
        steps=as_int(d.get("steps"), 1, MAX_STEPS),
        sampler=as_text(d.get("sampler_name"), 100),
        cfg=as_float(d.get("cfg")),
        size=size_text(d.get("width"), d.get("height")),
        extra={
            "scheduler": as_text(d.get("scheduler"), 100),
            "model_hash": as_text(d.get("base_model_hash"), 100),
            "negative_prompt": as_text(d.get("negative"), 100_000),
        },
    )


def _swarmui(data: dict[str, Any], source: str) -> Finding | None:
    params = data.get("sui_image_params")
    if not isinstance(params, dict):
        return None
    p = _norm(params)
    return sampling_finding(
        source,
        "swarmui",
        "SwarmUI",
        tool_version=as_text(p.get("swarm_version"), 50),
        model=as_text(p.get("model")),
        prompt=as_text(p.get("prompt"), 100_000),
        seed=as_int(p.get("seed")),
        steps=as_int(p.get("steps"), 1, MAX_STEPS),
        sampler=as_text(p.get("sampler"), 100),
        cfg=as_float(p.get("cfgscale")),
        cfg_label="CFG scale",
        size=size_text(p.get("width"), p.get("height")),
        extra={
            "scheduler": as_text(p.get("scheduler"), 100),
            "negative_prompt": as_text(p.get("negativeprompt"), 100_000),
        },
    )


def _is_easy_diffusion(d: dict[str, Any]) -> bool:
    return "use_stable_diffusion_model" in d or "stable_diffusion_model" in d


def _easy_diffusion(data: dict[str, Any], source: str) -> Finding | None:
    d = _norm(data)
    if not _is_easy_diffusion(d):
        return None
    return sampling_finding(
        source,
        "easydiffusion",
        "Easy Diffusion",
        model=as_text(_first(d, "use_stable_diffusion_model", "stable_diffusion_model")),
        prompt=as_text(d.get("prompt"), 100_000),
        seed=as_int(d.get("seed")),
        steps=as_int(_first(d, "num_inference_steps", "steps"), 1, MAX_STEPS),
        sampler=as_text(_first(d, "sampler_name", "sampler"), 100),
        cfg=as_float(d.get("guidance_scale")),
        cfg_label="Guidance",
        size=size_text(d.get("width"), d.get("height")),
        extra={
            "vae": as_text(_first(d, "use_vae_model", "vae_model"), 300),
            "negative_prompt": as_text(d.get("negative_prompt"), 100_000),
        },
    )


def _draw_things(data: dict[str, Any], source: str) -> Finding | None:
    prompt = data.get("c")
    if not isinstance(prompt, str) or "sampler" not in data:
        return None
    if not any(k in data for k in ("seed", "steps", "scale", "model")):
        return None
    return sampling_finding(
        source,
        "drawthings",
        "Draw Things",
        model=as_text(data.get("model")),
        prompt=as_text(prompt, 100_000),
        seed=as_int(data.get("seed")),
        steps=as_int(data.get("steps"), 1, MAX_STEPS),
        sampler=as_text(data.get("sampler"), 100),
        cfg=as_float(data.get("scale")),
        cfg_label="Scale",
        size=parse_size(data.get("size")),
        extra={
            "strength": as_float(data.get("strength"), 0.0, 1.0),
            "seed_mode": as_text(data.get("seed_mode"), 50),
            "negative_prompt": as_text(data.get("uc"), 100_000),
        },
    )


def _json_sources(facts: FileFacts) -> Iterator[tuple[str, str]]:
    count = 0
    for chunk in facts.png_texts:
        if chunk.keyword.lower() in _NOT_HERE or not chunk.text.lstrip().startswith("{"):
            continue
        count += 1
        if count > _MAX_JSON_CHUNKS:
            break
        yield f"png:{chunk.keyword}", chunk.text
    comment = exif_user_comment(facts)
    if comment and comment.lstrip().startswith("{"):
        yield "exif:UserComment", comment
    xmp_comment = text_of(facts.xmp.get("exif:UserComment"))
    if xmp_comment and xmp_comment.lstrip().startswith("{"):
        yield "xmp:exif:UserComment", xmp_comment


def _json_findings(facts: FileFacts) -> list[Finding]:
    scheme_chunk = facts.png_text("fooocus_scheme")
    scheme = scheme_chunk[1].strip().lower() if scheme_chunk else None
    findings: list[Finding] = []
    for source, text in unique_texts(_json_sources(facts)):
        data = json_object(text)
        if data is None:
            continue
        found = (
            _swarmui(data, source)
            or _ruined_fooocus(data, source)
            or _fooocus(data, source, scheme)
            or _easy_diffusion(data, source)
            or _draw_things(data, source)
        )
        if found is not None:
            findings.append(found)
    return findings


def _easy_diffusion_chunks(facts: FileFacts) -> list[Finding]:
    """Easy Diffusion's PNG form: one text chunk per setting."""
    chunks: dict[str, str] = {}
    for t in facts.png_texts[:200]:
        chunks.setdefault(t.keyword, t.text)
    model_keys = {"use_stable_diffusion_model", "stable_diffusion_model"}
    model_key = next((k for k in chunks if k.strip().lower().replace(" ", "_") in model_keys), None)
    if model_key is None or "prompt" not in _norm(chunks):
        return []
    source = f"png:{model_key}"
    found = _easy_diffusion(chunks, source)
    return [found] if found is not None else []


# ------------------------------------------------------------------------------------------
# Midjourney
# ------------------------------------------------------------------------------------------

_JOB_ID = re.compile(
    r"Job ID:\s*([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})", re.IGNORECASE
)
_MJ_VERSION = re.compile(r"--(v|version|niji)\s+([0-9][\w.]{0,10})", re.IGNORECASE)
_MJ_ASPECT = re.compile(r"--(?:ar|aspect)\s+(\d{1,4}:\d{1,4})", re.IGNORECASE)


def _midjourney_texts(facts: FileFacts) -> Iterator[tuple[str, str]]:
    for t in facts.png_texts:
        if t.keyword.lower() == "description":
            yield "png:Description", t.text
    description = text_of(facts.xmp.get("dc:description"))
    if description:
        yield "xmp:dc:description", description
    image_description = facts.exif.get("Image ImageDescription")
    if isinstance(image_description, str):
        yield "exif:ImageDescription", image_description
    caption = text_of(facts.iptc.get("Caption-Abstract"))
    if caption:
        yield "iptc:Caption-Abstract", caption


def _midjourney(facts: FileFacts) -> list[Finding]:
    for source, text in _midjourney_texts(facts):
        match = _JOB_ID.search(text[:100_000])
        if match is None:
            continue
        prompt = text[: match.start()].strip() or None
        version = _MJ_VERSION.search(prompt or "")
        aspect = _MJ_ASPECT.search(prompt or "")
        model = None
        tool_version = None
        if version:
            tool_version = version.group(2)
            niji = version.group(1).lower() == "niji"
            model = f"niji {tool_version}" if niji else f"Midjourney v{tool_version}"
        author = facts.png_text("Author")
        return [
            generator_finding(
                source,
                "midjourney",
                "Midjourney",
                tool_version=tool_version,
                model=model,
                prompt=prompt,
                detail=describe([("Job ID", match.group(1).lower()), ("Model", model)]),
                extra={
                    "job_id": match.group(1).lower(),
                    "aspect_ratio": aspect.group(1) if aspect else None,
                    "author": as_text(author[1], 100) if author else None,
                },
            )
        ]
    return []


def detect(facts: FileFacts) -> list[Finding]:
    """Fooocus, RuinedFooocus, SwarmUI, Easy Diffusion, Draw Things and Midjourney."""
    return _json_findings(facts) + _easy_diffusion_chunks(facts) + _midjourney(facts)
