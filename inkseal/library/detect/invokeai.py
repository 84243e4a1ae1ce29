"""InvokeAI generation metadata, in the forms its versions have written into PNG text chunks.

* `invokeai_metadata` (3.x and later): a JSON object with positive_prompt, negative_prompt,
  model {"model_name" | "name", "base_model" | "base"}, seed, steps, cfg_scale, scheduler,
  width, height, generation_mode and, in recent versions, app_version.
* `invokeai_graph` (3.x and later): the node graph that ran, {"nodes": {...}, "edges": [...]};
  read only when the metadata chunk is missing.
* `sd-metadata` (2.x): {"model_weights", "app_id", "app_version", "image": {"prompt": [{"prompt",
  "weight"}] or a string, "seed", "steps", "cfg_scale", "sampler", "width", "height", "type"}}.
* `Dream` (the original "dream" script and InvokeAI 1.x/2.x): the command line that made the
  image, e.g. '"a prompt" -s 50 -S 1234 -W 512 -H 768 -C 7.5 -A k_lms'.

One image gets one Finding: `invokeai_metadata` is preferred, then `sd-metadata`, then the graph
or the Dream line.
"""

from __future__ import annotations

import re
from typing import Any

from inkseal.library.detect.base import FileFacts, Finding
from inkseal.library.detect.common import (
    MAX_STEPS,
    as_float,
    as_int,
    as_text,
    describe,
    generator_finding,
    json_object,
    size_text,
)

FAMILY = "invokeai"
TOOL = "InvokeAI"

_MAX_GRAPH_NODES = 2_000


def _model_name(value: Any) -> str | None:
    if isinstance(value, dict):
        return as_text(value.get("model_name")) or as_text(value.get("name"))
    return as_text(value)


def _finding(
    source: str,
    *,
    version: str | None,
    model: str | None,
    prompt: str | None,
    negative: str | None,
    seed: int | None,
    steps: int | None,
    cfg: float | None,
    sampler: str | None,
    size: str | None,
    mode: str | None = None,
) -> Finding:
    detail = describe(
        [("Steps", steps), ("Sampler", sampler), ("CFG scale", cfg), ("Seed", seed),
         ("Size", size), ("Model", model), ("Mode", mode)]
    )  # fmt: skip
    return generator_finding(
        source,
        FAMILY,
        TOOL,
        tool_version=version,
        model=model,
        prompt=prompt,
        detail=detail,
        extra={
            "seed": seed,
            "steps": steps,
            "cfg": cfg,
            "sampler": sampler,
            "size": size,
            "generation_mode": mode,
            "negative_prompt": negative,
        },
    )


def from_metadata(meta: dict[str, Any], source: str = "png:invokeai_metadata") -> Finding | None:
    """The Finding for an `invokeai_metadata` object, or None if it does not look like one."""
    prompt = meta.get("positive_prompt")
    if not isinstance(prompt, str) and "generation_mode" not in meta and "model" not in meta:
        return None
    return _finding(
        source,
        version=as_text(meta.get("app_version"), 50),
        model=_model_name(meta.get("model")),
        prompt=as_text(prompt, 100_000),
        negative=as_text(meta.get("negative_prompt"), 100_000),
        seed=as_int(meta.get("seed")),
        steps=as_int(meta.get("steps"), 1, MAX_STEPS),
        cfg=as_float(meta.get("cfg_scale")),
        sampler=as_text(meta.get("scheduler"), 100),
        size=size_text(meta.get("width"), meta.get("height")),
        mode=as_text(meta.get("generation_mode"), 100),
    )


def split_negative(prompt: str | None) -> tuple[str | None, str | None]:
    """(prompt, negative prompt): InvokeAI 2.x writes the negative in [brackets] at the end."""
    if prompt is None:
        return None, None
    match = re.fullmatch(r"(.*?)\s*\[([^\[\]]*)\]\s*", prompt, re.DOTALL)
    if match and match.group(1).strip() and match.group(2).strip():
        return match.group(1), match.group(2)
    return prompt, None


