"""Content Credentials (C2PA): find an embedded manifest store, read it, say what it claims.

Two steps, so that thousands of ordinary files cost almost nothing:

1. ``has_manifest_store`` looks at the bytes (and the segment/chunk lists that
   ``extract_metadata`` already made) for the places a C2PA manifest store lives: a JPEG APP11
   JUMBF segment, a PNG ``caBX`` chunk, a WebP ``C2PA`` chunk, an ISOBMFF (HEIF/AVIF) ``uuid``
   box, a TIFF tag 52545, or, for other formats, the JUMBF description box of a C2PA store.
2. Only when one is there does ``detect_c2pa`` hand the bytes, already in memory, to
   c2pa-python's Reader and turn its report into plain words and a suggested class.

Nothing is ever fetched. c2pa-rs fetches a remote manifest by default when a file points to
one; here remote manifest fetching and OCSP fetching are switched off and the list of hosts it
may reach is empty (see ``_SETTINGS``). A remote reference in XMP ``dcterms:provenance`` is
reported as a URL and left alone.

Honest words (DESIGN.md, principle 5): a valid signature proves who signed the manifest and
that it was not changed since, not that what it says is true. No trust list is configured
here, so even a good signature from a real company is "valid, signer not on a trust list".
"""

from __future__ import annotations

import io
import json
import os
import re
import struct
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from inkseal.library.detect.base import FileFacts, Finding, Verdict, clip
from inkseal.library.detect.sourcetypes import TERMS, term_of
from inkseal.library.formats import gif_application_blocks, iter_jpeg_segments

__all__ = [
    "C2PASummary",
    "ValidationState",
    "detect",
    "detect_c2pa",
    "has_manifest_store",
    "remote_manifest_url",
]

ValidationState = Literal["valid", "trusted", "invalid", "unverified"]

# Bounds on what a summary keeps from a manifest store (the store itself is untrusted input).
MAX_TEXT = 500
MAX_ACTIONS = 50
MAX_INGREDIENTS = 50
MAX_FAILURES = 50
MAX_SOURCE_TYPES = 20
MAX_TRAINING_ENTRIES = 32
MAX_URL = 2000
_MAX_DEPTH = 16  # ingredient nesting followed
_MAX_JSON = 32 * 1024 * 1024  # characters of Reader JSON we are willing to parse
_MAX_PROBLEMS_PER_INGREDIENT = 10

# How far the byte-level checks look.
_MAX_SEGMENTS = 4096  # JPEG segments, PNG/WebP chunks, ISOBMFF boxes walked
_MAX_IFDS = 8
_MAX_IFD_ENTRIES = 4096
_SCAN_LIMIT = 16 * 1024 * 1024  # bytes searched by the last-resort scan, from each end

# The JUMBF description box of a C2PA manifest store: box type "jumd", then the C2PA content
# type UUID 63327061-0011-0010-8000-00AA00389B71 (it begins with the ASCII letters "c2pa").
_C2PA_JUMD: Final = b"jumdc2pa\x00\x11\x00\x10\x80\x00\x00\xaa\x00\x38\x9b\x71"
# The ISOBMFF uuid box that carries a C2PA store (HEIF, AVIF, MP4...).
_C2PA_BMFF_UUID: Final = bytes.fromhex("d8fec3d61b0e483c92975828877ec481")
_TIFF_C2PA_TAG: Final = 0xCD41  # 52545

# Settings for c2pa-rs (c2pa-python 0.38 / c2pa-rs 0.91). c2pa-rs defaults to fetching a
# remote manifest; switch it off, keep OCSP off (its default, stated anyway), and give the
# HTTP resolver an empty allow-list so that any other request it might make is refused too.
_SETTINGS: Final[dict[str, Any]] = {
    "verify": {
        "remote_manifest_fetch": False,
        "ocsp_fetch": False,
    },
    "core": {"allowed_network_hosts": []},
}

_MIME: Final = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
    "TIFF": "image/tiff",
    "HEIF": "image/heif",
    "AVIF": "image/avif",
    "GIF": "image/gif",
}

# --------------------------------------------------------------------------------------------
# Step 1: is there a manifest store at all?


def has_manifest_store(data: bytes, fmt: str, metadata: Mapping[str, Any]) -> bool:
    """True when `data` seems to embed a C2PA manifest store. Never raises, never slow.

    A positive answer means "worth asking c2pa-python", not "a valid store": a damaged store
    still counts, so that it can be reported as unreadable.
    """
    try:
        return _has_store(data, fmt.upper(), metadata)
    except Exception:  # malformed input must never break an import
        return False


def _has_store(data: bytes, fmt: str, metadata: Mapping[str, Any]) -> bool:
    if fmt == "JPEG":
        segments = metadata.get("jpeg_segments")
        if isinstance(segments, list) and not any(
            isinstance(s, str) and s.startswith("APP11") for s in segments
        ):
            return False
        return _jpeg_has_store(data)
    if fmt == "PNG":
        chunks = metadata.get("png_chunks")
        if isinstance(chunks, list) and 0 < len(chunks) < 1000:
            return "caBX" in chunks
        return _png_has_store(data)
    if fmt == "WEBP":
        chunks = metadata.get("webp_chunks")
        if isinstance(chunks, list) and 0 < len(chunks) < 1000:
            return "C2PA" in chunks
        return _webp_has_store(data)
    if fmt in ("HEIF", "AVIF"):
        found = _bmff_has_store(data)
        return _scan_for_jumd(data) if found is None else found
    if fmt == "TIFF":
        return _tiff_has_store(data)
    if fmt == "GIF":
        found = _gif_has_store(data)
        return _scan_for_jumd(data) if found is None else found
    return _scan_for_jumd(data)


