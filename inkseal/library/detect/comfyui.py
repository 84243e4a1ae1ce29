"""ComfyUI node graphs saved with an image.

ComfyUI's SaveImage node writes two PNG text chunks:

* `prompt`: the "API" graph that was executed, {node_id: {"class_type": ..., "inputs": {...}}};
  an input is either a literal value or a link [source_node_id, output_slot];
* `workflow`: the editor's graph, {"nodes": [{"id", "type", "inputs", "widgets_values"}, ...],
  "links": [[link_id, from_node, from_slot, to_node, to_slot, type], ...]}.

The WebP (and some JPEG) save nodes put the same JSON into EXIF text fields instead, prefixed
with its name: "prompt:{...}" (usually 0x0110 Model) and "workflow:{...}" (0x010F Make,
0x010E ImageDescription). Civitai's ComfyUI exports put the API graph in the UserComment.

From a graph we take the checkpoint names, the seed and settings of the sampler that made the
final image, and its positive prompt, found by following the sampler's `positive` link back
through conditioning nodes (combine, set area, ControlNet, guiders...) to the text encoders.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TypeGuard

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
    json_object,
    size_text,
)

FAMILY = "comfyui"
TOOL = "ComfyUI"

MAX_NODES = 5_000
_MAX_SAMPLERS = 64
_MAX_WALK = 2_000  # nodes visited by one walk up the graph
_EXIF_CLIPPED = 60_000  # metadata.py cuts strings at 64 Ki characters

# Inputs holding the name of a model file, and the loaders' inputs that name a LoRA.
_CHECKPOINT_INPUTS = ("ckpt_name", "unet_name", "base_ckpt_name")
_LORA_INPUTS = ("lora_name",)
# Inputs of text-encoder nodes that hold prompt text.
_TEXT_INPUTS = ("text", "text_g", "text_l", "t5xxl", "clip_l", "prompt", "positive", "string",
                "value", "text_positive", "wildcard_text", "populated_text")  # fmt: skip
_SEED_INPUTS = ("seed", "noise_seed")

# Editor widgets in the order ComfyUI lists them, for the node types we read. None marks the
# "control after generate" widget that follows every seed.
_WIDGETS: dict[str, tuple[str | None, ...]] = {
    "CheckpointLoaderSimple": ("ckpt_name",),
    "CheckpointLoader": ("config_name", "ckpt_name"),
    "unCLIPCheckpointLoader": ("ckpt_name",),
    "ImageOnlyCheckpointLoader": ("ckpt_name",),
    "UNETLoader": ("unet_name", "weight_dtype"),
    "UnetLoaderGGUF": ("unet_name",),
    "LoraLoader": ("lora_name", "strength_model", "strength_clip"),
    "LoraLoaderModelOnly": ("lora_name", "strength_model"),
    "CLIPTextEncode": ("text",),
    "CLIPTextEncodeSDXL": (
        "width",
        "height",
        "crop_w",
        "crop_h",
        "target_width",
        "target_height",
        "text_g",
        "text_l",
    ),  # fmt: skip
    "CLIPTextEncodeSDXLRefiner": ("ascore", "width", "height", "text"),
    "CLIPTextEncodeFlux": ("clip_l", "t5xxl", "guidance"),
    "KSampler": ("seed", None, "steps", "cfg", "sampler_name", "scheduler", "denoise"),
    "KSamplerAdvanced": (
        "add_noise",
        "noise_seed",
        None,
        "steps",
        "cfg",
        "sampler_name",
        "scheduler",
        "start_at_step",
        "end_at_step",
        "return_with_leftover_noise",
    ),  # fmt: skip
    "RandomNoise": ("noise_seed", None),
    "EmptyLatentImage": ("width", "height", "batch_size"),
    "EmptySD3LatentImage": ("width", "height", "batch_size"),
    "PrimitiveNode": ("value",),
}


@dataclass(frozen=True)
class _Node:
    id: str
    type: str
    inputs: dict[str, Any]


@dataclass(frozen=True)
class ComfyInfo:
    """What one graph says about the image."""

    checkpoints: tuple[str, ...]
    loras: tuple[str, ...]
    prompt: str | None
    negative_prompt: str | None
    seed: int | None
    steps: int | None
    cfg: float | None
    sampler: str | None
    scheduler: str | None
    size: str | None
    nodes: int
    samplers: int


# ------------------------------------------------------------------------------------------
# Reading graphs
# ------------------------------------------------------------------------------------------


def _is_link(value: Any) -> TypeGuard[list[Any]]:
    return (
        isinstance(value, list)
        and len(value) == 2
        and isinstance(value[0], str | int)
        and not isinstance(value[0], bool)
        and isinstance(value[1], int)
    )


def api_nodes(graph: Any) -> dict[str, _Node] | None:
    """The nodes of an API graph, or None when `graph` is not one."""
    if not isinstance(graph, dict) or not graph:
        return None
    nodes: dict[str, _Node] = {}
    for key, node in graph.items():
        if len(nodes) >= MAX_NODES:
            break
        if not isinstance(node, dict):
            continue
        kind, inputs = node.get("class_type"), node.get("inputs")
        if isinstance(kind, str) and kind and isinstance(inputs, dict):
            nodes[str(key)] = _Node(str(key), kind[:200], inputs)
    return nodes or None


def workflow_nodes(workflow: Any) -> dict[str, _Node] | None:
    """The nodes of an editor workflow, turned into API-graph form as far as we can."""
    if not isinstance(workflow, dict):
        return None
    raw_nodes, raw_links = workflow.get("nodes"), workflow.get("links")
    if not isinstance(raw_nodes, list):
        return None
    # link id -> [source node id, source slot]
    links: dict[int, list[Any]] = {}
    for link in raw_links[: MAX_NODES * 4] if isinstance(raw_links, list) else []:
        if isinstance(link, list) and len(link) >= 5:
            link_id, origin, slot = link[0], link[1], link[2]
        elif isinstance(link, dict):
            link_id, origin, slot = link.get("id"), link.get("origin_id"), link.get("origin_slot")
        else:
            continue
        if isinstance(link_id, int) and isinstance(origin, int | str) and isinstance(slot, int):
            links[link_id] = [str(origin), slot]
    nodes: dict[str, _Node] = {}
    for raw in raw_nodes[:MAX_NODES]:
        if not isinstance(raw, dict):
            continue
        node_id, kind = raw.get("id"), raw.get("type")
        if not isinstance(node_id, int | str) or not isinstance(kind, str):
            continue
        if raw.get("mode") in (2, 4):
            continue  # muted or bypassed: it did not run
        inputs: dict[str, Any] = {}
        widgets = raw.get("widgets_values")
        if isinstance(widgets, dict):
            inputs.update({k: v for k, v in widgets.items() if isinstance(k, str)})
        elif isinstance(widgets, list):
            for name, value in zip(_WIDGETS.get(kind, ()), widgets, strict=False):
                if name:
                    inputs[name] = value
        raw_inputs = raw.get("inputs")
        for slot in raw_inputs[:200] if isinstance(raw_inputs, list) else []:
            if not isinstance(slot, dict):
                continue
            name, link = slot.get("name"), slot.get("link")
            widget = slot.get("widget")
            if isinstance(widget, dict) and isinstance(widget.get("name"), str):
                name = widget["name"]
            if isinstance(name, str) and isinstance(link, int) and link in links:
                inputs[name] = links[link]
        nodes[str(node_id)] = _Node(str(node_id), kind[:200], inputs)
    return nodes or None


def _sort_key(node_id: str) -> tuple[int, str]:
    return (int(node_id), "") if node_id.isdigit() and len(node_id) < 18 else (2**63, node_id)


def _is_sampler(node: _Node) -> bool:
    if "sampler" not in node.type.lower():
        return False
    return any(k in node.inputs for k in ("positive", "guider")) or (
        "noise_seed" in node.inputs and "model" in node.inputs
    )


def _upstream(nodes: dict[str, _Node], *starts: list[Any]) -> Iterator[_Node]:
    """Every node that feeds any of the links `starts`, nearest first."""
    queue: deque[str] = deque(str(start[0]) for start in starts)
    seen: set[str] = set()
    while queue and len(seen) < _MAX_WALK:
        node_id = queue.popleft()
        if node_id in seen:
            continue
        seen.add(node_id)
        node = nodes.get(node_id)
        if node is None:
            continue
        yield node
        for value in node.inputs.values():
            if _is_link(value):
                queue.append(str(value[0]))


def _main_sampler(nodes: dict[str, _Node]) -> tuple[_Node | None, int]:
    """The sampler that made the final image (the last one in a chain), and how many there are.

    A sampler fed by other samplers (hires fix, refiner, latent composites) comes after them;
    the one that feeds no other sampler and has the most samplers before it wins.
    """
    samplers = sorted((n for n in nodes.values() if _is_sampler(n)), key=lambda n: _sort_key(n.id))
    samplers = samplers[:_MAX_SAMPLERS]
    if not samplers:
        return None, 0
    ids = {s.id for s in samplers}
    before: dict[str, set[str]] = {}
    for sampler in samplers:
        links = [v for v in sampler.inputs.values() if _is_link(v)]
        found = {n.id for n in _upstream(nodes, *links) if n.id in ids}
        found.discard(sampler.id)
        before[sampler.id] = found
    feeding = set().union(*before.values())
    last = [s for s in samplers if s.id not in feeding] or samplers
    return max(last, key=lambda s: len(before[s.id])), len(samplers)


def _follow(nodes: dict[str, _Node], link: Any, depth: int = 0) -> Any:
    """The literal value at the end of a chain of links (primitive and string nodes)."""
    while _is_link(link) and depth < 16:
        node = nodes.get(str(link[0]))
        if node is None:
            return None
        link = next(
            (node.inputs[k] for k in (*_TEXT_INPUTS, *_SEED_INPUTS, "int", "number", "seed_value")
             if k in node.inputs),
            None,
        )  # fmt: skip
        depth += 1
    return link


def _texts(nodes: dict[str, _Node], link: Any, side: str = "positive") -> list[str]:
    """The prompt texts that feed a conditioning link (of the `side` given), nearest first.

    The walk goes up conditioning inputs only (not into models, images or CLIP), so that a
    ControlNet's image or an earlier generation's prompt is not picked up. Where a node has
    both a positive and a negative side (ControlNet apply, guiders), it takes the side that the
    link came from.
    """
    # Loader nodes that take both prompts as text name them "positive" and "negative".
    text_inputs: tuple[str, ...] = _TEXT_INPUTS
    if side == "negative":
        text_inputs = tuple(k.replace("positive", "negative") for k in _TEXT_INPUTS)
    out: list[str] = []
    queue: deque[tuple[Any, int]] = deque([(link, 0)])
    seen: set[tuple[str, int]] = set()
    while queue and len(seen) < _MAX_WALK:
        current, depth = queue.popleft()
        if not _is_link(current) or depth > 40:
            continue
        key = (str(current[0]), current[1])
        if key in seen:
            continue
        seen.add(key)
        node = nodes.get(key[0])
        if node is None:
            continue
        found_text = False
        for name in text_inputs:
            value = node.inputs.get(name)
            if _is_link(value) and name not in ("positive", "negative"):
                value = _follow(nodes, value)
            if isinstance(value, str) and value.strip():
                found_text = True
                if value.strip() not in out:
                    out.append(value.strip())
        if found_text:
            continue
        sides = [k for k in ("positive", "negative") if _is_link(node.inputs.get(k))]
        if len(sides) == 2:
            queue.append((node.inputs[sides[0] if key[1] == 0 else sides[1]], depth + 1))
            continue
        for name, value in node.inputs.items():
            lowered = name.lower()
            if _is_link(value) and ("cond" in lowered or lowered in ("positive", "guider")):
                queue.append((value, depth + 1))
    return out


def _side(nodes: dict[str, _Node], sampler: _Node, side: str) -> list[str]:
    link = sampler.inputs.get(side)
    if _is_link(link):
        return _texts(nodes, link, side)
    guider = sampler.inputs.get("guider")
    if _is_link(guider):
        node = nodes.get(str(guider[0]))
        if node is not None:
            inner = node.inputs.get(side)
            if side == "positive" and not _is_link(inner):
                inner = node.inputs.get("conditioning")
            if _is_link(inner):
                return _texts(nodes, inner, side)
    return []


def _seed(nodes: dict[str, _Node], sampler: _Node) -> int | None:
    for name in _SEED_INPUTS:
        if name in sampler.inputs:
            return as_int(_follow(nodes, sampler.inputs[name]))
    noise = sampler.inputs.get("noise")
    if _is_link(noise):
        node = nodes.get(str(noise[0]))
        if node is not None:
            for name in _SEED_INPUTS:
                if name in node.inputs:
                    return as_int(_follow(nodes, node.inputs[name]))
    return None


def _names(nodes: list[_Node], keys: tuple[str, ...]) -> list[str]:
    out: list[str] = []
    for node in nodes:
        for key in keys:
            name = as_text(node.inputs.get(key))
            if name and name not in out:
                out.append(name)
    return out


def _longest_text(nodes: dict[str, _Node], exclude: str | None) -> str | None:
    best: str | None = None
    for node in nodes.values():
        if "encode" not in node.type.lower() and "prompt" not in node.type.lower():
            continue
        for name in ("text", "text_g", "t5xxl", "prompt"):
            value = node.inputs.get(name)
            text = value.strip() if isinstance(value, str) else ""
            if text and text != exclude and (best is None or len(text) > len(best)):
                best = text
    return best


def analyse(nodes: dict[str, _Node]) -> ComfyInfo:
    """What a graph (API form) says: models, prompt and settings of its main sampler."""
    ordered = sorted(nodes.values(), key=lambda n: _sort_key(n.id))
    sampler, count = _main_sampler(nodes)
    positive: list[str] = []
    negative: list[str] = []
    size: str | None = None
    feeding_model: list[_Node] = []
    if sampler is not None:
        positive = _side(nodes, sampler, "positive")
        negative = _side(nodes, sampler, "negative")
        model_link = sampler.inputs.get("model")
        if _is_link(model_link):
            feeding_model = list(_upstream(nodes, model_link))
        latent = sampler.inputs.get("latent_image")
        if _is_link(latent):
            for node in _upstream(nodes, latent):
                size = size_text(node.inputs.get("width"), node.inputs.get("height"))
                if size and "latent" in node.type.lower():
                    break
                size = None
    negative_text = "\n".join(negative) or None
    prompt = "\n".join(positive) or _longest_text(nodes, negative_text)
    checkpoints = _names(feeding_model, _CHECKPOINT_INPUTS)
    checkpoints += [n for n in _names(ordered, _CHECKPOINT_INPUTS) if n not in checkpoints]
    inputs = sampler.inputs if sampler is not None else {}
    return ComfyInfo(
        checkpoints=tuple(checkpoints[:10]),
        loras=tuple(_names(ordered, _LORA_INPUTS)[:20]),
        prompt=prompt,
        negative_prompt=negative_text,
        seed=_seed(nodes, sampler) if sampler is not None else None,
        steps=as_int(_follow(nodes, inputs.get("steps")), 1, MAX_STEPS),
        cfg=as_float(_follow(nodes, inputs.get("cfg"))),
        sampler=as_text(_follow(nodes, inputs.get("sampler_name")), 100),
        scheduler=as_text(_follow(nodes, inputs.get("scheduler")), 100),
        size=size,
        nodes=len(nodes),
        samplers=count,
    )


def finding_from_graph(
    nodes: dict[str, _Node], source: str, *, has_workflow: bool = False
) -> Finding:
    """The Finding for one ComfyUI graph found at `source`."""
    info = analyse(nodes)
    model = ", ".join(info.checkpoints) or None
    detail = describe(
        [("Seed", info.seed), ("Steps", info.steps), ("CFG", info.cfg),
         ("Sampler", info.sampler), ("Scheduler", info.scheduler), ("Size", info.size),
         ("Model", model), ("Nodes", info.nodes)]
    )  # fmt: skip
    return generator_finding(
        source,
        FAMILY,
        TOOL,
        model=model,
        prompt=info.prompt,
        detail=detail,
        extra={
            "seed": info.seed,
            "steps": info.steps,
            "cfg": info.cfg,
            "sampler": info.sampler,
            "scheduler": info.scheduler,
            "size": info.size,
            "checkpoints": list(info.checkpoints),
            "loras": list(info.loras),
            "negative_prompt": info.negative_prompt,
            "nodes": info.nodes,
            "samplers": info.samplers,
            "has_workflow": has_workflow or None,
        },
    )


def graph_finding(
    prompt_json: Any, workflow_json: Any, source_prompt: str, source_workflow: str
) -> Finding | None:
    """A Finding from an API graph and/or an editor workflow (already parsed), or None."""
    nodes = api_nodes(prompt_json)
    if nodes is not None:
        return finding_from_graph(nodes, source_prompt, has_workflow=workflow_json is not None)
    nodes = workflow_nodes(workflow_json)
    if nodes is not None:
        return finding_from_graph(nodes, source_workflow)
    return None


# ------------------------------------------------------------------------------------------
# Where graphs live
# ------------------------------------------------------------------------------------------

_PREFIXED = re.compile(r"\s*(prompt|workflow)\s*:\s*(?=[{\[])", re.IGNORECASE)


def _too_big_graph(text: str) -> bool:
    """A cut-off graph: starts like JSON and names ComfyUI node types, but is not whole."""
    return text.lstrip().startswith("{") and '"class_type"' in text[:MAX_TEXT]


def _png(facts: FileFacts) -> list[Finding]:
    prompt_chunk = next((t for t in facts.png_texts if t.keyword == "prompt"), None)
    workflow_chunk = next((t for t in facts.png_texts if t.keyword == "workflow"), None)
    if prompt_chunk is None and workflow_chunk is None:
        return []
    prompt_json = json_object(prompt_chunk.text) if prompt_chunk else None
    workflow_json = json_object(workflow_chunk.text) if workflow_chunk else None
    if api_nodes(prompt_json) is None:
        prompt_json = None
    if workflow_nodes(workflow_json) is None:
        workflow_json = None
    found = graph_finding(prompt_json, workflow_json, "png:prompt", "png:workflow")
    if found is not None:
        return [found]
    if prompt_chunk is not None and prompt_chunk.truncated and _too_big_graph(prompt_chunk.text):
        return [
            generator_finding(
                "png:prompt",
                FAMILY,
                TOOL,
                detail="ComfyUI graph too large to read in full",
            )
        ]
    return []


def _raw_exif_texts(facts: FileFacts) -> list[tuple[int, str]]:
    """EXIF text fields straight from Pillow, for values metadata.py had to cut short."""
    image = facts.image
    if image is None:
        return []
    try:
        exif = image.getexif()
        items = list(exif.items())[:500]
    except Exception:
        return []
    return [(int(t), v) for t, v in items if isinstance(v, str) and len(v) <= MAX_TEXT]


def _exif(facts: FileFacts) -> list[Finding]:
    parts: dict[str, tuple[str, Any]] = {}  # "prompt"/"workflow" -> (source, parsed JSON)
    clipped: set[str] = set()
    for key, value in facts.exif.items():
        if not isinstance(value, str):
            continue
        match = _PREFIXED.match(value[:64])
        if match is None:
            continue
        kind = match.group(1).lower()
        parsed = json_object(value[match.end() :])
        tag = key.split(" ", 1)[-1]
        if parsed is None and len(value) >= _EXIF_CLIPPED:
            clipped.add(kind)
        elif parsed is not None and kind not in parts:
            parts[kind] = (f"exif:{tag}", parsed)
    if clipped - parts.keys():
        for tag_id, value in _raw_exif_texts(facts):
            match = _PREFIXED.match(value[:64])
            if match is None:
                continue
            kind = match.group(1).lower()
            parsed = json_object(value[match.end() :])
            if parsed is not None and kind not in parts:
                parts[kind] = (f"exif:0x{tag_id:04X}", parsed)
    findings: list[Finding] = []
    if parts:
        prompt_src, prompt_json = parts.get("prompt", ("exif", None))
        workflow_src, workflow_json = parts.get("workflow", ("exif", None))
        found = graph_finding(prompt_json, workflow_json, prompt_src, workflow_src)
        if found is not None:
            findings.append(found)
    comment = exif_user_comment(facts)
    if comment and not findings:
        nodes = api_nodes(json_object(comment))
        if nodes is not None:
            findings.append(finding_from_graph(nodes, "exif:UserComment"))
    return findings


def detect(facts: FileFacts) -> list[Finding]:
    """ComfyUI graphs in PNG `prompt`/`workflow` chunks and in EXIF text fields."""
    return _png(facts) + _exif(facts)