def _sd_prompt(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        parts = [p.get("prompt") for p in value[:20] if isinstance(p, dict)]
        texts = [p for p in parts if isinstance(p, str) and p.strip()]
        return " ".join(texts) or None
    return None


def from_sd_metadata(meta: dict[str, Any]) -> Finding | None:
    """The Finding for a 2.x `sd-metadata` object, or None if it does not look like one."""
    image = meta.get("image")
    if not isinstance(image, dict):
        return None
    app_id = as_text(meta.get("app_id"), 100) or ""
    if "invoke" not in app_id.lower() and "model_weights" not in meta and "prompt" not in image:
        return None
    prompt, negative = split_negative(_sd_prompt(image.get("prompt")))
    return _finding(
        "png:sd-metadata",
        version=as_text(meta.get("app_version"), 50),
        model=as_text(meta.get("model_weights")) or as_text(meta.get("model")),
        prompt=prompt,
        negative=negative,
        seed=as_int(image.get("seed")),
        steps=as_int(image.get("steps"), 1, MAX_STEPS),
        cfg=as_float(image.get("cfg_scale")),
        sampler=as_text(image.get("sampler"), 100),
        size=size_text(image.get("width"), image.get("height")),
        mode=as_text(image.get("type"), 100),
    )


def from_graph(graph: dict[str, Any]) -> Finding | None:
    """The Finding for an `invokeai_graph` object: its model loader and prompt nodes."""
    nodes = graph.get("nodes")
    if isinstance(nodes, dict):
        items = list(nodes.values())[:_MAX_GRAPH_NODES]
    elif isinstance(nodes, list):
        items = nodes[:_MAX_GRAPH_NODES]
    else:
        return None
    model: str | None = None
    prompts: list[str] = []
    seed: int | None = None
    typed = 0
    for node in items:
        if not isinstance(node, dict) or not isinstance(node.get("type"), str):
            continue
        typed += 1
        kind = node["type"].lower()
        if model is None and "model_loader" in kind:
            model = _model_name(node.get("model"))
        if ("compel" in kind or "prompt" in kind) and isinstance(node.get("prompt"), str):
            text = node["prompt"].strip()
            if text and text not in prompts:
                prompts.append(text)
        if seed is None and kind == "noise":
            seed = as_int(node.get("seed"))
    if not typed:
        return None
    return _finding(
        "png:invokeai_graph",
        version=None,
        model=model,
        prompt=prompts[0] if prompts else None,
        negative=prompts[1] if len(prompts) > 1 else None,
        seed=seed,
        steps=None,
        cfg=None,
        sampler=None,
        size=None,
    )


_DREAM_OPTION = re.compile(r"\s+(-{1,2}[A-Za-z_]+)((?:\s+(?!-[A-Za-z])[^\s]+)*)")


def parse_dream(text: str) -> dict[str, Any] | None:
    """Split a Dream line into its quoted prompt and its options; None if it is not one."""
    text = text.strip()
    if not text.startswith('"') or len(text) > 200_000:
        return None
    # The prompt is the quoted part before the first option; it may itself contain quotes,
    # so try the closing quotes from the right until the rest parses as options.
    end = len(text)
    for _ in range(50):
        end = text.rfind('"', 1, end)
        if end <= 0:
            return None
        rest = text[end + 1 :]
        options: dict[str, str] = {}
        pos = 0
        while True:
            match = _DREAM_OPTION.match(rest, pos)
            if match is None:
                break
            options.setdefault(match.group(1), match.group(2).strip())
            pos = match.end()
        if not rest[pos:].strip():
            return {"prompt": text[1:end], "options": options}
    return None


def from_dream(text: str) -> Finding | None:
    """The Finding for a Dream command line, or None when it has no recognised options."""
    parsed = parse_dream(text)
    if parsed is None:
        return None
    options: dict[str, str] = parsed["options"]
    if not any(k in options for k in ("-s", "-S", "-C", "-A", "-W", "-H")):
        return None
    prompt, negative = split_negative(parsed["prompt"])
    return _finding(
        "png:Dream",
        version=None,
        model=None,
        prompt=prompt,
        negative=negative,
        seed=as_int(options.get("-S")),
        steps=as_int(options.get("-s"), 1, MAX_STEPS),
        cfg=as_float(options.get("-C")),
        sampler=as_text(options.get("-A"), 100),
        size=size_text(options.get("-W"), options.get("-H")),
    )


def detect(facts: FileFacts) -> list[Finding]:
    """InvokeAI's PNG text chunks: invokeai_metadata, sd-metadata, invokeai_graph, Dream."""
    texts: dict[str, str] = {}
    for t in facts.png_texts:
        if t.keyword in ("invokeai_metadata", "sd-metadata", "invokeai_graph", "Dream"):
            texts.setdefault(t.keyword, t.text)
    if not texts:
        return []
    meta = json_object(texts.get("invokeai_metadata"))
    if meta is not None:
        found = from_metadata(meta)
        if found is not None:
            return [found]
    sd_meta = json_object(texts.get("sd-metadata"))
    if sd_meta is not None:
        found = from_sd_metadata(sd_meta)
        if found is not None:
            return [found]
    graph = json_object(texts.get("invokeai_graph"))
    if graph is not None:
        found = from_graph(graph)
        if found is not None:
            return [found]
    dream = texts.get("Dream")
    if dream is not None:
        found = from_dream(dream)
        if found is not None:
            return [found]
    return []