def _jpeg_has_store(data: bytes) -> bool:
    # A C2PA store is one or more APP11 segments in the JPEG XT box format ("JP", instance,
    # sequence, then the JUMBF box header), the first of which holds the description box.
    for marker, start, _end in iter_jpeg_segments(data):
        if marker == 0xEB:
            head = data[start : start + 96]
            if head.startswith(b"JP") and _C2PA_JUMD in head:
                return True
    return False


def _png_has_store(data: bytes) -> bool:
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        return False
    pos = 8
    size = len(data)
    for _ in range(_MAX_SEGMENTS * 16):
        if pos + 8 > size:
            return False
        length, ctype = struct.unpack_from(">I4s", data, pos)
        if ctype == b"caBX":
            return True
        if ctype == b"IEND":
            return False
        pos += 12 + length
    return False


def _webp_has_store(data: bytes) -> bool:
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        return False
    end = min(len(data), 8 + struct.unpack_from("<I", data, 4)[0])
    pos = 12
    for _ in range(_MAX_SEGMENTS):
        if pos + 8 > end:
            return False
        fourcc = data[pos : pos + 4]
        if fourcc == b"C2PA":
            return True
        size = struct.unpack_from("<I", data, pos + 4)[0]
        pos += 8 + size + (size & 1)
    return False


def _gif_has_store(data: bytes) -> bool | None:
    """True/False from the blocks before a GIF's first image; None when they cannot be walked.

    C2PA keeps a GIF's store in an application extension named "C2PA_GIF" that must come
    before the first image descriptor (the specification's annex on embedding; c2pa-rs stops
    looking there too), so the image data itself, most of an animation, is never searched.
    """
    blocks = gif_application_blocks(data, before_first_image=True)
    if blocks is None:
        return None
    return any(name.startswith(b"C2PA_GIF") for name, _where in blocks)


def _bmff_has_store(data: bytes) -> bool | None:
    """True/False from a walk of the top-level ISOBMFF boxes; None when the walk failed."""
    pos = 0
    size = len(data)
    for _ in range(_MAX_SEGMENTS):
        if pos == size:
            return False
        if pos + 8 > size:
            return None
        box_size, box_type = struct.unpack_from(">I4s", data, pos)
        header = 8
        if box_size == 1:
            if pos + 16 > size:
                return None
            box_size = struct.unpack_from(">Q", data, pos + 8)[0]
            header = 16
        elif box_size == 0:
            box_size = size - pos
        if box_size < header:
            return None
        if box_type == b"uuid" and data[pos + header : pos + header + 16] == _C2PA_BMFF_UUID:
            return True
        pos += box_size
        if pos > size:
            return None
    return None


def _tiff_has_store(data: bytes) -> bool:
    if len(data) < 8:
        return False
    order = data[:2]
    if order == b"II":
        e = "<"
    elif order == b"MM":
        e = ">"
    else:
        return False
    magic = struct.unpack_from(e + "H", data, 2)[0]
    if magic == 42:
        offset = struct.unpack_from(e + "I", data, 4)[0]
        count_fmt, entry_size, next_fmt = "H", 12, "I"
    elif magic == 43 and len(data) >= 16:
        offset = struct.unpack_from(e + "Q", data, 8)[0]
        count_fmt, entry_size, next_fmt = "Q", 20, "Q"
    else:
        return False
    count_size = struct.calcsize(count_fmt)
    next_size = struct.calcsize(next_fmt)
    seen: set[int] = set()
    for _ in range(_MAX_IFDS):
        if offset == 0 or offset in seen or offset + count_size > len(data):
            return False
        seen.add(offset)
        count = struct.unpack_from(e + count_fmt, data, offset)[0]
        count = min(count, _MAX_IFD_ENTRIES)
        pos = offset + count_size
        for i in range(count):
            entry = pos + i * entry_size
            if entry + 2 > len(data):
                return False
            if struct.unpack_from(e + "H", data, entry)[0] == _TIFF_C2PA_TAG:
                return True
        after = pos + count * entry_size
        if after + next_size > len(data):
            return False
        offset = struct.unpack_from(e + next_fmt, data, after)[0]
    return False


def _scan_for_jumd(data: bytes) -> bool:
    # Last resort for formats without a walk here: a bounded search for the description box
    # of a C2PA store, right after its "jumb" superbox header.
    def found(chunk: bytes) -> bool:
        at = chunk.find(_C2PA_JUMD)
        while at != -1:
            if at >= 8 and b"jumb" in chunk[max(0, at - 16) : at]:
                return True
            at = chunk.find(_C2PA_JUMD, at + 1)
        return False

    if len(data) <= 2 * _SCAN_LIMIT:
        return found(data)
    return found(data[:_SCAN_LIMIT]) or found(data[-_SCAN_LIMIT:])


# --------------------------------------------------------------------------------------------
# Remote manifests (reported, never fetched)


def remote_manifest_url(metadata: Mapping[str, Any]) -> str | None:
    """The http(s) URL of a remote manifest named in XMP ``dcterms:provenance``, or None.

    ``self#jumbf=...`` (the embedded store) is not remote. The URL is only reported.
    """
    xmp = metadata.get("xmp")
    if not isinstance(xmp, Mapping):
        return None
    value = xmp.get("dcterms:provenance")
    values = value if isinstance(value, list) else [value]
    for item in values[:16]:
        if not isinstance(item, str):
            continue
        text = item.strip()
        low = text[:8].lower()
        if not (low.startswith("http://") or low.startswith("https://")):
            continue
        if len(text) > MAX_URL or any(c.isspace() or ord(c) < 0x20 or c == "\x7f" for c in text):
            continue
        return text
    return None


# --------------------------------------------------------------------------------------------
# The summary


@dataclass(frozen=True)
class C2PASummary:
    """What a file's Content Credentials say, bounded and in plain words.

    `failures` lists the active manifest's problems first, then ingredients' ("ingredient
    'X': ..."); each ends with the C2PA status code in brackets. `active_failure_codes` holds
    the active manifest's raw codes.
    """

    active_manifest: str | None = None
    claim_generator: str | None = None
    signer: str | None = None
    signed_at: str | None = None
    digital_source_types: tuple[str, ...] = ()
    actions: tuple[dict[str, Any], ...] = ()
    ingredients: tuple[dict[str, Any], ...] = ()
    training_mining: dict[str, str] = field(default_factory=dict)
    validation_state: ValidationState = "unverified"
    failures: tuple[str, ...] = ()
    active_failure_codes: tuple[str, ...] = ()
    manifests_count: int = 0
    remote_url: str | None = None
    error: str | None = None
    verdict: Verdict | None = None
    verdict_reason: str | None = None
    tool: str | None = None
    tool_version: str | None = None

    @property
    def signature_ok(self) -> bool:
        """Valid (or trusted) with no active-manifest problem other than trust."""
        return self.validation_state in ("valid", "trusted") and all(
            _is_trust_only(c) for c in self.active_failure_codes
        )

    def to_json(self) -> dict[str, Any]:
        # The first six keys are a contract with the command line's --json output.
        return {
            "active_manifest": self.active_manifest,
            "claim_generator": self.claim_generator,
            "signer": self.signer,
            "digital_source_types": list(self.digital_source_types),
            "validation_state": self.validation_state,
            "failures": list(self.failures),
            "signed_at": self.signed_at,
            "verdict": self.verdict,
            "verdict_reason": self.verdict_reason,
            "tool": self.tool,
            "tool_version": self.tool_version,
            "actions": [dict(a) for a in self.actions],
            "ingredients": [
                {**i, "digital_source_types": list(i.get("digital_source_types", ()))}
                for i in self.ingredients
            ],
            "training_mining": dict(self.training_mining),
            "active_failure_codes": list(self.active_failure_codes),
            "manifests_count": self.manifests_count,
            "remote_url": self.remote_url,
            "error": self.error,
        }


# --------------------------------------------------------------------------------------------
# Plain words for validation status codes

_CODE_WORDS: Final[dict[str, str]] = {
    "assertion.dataHash.mismatch": "the image content changed after signing",
    "assertion.boxesHash.mismatch": "the image content changed after signing",
    "assertion.bmffHash.mismatch": "the image content changed after signing",
    "assertion.collectionHash.mismatch": "content covered by the signature changed",
    "assertion.hashedURI.mismatch": "a referenced assertion does not match",
    "assertion.missing": "a referenced assertion is missing",
    "assertion.undeclared": "the manifest holds an assertion its claim does not list",
    "assertion.inaccessible": "an assertion cannot be read",
    "assertion.multipleHardBindings": "the manifest binds itself to the content more than once",
    "assertion.action.ingredientMismatch": "an action names an ingredient that does not match",
    "assertion.cbor.invalid": "an assertion is malformed",
    "assertion.json.invalid": "an assertion is malformed",
    "assertion.notRedacted": "a redaction was requested but not carried out",
    "assertion.selfRedacted": "the manifest redacts one of its own assertions",
    "claim.missing": "the manifest has no claim",
    "claim.multiple": "the manifest has more than one claim",
    "claim.hardBindings.missing": "the manifest is not bound to the content",
    "claimSignature.mismatch": "the manifest's signature does not match",
    "claimSignature.missing": "the manifest has no signature",
    "claimSignature.outsideValidity": (
        "the manifest was signed outside its certificate's validity period"
    ),
    "signingCredential.untrusted": "the signing certificate is not trusted here",
    "signingCredential.expired": (
        "the signing certificate had expired, and no trusted time-stamp here shows it was "
        "signed before that"
    ),
    "signingCredential.revoked": "the signing certificate was revoked",
    "signingCredential.ocsp.revoked": "the signing certificate was revoked",
    "signingCredential.invalid": "the signing certificate is not valid",
    "timeStamp.mismatch": "the time-stamp does not match the signature",
    "timeStamp.untrusted": "the time-stamp authority is not trusted here",
    "timeStamp.outsideValidity": "the time-stamp is outside its certificate's validity",
    "algorithm.unsupported": "the manifest uses an algorithm that cannot be checked",
    "manifest.inaccessible": "a manifest cannot be read",
    "manifest.multipleParents": "a manifest names more than one parent ingredient",
    "manifest.update.invalid": "an update manifest is not valid",
    "manifest.update.wrongParents": "an update manifest has the wrong parent",
    "ingredient.manifest.missing": "an ingredient's manifest is missing",
    "ingredient.manifest.mismatch": "an ingredient's manifest does not match",
    "ingredient.claimSignature.missing": "an ingredient's signature is missing",
    "ingredient.claimSignature.mismatch": "an ingredient's signature does not match",
    "ingredient.hashedURI.mismatch": "an ingredient reference does not match",
    "general.error": "a validation error",
    "cawg.x509.credential.untrusted": "the creator identity's certificate is not trusted here",
    "cawg.identity.credential.untrusted": "the creator identity's credential is not trusted here",
}

# Codes that say "not on a trust list here" rather than "broken": offline, with no trust list
# configured, every real signer gets these. They never make a signature invalid on their own.
_TRUST_ONLY: Final = frozenset(
    {
        "signingCredential.untrusted",
        "timeStamp.untrusted",
        "cawg.x509.credential.untrusted",
        "cawg.identity.credential.untrusted",
    }
)
# Codes that are not failures even when they turn up in a list without success/failure kind.
_NOT_FAILURE_SUFFIXES: Final = (
    ".match",
    ".validated",
    ".trusted",
    ".insideValidity",
    ".notRevoked",
    ".skipped",
    ".unknownProvenance",
)


def _is_trust_only(code: str) -> bool:
    return code in _TRUST_ONLY or code.endswith(".credential.untrusted")


def _is_failure_code(code: str) -> bool:
    return not code.endswith(_NOT_FAILURE_SUFFIXES)


def _plain(code: str, explanation: str | None = None) -> str:
    words = _CODE_WORDS.get(code)
    if words is None:
        extra = _text(explanation, 150)
        words = f"a validation check failed ({extra})" if extra else "a validation check failed"
    return f"{words} [{code}]"


# --------------------------------------------------------------------------------------------
# Small helpers for untrusted JSON

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]+")


def _text(value: object, limit: int = MAX_TEXT) -> str | None:
    """A bounded single-line string, or None for anything that is not a non-empty string."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    text = _CONTROL.sub(" ", str(value)[: limit * 4])
    return clip(" ".join(text.split()), limit)


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _base_label(label: object) -> str:
    # "c2pa.actions.v2__1" -> "c2pa.actions.v2": a second instance of the same assertion.
    return re.sub(r"__\d+$", "", label) if isinstance(label, str) else ""


def _source_type(value: object) -> str | None:
    """The IPTC term of a digitalSourceType value, or the raw value (bounded) if unknown."""
    if not isinstance(value, str):
        return None
    return term_of(value) or _text(value, 200)


def _software_agent(action: Mapping[str, Any], assertion: Mapping[str, Any]) -> str | None:
    agent = action.get("softwareAgent")
    index = action.get("softwareAgentIndex")
    if agent is None and isinstance(index, int) and not isinstance(index, bool):
        agents = _list(assertion.get("softwareAgents"))
        if 0 <= index < len(agents):
            agent = agents[index]
    if isinstance(agent, dict):
        name = _text(agent.get("name"), 200)
        version = _text(agent.get("version"), 100)
        return _text(f"{name} {version}" if name and version else name, 300)
    return _text(agent, 300)


def _claim_generator(manifest: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """(name, version) of the app that wrote a manifest."""
    info = manifest.get("claim_generator_info")
    entries = info if isinstance(info, list) else [info]
    for entry in entries[:8]:
        if isinstance(entry, dict):
            name = _text(entry.get("name"), 200)
            if name:
                return name, _text(entry.get("version"), 100)
    legacy = manifest.get("claim_generator")
    if isinstance(legacy, str) and legacy.strip():
        # "Adobe_Photoshop/26.9.0 adobe_c2pa/0.14.2 c2pa-rs/0.43.0": the first product counts.
        first = legacy.strip().split()[0]
        name, _, version = first.partition("/")
        return _text(name.replace("_", " "), 200), _text(version, 100)
    return None, None


def _joined(name: str | None, version: str | None) -> str | None:
    return _text(f"{name} {version}", 300) if name and version else name


# --------------------------------------------------------------------------------------------
# Reading one manifest store's JSON


@dataclass
class _Action:
    action: str | None
    agent: str | None
    source_type: str | None
    description: str | None
    params: dict[str, Any]


@dataclass
class _Judgement:
    verdict: Verdict | None
    reason: str | None
    # (name, version) of who did the deciding action, or of the app that wrote the manifest.
    tool: tuple[str | None, str | None] = (None, None)


_RANK: Final[dict[Verdict | None, int]] = {
    "ai-generated": 4,
    "ai-assisted": 3,
    "not-generative": 2,
    "human-made": 1,
    None: 0,
}


_STATES: Final[dict[str, ValidationState]] = {
    "valid": "valid",
    "trusted": "trusted",
    "invalid": "invalid",
}


def _term_words(term: str) -> str:
    entry = TERMS.get(term)
    return f"{entry[1]} ({term})" if entry else f"digital source type {term}"


class _Store:
    """The Reader's JSON for one manifest store, with the questions the summary asks of it."""

    def __init__(self, store: Mapping[str, Any]) -> None:
        self.manifests = _dict(store.get("manifests"))
        active = store.get("active_manifest")
        self.active_label = active if isinstance(active, str) else None
        self.active = _dict(self.manifests.get(active)) if isinstance(active, str) else {}
        self.state_raw = store.get("validation_state")
        self.results = _dict(store.get("validation_results"))
        self.status = _list(store.get("validation_status"))
        self._judged: dict[str, _Judgement] = {}

    # -- actions and source types

    def actions(self, manifest: Mapping[str, Any]) -> list[_Action]:
        found: list[_Action] = []
        for assertion in _list(manifest.get("assertions")):
            assertion = _dict(assertion)
            if _base_label(assertion.get("label")) not in ("c2pa.actions", "c2pa.actions.v2"):
                continue
            data = _dict(assertion.get("data"))
            for raw in _list(data.get("actions")):
                if len(found) >= 4 * MAX_ACTIONS:
                    return found
                raw = _dict(raw)
                params = _dict(raw.get("parameters"))
                found.append(
                    _Action(
                        action=_text(raw.get("action"), 100),
                        agent=_software_agent(raw, data),
                        source_type=_source_type(raw.get("digitalSourceType")),
                        description=_text(raw.get("description") or params.get("description")),
                        params=params,
                    )
                )
        return found

    @staticmethod
    def source_types(actions: list[_Action]) -> tuple[str, ...]:
        terms: list[str] = []
        for a in actions:
            if a.source_type and a.source_type not in terms:
                terms.append(a.source_type)
        return tuple(terms[:MAX_SOURCE_TYPES])

    def training_mining(self) -> dict[str, str]:
        result: dict[str, str] = {}
        for assertion in _list(self.active.get("assertions")):
            assertion = _dict(assertion)
            label = _base_label(assertion.get("label"))
            if label not in ("cawg.training-mining", "c2pa.training-mining"):
                continue
            entries = _dict(_dict(assertion.get("data")).get("entries"))
            for key, value in list(entries.items())[:MAX_TRAINING_ENTRIES]:
                name = _text(key, 100)
                use = _text(_dict(value).get("use") if isinstance(value, dict) else value, 50)
                if name and use and len(result) < MAX_TRAINING_ENTRIES:
                    result[name] = use
        return result

    # -- ingredients

    def ingredients_of(self, manifest: Mapping[str, Any]) -> list[dict[str, Any]]:
        return [_dict(i) for i in _list(manifest.get("ingredients"))[: 4 * MAX_INGREDIENTS]]

    @staticmethod
    def _opened_refs(actions: list[_Action]) -> tuple[set[str], set[str]]:
        """Assertion labels and instance ids of the ingredients that c2pa.opened names."""
        labels: set[str] = set()
        ids: set[str] = set()
        for a in actions:
            if a.action != "c2pa.opened":
                continue
            refs = _list(a.params.get("ingredients")) + [a.params.get("ingredient")]
            for ref in refs:
                url = _dict(ref).get("url")
                if isinstance(url, str) and "c2pa.assertions/" in url:
                    labels.add(url.rsplit("c2pa.assertions/", 1)[1])
            for key in ("instanceId", "identifier"):
                value = a.params.get(key)
                if isinstance(value, str):
                    ids.add(value)
            for value in _list(a.params.get("org.cai.ingredientIds")):
                if isinstance(value, str):
                    ids.add(value)
        return labels, ids

    def is_base(self, ingredient: Mapping[str, Any], opened: tuple[set[str], set[str]]) -> bool:
        """Is this ingredient the image the manifest started from (not a part placed in it)?"""
        if ingredient.get("relationship") == "parentOf":
            return True
        labels, ids = opened
        return ingredient.get("label") in labels or ingredient.get("instance_id") in ids

    # -- judging how an image was made

    def judge(self, label: str | None, depth: int = 0) -> _Judgement:
        """The class a manifest (and what it was made from) suggests, with plain reasons."""
        if not label or depth > _MAX_DEPTH or label not in self.manifests:
            return _Judgement(None, None)
        if label in self._judged:
            return self._judged[label]
        self._judged[label] = _Judgement(None, None)  # guards against cycles
        result = self._judge(_dict(self.manifests[label]), depth)
        self._judged[label] = result
        return result

    def _judge(self, manifest: Mapping[str, Any], depth: int) -> _Judgement:
        actions = self.actions(manifest)
        name, version = _claim_generator(manifest)

        def by(action: _Action | None) -> tuple[str | None, str | None]:
            return (action.agent, None) if action and action.agent else (name, version)

        created = next((a for a in actions if a.action == "c2pa.created"), None)
        generated = [a for a in actions if a.source_type == "trainedAlgorithmicMedia"]
        composite = [a for a in actions if a.source_type == "compositeWithTrainedAlgorithmicMedia"]

        # 1. The manifest says the image was created by a generative model.
        if created and created.source_type == "trainedAlgorithmicMedia":
            return _Judgement("ai-generated", _term_words("trainedAlgorithmicMedia"), by(created))

        opened = self._opened_refs(actions)
        base: list[tuple[dict[str, Any], _Judgement]] = []
        parts: list[tuple[dict[str, Any], _Judgement]] = []
        for ing in self.ingredients_of(manifest):
            child = ing.get("active_manifest")
            judged = self.judge(child if isinstance(child, str) else None, depth + 1)
            (base if self.is_base(ing, opened) else parts).append((ing, judged))

        def best(items: list[tuple[dict[str, Any], _Judgement]]) -> tuple[str, _Judgement]:
            top = max(items, key=lambda item: _RANK[item[1].verdict], default=None)
            if top is None:
                return "", _Judgement(None, None)
            title = _text(top[0].get("title"), 100) or "untitled"
            return title, top[1]

        base_title, base_j = best(base)
        part_title, part_j = best(parts)
        own_ai = "; this manifest says " + ", ".join(
            dict.fromkeys(a.source_type or "" for a in composite + generated)
        )

        # 2. It started from an image that a generative model created, then edited it.
        if base_j.verdict == "ai-generated":
            reason = (
                f"edited from '{base_title}', an image {base_j.reason or 'made by generative AI'}"
            )
            if composite or generated:
                reason += own_ai
            return _Judgement("ai-generated", reason, base_j.tool if base_j.tool[0] else by(None))
        # 3. Generated content and nothing else to start from.
        if generated and not created and not base:
            return _Judgement(
                "ai-generated", _term_words(generated[0].source_type or ""), by(generated[0])
            )
        # 4. Generative AI in part of it.
        if composite or generated:
            decisive = (composite + generated)[0]
            return _Judgement("ai-assisted", _term_words(decisive.source_type or ""), by(decisive))
        if base_j.verdict == "ai-assisted":
            return _Judgement(
                "ai-assisted", f"edited from '{base_title}', {base_j.reason}", base_j.tool
            )
        if part_j.verdict in ("ai-generated", "ai-assisted"):
            return _Judgement(
                "ai-assisted",
                f"includes '{part_title}', {part_j.reason or 'made with generative AI'}",
                part_j.tool,
            )
        # 5. No generative AI: what the manifest itself says, else what it started from.
        if created and created.source_type and TERMS.get(created.source_type):
            return _Judgement(
                TERMS[created.source_type][0], _term_words(created.source_type), by(created)
            )
        own = [a for a in actions if a.source_type and TERMS.get(a.source_type)]
        if own:
            top_action = max(own, key=lambda a: _RANK[TERMS[a.source_type or ""][0]])
            term = top_action.source_type or ""
            if TERMS[term][0] is not None:
                return _Judgement(TERMS[term][0], _term_words(term), by(top_action))
        if base_j.verdict is not None:
            return _Judgement(
                base_j.verdict, f"edited from '{base_title}', {base_j.reason}", base_j.tool
            )
        return _Judgement(None, None)

    # -- validation

    def active_failures(self) -> list[tuple[str, str | None]]:
        """(code, explanation) of the active manifest's failures, in c2pa-rs's order."""
        found: list[tuple[str, str | None]] = []
        active_results = self.results.get("activeManifest")
        if isinstance(active_results, dict):
            entries = _list(active_results.get("failure"))
        else:
            # Older shape: one flat list; keep the entries about the active manifest.
            label = self.active_label
            entries = [
                s
                for s in self.status
                if not label
                or f"/{label}/" in str(_dict(s).get("url", ""))
                or str(_dict(s).get("url", "")).endswith(f"/{label}")
            ]
        for entry in entries[: 4 * MAX_FAILURES]:
            entry = _dict(entry)
            code = _text(entry.get("code"), 120)
            if code and _is_failure_code(code) and code not in (c for c, _ in found):
                found.append((code, _text(entry.get("explanation"), 200)))
        return found

    def state(self, failures: list[tuple[str, str | None]]) -> ValidationState:
        raw = self.state_raw.lower() if isinstance(self.state_raw, str) else ""
        if raw in _STATES:
            return _STATES[raw]
        if any(not _is_trust_only(code) for code, _ in failures):
            return "invalid"
        return "unverified"

    def delta_failures(self) -> dict[tuple[str, str], list[tuple[str, str | None]]]:
        """Failures found now, per ingredient assertion: (manifest label, assertion label)."""
        result: dict[tuple[str, str], list[tuple[str, str | None]]] = {}
        for delta in _list(self.results.get("ingredientDeltas"))[: 8 * MAX_INGREDIENTS]:
            delta = _dict(delta)
            uri = delta.get("ingredientAssertionURI")
            key = _split_assertion_uri(uri) if isinstance(uri, str) else None
            if key is None:
                continue
            for entry in _list(_dict(delta.get("validationDeltas")).get("failure"))[:MAX_FAILURES]:
                entry = _dict(entry)
                code = _text(entry.get("code"), 120)
                if code and _is_failure_code(code):
                    result.setdefault(key, []).append((code, _text(entry.get("explanation"), 200)))
        return result


def _split_assertion_uri(uri: str) -> tuple[str, str] | None:
    # "self#jumbf=/c2pa/<manifest label>/c2pa.assertions/<assertion label>"
    body = uri.split("=", 1)[-1]
    head, sep, assertion = body.partition("/c2pa.assertions/")
    if not sep or "/c2pa/" not in f"{head}/":
        return None
    manifest = head.split("/c2pa/", 1)[-1].strip("/")
    return (manifest, assertion) if manifest and assertion else None


def _recorded_failures(ingredient: Mapping[str, Any]) -> list[tuple[str, str | None]]:
    """Failures an ingredient recorded when it was added (validation_status or results)."""
    entries = list(_list(ingredient.get("validation_status")))
    recorded = _dict(ingredient.get("validation_results"))
    entries += _list(_dict(recorded.get("activeManifest")).get("failure"))
    found: list[tuple[str, str | None]] = []
    for entry in entries[: 4 * MAX_FAILURES]:
        entry = _dict(entry)
        code = _text(entry.get("code"), 120)
        if code and _is_failure_code(code):
            found.append((code, _text(entry.get("explanation"), 200)))
    return found


def _summarise(store_json: Mapping[str, Any], remote_url: str | None) -> C2PASummary:
    store = _Store(store_json)
    active = store.active
    actions = store.actions(active)
    name, version = _claim_generator(active)
    signature = _dict(active.get("signature_info"))
    active_failures = store.active_failures()
    state = store.state(active_failures)
    judged = store.judge(store.active_label)

    # The ingredient tree, breadth first from the active manifest.
    deltas = store.delta_failures()
    ingredients: list[dict[str, Any]] = []
    where: dict[tuple[str, str], int] = {}
    queue: list[tuple[str, int]] = [(store.active_label, 0)] if store.active_label else []
    visited: set[str] = set()
    while queue and len(ingredients) < MAX_INGREDIENTS:
        label, depth = queue.pop(0)
        if label in visited or depth >= _MAX_DEPTH:
            continue
        visited.add(label)
        for ing in store.ingredients_of(_dict(store.manifests.get(label))):
            if len(ingredients) >= MAX_INGREDIENTS:
                break
            child = ing.get("active_manifest")
            child_label = child if isinstance(child, str) and child in store.manifests else None
            child_actions = (
                store.actions(_dict(store.manifests.get(child_label))) if child_label else []
            )
            problems: list[tuple[str, str | None]] = []
            for code, why in _recorded_failures(ing) + deltas.get(
                (label, str(ing.get("label"))), []
            ):
                if code not in (c for c, _ in problems):
                    problems.append((code, why))
            assertion_label = ing.get("label")
            if isinstance(assertion_label, str):
                where[(label, assertion_label)] = len(ingredients)
            ingredients.append(
                {
                    "title": _text(ing.get("title"), 200),
                    "relationship": _text(ing.get("relationship"), 50),
                    "format": _text(ing.get("format"), 100),
                    "manifest": _text(child_label, 200),
                    "depth": depth + 1,
                    "digital_source_types": store.source_types(child_actions),
                    "problems": [
                        _plain(c, why) for c, why in problems[:_MAX_PROBLEMS_PER_INGREDIENT]
                    ],
                    "problem_codes": [c for c, _ in problems[:_MAX_PROBLEMS_PER_INGREDIENT]],
                }
            )
            if child_label:
                queue.append((child_label, depth + 1))

    failures = [_plain(code, why) for code, why in active_failures]
    unlisted = [problems for key, problems in deltas.items() if key not in where]
    failures += _ingredient_failure_lines(ingredients, unlisted)
    if len(failures) > MAX_FAILURES:
        extra = len(failures) - (MAX_FAILURES - 1)
        failures = failures[: MAX_FAILURES - 1] + [f"... and {extra} more problems"]

    return C2PASummary(
        active_manifest=_text(store.active_label, 300),
        claim_generator=_joined(name, version),
        signer=_text(signature.get("issuer"), 200) or _text(signature.get("common_name"), 200),
        signed_at=_text(signature.get("time"), 64),
        digital_source_types=store.source_types(actions),
        actions=tuple(
            {
                "action": a.action,
                "software_agent": a.agent,
                "digital_source_type": a.source_type,
                "description": a.description,
            }
            for a in actions[:MAX_ACTIONS]
        ),
        ingredients=tuple(ingredients),
        training_mining=store.training_mining(),
        validation_state=state,
        failures=tuple(failures),
        active_failure_codes=tuple(code for code, _ in active_failures),
        manifests_count=len(store.manifests),
        remote_url=remote_url,
        verdict=judged.verdict,
        verdict_reason=_text(judged.reason, 300),
        tool=judged.tool[0] if judged.tool[0] else name,
        tool_version=judged.tool[1] if judged.tool[0] else version,
    )


def _ingredient_failure_lines(
    ingredients: list[dict[str, Any]], unlisted: list[list[tuple[str, str | None]]]
) -> list[str]:
    """One line per ingredient problem; "not trusted here" is said once for all ingredients.

    `unlisted` holds the problems of ingredients beyond the bound on the list.
    """
    named: list[tuple[str, list[str]]] = [
        (ing.get("title") or f"untitled {ing.get('format') or 'ingredient'}", ing["problem_codes"])
        for ing in ingredients
    ]
    words = {
        code: text
        for ing in ingredients
        for code, text in zip(ing["problem_codes"], ing["problems"], strict=True)
    }
    order: list[tuple[bool, str]] = []  # (is a trust code, line or code)
    trust_names: dict[str, list[str]] = {}
    for name, codes in named + [("", [c for c, _ in p]) for p in unlisted]:
        for code in dict.fromkeys(codes):
            if _is_trust_only(code):
                if code not in trust_names:
                    trust_names[code] = []
                    order.append((True, code))
                trust_names[code].append(name)
            elif name:
                order.append((False, f"ingredient '{name}': {words.get(code) or _plain(code)}"))
    lines: list[str] = []
    for is_trust, value in order:
        if not is_trust:
            lines.append(value)
            continue
        names = trust_names[value]
        subject = f"ingredient '{names[0]}'" if len(names) == 1 else f"{len(names)} ingredients"
        lines.append(f"{subject}: {_plain(value)}")
    broken = sum(1 for p in unlisted if any(not _is_trust_only(c) for c, _ in p))
    if broken:
        lines.append(f"{broken} more ingredients have validation problems not listed here")
    return lines


# --------------------------------------------------------------------------------------------
# c2pa-python, lazily and once per process

_lock = threading.Lock()
_context: Any = None
_context_pid: int | None = None


def _c2pa_context() -> Any:
    """One c2pa Context with offline settings, shared by all threads of this process.

    Settings belong to the Context (c2pa-python 0.38 no longer reads the old global
    `load_settings`), and a Context may be shared by Readers on several threads at once; each
    call makes its own Reader. After a fork the child builds its own.
    """
    global _context, _context_pid
    pid = os.getpid()
    ctx = _context
    if ctx is not None and _context_pid == pid:
        return ctx
    with _lock:
        if _context is None or _context_pid != pid:
            try:
                import c2pa
            except ImportError as exc:
                raise RuntimeError("c2pa-python is not installed") from exc
            _context = c2pa.Context.from_dict(_SETTINGS)
            _context_pid = pid
        return _context


def _read_store(data: bytes, fmt: str) -> dict[str, Any]:
    """The manifest store of `data` as c2pa-python reports it. Raises on any failure."""
    context = _c2pa_context()
    import c2pa

    with c2pa.Reader(_MIME.get(fmt.upper()), io.BytesIO(data), context=context) as reader:
        text = reader.json()
    if not isinstance(text, str):
        raise ValueError("no report from c2pa-python")
    if len(text) > _MAX_JSON:
        raise ValueError("the manifest store is too large to read")
    store = json.loads(text)
    if not isinstance(store, dict):
        raise ValueError("unexpected report from c2pa-python")
    return store


_ERROR_PREFIX = re.compile(r"^(?:[A-Z][A-Za-z]+: )+")


def _error_line(exc: BaseException) -> str:
    # "Other: unknown algorithm" -> "unknown algorithm"; one bounded line.
    message = _text(str(exc), 300) or type(exc).__name__
    return _text(_ERROR_PREFIX.sub("", message), 200) or message


# --------------------------------------------------------------------------------------------
# The detector


_STATE_WORDS: Final[dict[str, str]] = {
    "trusted": "valid signature from a signer on a trust list",
    "valid": "valid signature, signer not on a trust list here",
    "unverified": "not verified",
}


def _detail(summary: C2PASummary) -> str:
    parts = [f"Content Credentials signed by {summary.signer or 'an unnamed signer'}"]
    if summary.validation_state == "invalid":
        problems = [
            _plain(code) for code in summary.active_failure_codes if not _is_trust_only(code)
        ] or [_plain(code) for code in summary.active_failure_codes]
        parts.append("not valid: " + "; ".join(problems[:2]) if problems else "not valid")
    else:
        parts.append(_STATE_WORDS[summary.validation_state])
    if summary.verdict_reason:
        parts.append(summary.verdict_reason)
    elif summary.digital_source_types:
        parts.append("digital source type " + ", ".join(summary.digital_source_types[:3]))
    else:
        parts.append("no digital source type stated")
    flawed = sum(
        1 for i in summary.ingredients if any(not _is_trust_only(c) for c in i["problem_codes"])
    )
    if flawed:
        parts.append(f"{flawed} ingredient{'s' if flawed > 1 else ''} with validation problems")
    return "; ".join(parts)


def _finding_extra(summary: C2PASummary) -> dict[str, Any]:
    return {
        "validation_state": summary.validation_state,
        "active_manifest": summary.active_manifest,
        "claim_generator": summary.claim_generator,
        "signer": summary.signer,
        "signed_at": summary.signed_at,
        "digital_source_types": list(summary.digital_source_types),
        "failures": list(summary.failures[:10]),
        "manifests": summary.manifests_count,
        "training_mining": dict(summary.training_mining),
    }


def detect_c2pa(facts: FileFacts) -> tuple[list[Finding], C2PASummary | None]:
    """Findings about a file's Content Credentials, and the summary behind them.

    ([], None) for a file with neither an embedded store nor a remote reference. Never
    raises, never touches the network.
    """
    try:
        return _detect(facts)
    except Exception as exc:  # a bug here must not stop an import
        summary = C2PASummary(error=_error_line(exc))
        finding = Finding(
            source="c2pa",
            family="c2pa",
            detail=f"Content Credentials could not be checked: {summary.error}",
            verified=False,
        )
        return [finding], summary


def detect(facts: FileFacts) -> list[Finding]:
    """The plain detector interface (see base.py): the findings of ``detect_c2pa``."""
    return detect_c2pa(facts)[0]


def _detect(facts: FileFacts) -> tuple[list[Finding], C2PASummary | None]:
    metadata = facts.metadata if isinstance(facts.metadata, Mapping) else {}
    remote = remote_manifest_url(metadata)
    if not has_manifest_store(facts.data, facts.fmt, metadata):
        if remote is None:
            return [], None
        return _remote_only(remote)
    try:
        store = _read_store(facts.data, facts.fmt)
    except Exception as exc:
        if remote is not None and "remote" in str(exc).lower():
            return _remote_only(remote)
        summary = C2PASummary(remote_url=remote, error=_error_line(exc))
        finding = Finding(
            source="c2pa",
            family="c2pa",
            detail=f"Content Credentials present but unreadable: {summary.error}",
            verified=False,
        )
        return [finding], summary
    summary = _summarise(store, remote)
    finding = Finding(
        source="c2pa",
        family="c2pa",
        tool=summary.tool,
        tool_version=summary.tool_version,
        verdict=summary.verdict,
        detail=_detail(summary),
        verified=summary.signature_ok,
        extra=_finding_extra(summary),
    )
    return [finding], summary


def _remote_only(url: str) -> tuple[list[Finding], C2PASummary]:
    summary = C2PASummary(remote_url=url, validation_state="unverified")
    finding = Finding(
        source="xmp:dcterms:provenance",
        family="c2pa",
        detail=f"Content Credentials stored remotely at {url}; not fetched",
        verified=None,
        extra={"remote_url": url, "validation_state": "unverified"},
    )
    return [finding], summary
