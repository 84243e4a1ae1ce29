"""History entries in plain words: one sentence per event kind, whatever the payload holds."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import pytest

from inkseal.library.history import (
    KNOWN_KINDS,
    MAX_TEXT,
    MAX_VALUE,
    class_words,
    describe_event,
    link_words,
    media_words,
    size_words,
)
from tests.conftest import REPO

SHA = "3b79f2e28efee3a4cd7fd6ff01cc448a6c7827989f809d01957ab79d67c80563"


def _file(**changes: Any) -> dict[str, Any]:
    """A file as the import, attach and detach events describe it."""
    file = {
        "sha256": SHA,
        "name": "crane.png",
        "size": 1_234_567,
        "media_type": "image/png",
        "role": "primary",
        "location": "store",
    }
    file.update(changes)
    return file


# --- one test per kind, with payloads as the code writes them ----------------------------


def test_imported() -> None:
    payload = {"title": "crane", "suggested_class": "unknown", "signals": 0, "file": _file()}
    assert describe_event("work.imported", payload) == (
        "Imported from crane.png (PNG image, 1.2 MB) into the library; no signals found"
    )
    payload = {
        "title": "00199-806698555",
        "suggested_class": "ai-generated",
        "signals": 3,
        "file": _file(name="00199.jpg", size=912, media_type="image/jpeg", location="reference"),
    }
    assert describe_event("work.imported", payload) == (
        "Imported from 00199.jpg (JPEG image, 912 bytes), referenced in place; "
        "3 signals found, suggesting AI-generated"
    )
    one = {"signals": 1, "suggested_class": None, "file": _file()}
    assert describe_event("work.imported", one).endswith("into the library; 1 signal found")


def test_renamed() -> None:
    assert describe_event("work.renamed", {"from": "a", "to": "b"}) == "Renamed from “a” to “b”"
    assert describe_event("work.renamed", {"from": None, "to": "Crane"}) == "Renamed to “Crane”"


def test_edited() -> None:
    payload = {
        "changes": {
            "creator": {"from": None, "to": "Ana Lima"},
            "medium": {"from": "ink", "to": None},
            "creation_date": {"from": "2023", "to": "2024-05"},
        }
    }
    assert describe_event("work.edited", payload) == (
        "Set the creator to “Ana Lima”; cleared the medium (was “ink”); "
        "changed the creation date from “2023” to “2024-05”"
    )
    long = {"changes": {"description": {"from": None, "to": "A crane at dawn. " * 100}}}
    text = describe_event("work.edited", long)
    assert text.startswith("Set the description to “A crane at dawn.") and text.endswith("…”")
    assert len(text) < 100


def test_tagged_and_untagged() -> None:
    tags = {"tags": ["ink", "landscape"]}
    assert describe_event("work.tagged", tags) == "Tagged ink, landscape"
    assert describe_event("work.untagged", tags) == "Removed the tags ink, landscape"
    assert describe_event("work.untagged", {"tags": ["ink"]}) == "Removed the tag ink"
    many = {"tags": [f"t{i}" for i in range(9)]}
    assert describe_event("work.tagged", many) == "Tagged t0, t1, t2, t3, t4 and 4 more"


def test_collected_and_uncollected() -> None:
    assert describe_event("work.collected", {"collections": ["Birds"]}) == (
        "Added to the collection Birds"
    )
    assert describe_event("work.collected", {"collections": ["Birds", "Winter"]}) == (
        "Added to the collections Birds, Winter"
    )
    assert describe_event("work.uncollected", {"collections": ["Birds"]}) == (
        "Removed from the collection Birds"
    )


def _declared(**changes: Any) -> dict[str, Any]:
    payload = {
        "class": "ai-assisted",
        "previous_class": "undeclared",
        "ai_uses": [
            {"tool": "Stable Diffusion XL", "stage": "background", "note": "sky only"},
            {"tool": "Photoshop Generative Fill", "stage": "inpainting", "note": None},
        ],
        "note": None,
        "declared_by": None,
        "needs_review": False,
        "review_reason": None,
    }
    payload.update(changes)
    return payload


def test_declared() -> None:
    assert describe_event("work.declared", _declared()) == (
        "Declared AI-assisted (was undeclared), with 2 AI uses: Stable Diffusion XL for "
        "background (sky only); Photoshop Generative Fill for inpainting"
    )
    human = _declared(
        **{"class": "human-made", "ai_uses": [], "note": "Pencil and ink", "declared_by": "Ana"}
    )
    assert describe_event("work.declared", human) == (
        "Declared human-made (was undeclared) by Ana — note: “Pencil and ink”"
    )
    again = _declared(previous_class="ai-assisted", ai_uses=[{"tool": "Krea", "stage": "other"}])
    assert describe_event("work.declared", again) == (
        "Declared AI-assisted again, with 1 AI use: Krea for something else"
    )
    flagged = _declared(
        **{
            "class": "human-made",
            "ai_uses": [],
            "needs_review": True,
            "review_reason": "declared human-made, but the files carry AI evidence: "
            "crane.png: Midjourney (xmp)",
        }
    )
    assert describe_event("work.declared", flagged) == (
        "Declared human-made (was undeclared) — needs review: declared human-made, but the "
        "files carry AI evidence: crane.png: Midjourney (xmp)"
    )
    withdrawn = _declared(**{"class": "undeclared", "previous_class": "human-made", "ai_uses": []})
    assert describe_event("work.declared", withdrawn) == (
        "Withdrew the declaration (was human-made)"
    )
    generated = _declared(**{"class": "ai-generated", "previous_class": "ai-assisted"})
    assert describe_event("work.declared", generated).startswith(
        "Declared AI-generated (was AI-assisted), with 2 AI uses"
    )
    many = _declared(ai_uses=[{"tool": f"Tool {i}", "stage": "editing"} for i in range(8)])
    assert describe_event("work.declared", many).endswith(
        "with 8 AI uses: Tool 0 for editing; Tool 1 for editing; Tool 2 for editing; "
        "Tool 3 for editing; Tool 4 for editing and 3 more"
    )


def test_trashed_restored_deleted() -> None:
    assert describe_event("work.trashed", {"title": "Crane"}) == "Moved “Crane” to the Trash"
    assert describe_event("work.restored", {"title": "Crane"}) == (
        "Restored “Crane” from the Trash"
    )
    assert describe_event("work.restored", {"reason": "imported again"}) == (
        "Restored from the Trash because its file was imported again"
    )
    deleted = {"title": "Crane", "files": [SHA, "0" * 64]}
    assert describe_event("work.deleted", deleted) == "Deleted “Crane” for good, with its 2 files"


def test_rescanned() -> None:
    payload = {
        "file": {"sha256": SHA, "suggested_class": "ai-generated"},
        "signals": 2,
        "suggested_class": "ai-generated",
        "needs_review": True,
        "review_reason": "declared human-made, but the files carry AI evidence: a.png: C2PA",
    }
    assert describe_event("work.rescanned", payload) == (
        "Rescanned a file (SHA-256 3b79f2e28efe…): 2 signals found, suggesting AI-generated"
        " — needs review: declared human-made, but the files carry AI evidence: a.png: C2PA"
    )
    quiet = {"file": {"sha256": SHA, "suggested_class": "unknown"}, "signals": 0}
    assert describe_event("work.rescanned", quiet).endswith(": no signals found")


def test_file_attached_and_detached() -> None:
    sketch = _file(name="sketch.kra", size=3_400_000, media_type="application/x-krita")
    sketch["role"] = "sketch"
    assert describe_event("file.attached", {"file_id": 7, "file": sketch}) == (
        "Attached sketch.kra (Krita document, 3.4 MB) as sketch"
    )
    assert describe_event("file.detached", {"file_id": 7, "file": sketch}) == (
        "Detached sketch.kra (Krita document, 3.4 MB), which was attached as sketch"
    )
    back = {"file_id": 9, "file": sketch, "restored": True}
    assert describe_event("file.attached", back).startswith("Re-attached sketch.kra")
    video = _file(name="timelapse.mp4", size=48_000_000, media_type="video/mp4")
    video.update(role="timelapse", location="reference")
    assert describe_event("file.attached", {"file_id": 8, "file": video}) == (
        "Attached timelapse.mp4 (MP4 video, 48 MB) as timelapse, referenced in place"
    )
    wip = _file(name="wip.psd", size=20_600, media_type="image/vnd.adobe.photoshop", role="wip")
    assert describe_event("file.attached", {"file_id": 8, "file": wip}) == (
        "Attached wip.psd (Photoshop document, 21 KB) as work in progress"
    )


def test_file_role_changed() -> None:
    payload = {"file_id": 7, "name": "sketch.kra", "from": "sketch", "to": "wip"}
    assert describe_event("file.role_changed", payload) == (
        "Changed the role of sketch.kra from sketch to work in progress"
    )


def test_files_reordered() -> None:
    few = {"order": [3, 1, 2], "names": ["a.png", "b.kra", "c.mp4"]}
    assert describe_event("files.reordered", few) == "Reordered the files: a.png, b.kra, c.mp4"
    names = [f"f{i}.png" for i in range(8)]
    many = {"order": list(range(8)), "names": names}
    assert describe_event("files.reordered", many) == (
        "Reordered the files: f0.png, f1.png, f2.png, f3.png, f4.png and 3 more"
    )


LINKS = [
    ("derived-from", "outgoing", "Linked: derived from work #12 “Crane”"),
    ("derived-from", "incoming", "Linked: work #12 “Crane” is derived from this work"),
    ("study-for", "outgoing", "Linked: a study for work #12 “Crane”"),
    ("study-for", "incoming", "Linked: work #12 “Crane” is a study for this work"),
    ("variant-of", "outgoing", "Linked: a variant of work #12 “Crane”"),
    ("variant-of", "incoming", "Linked: work #12 “Crane” is a variant of this work"),
    ("same-series", "outgoing", "Linked: in the same series as work #12 “Crane”"),
    ("same-series", "incoming", "Linked: in the same series as work #12 “Crane”"),
]


@pytest.mark.parametrize("kind,direction,expected", LINKS)
def test_linked_and_unlinked(kind: str, direction: str, expected: str) -> None:
    payload = {"kind": kind, "other_work_id": 12, "other_title": "Crane", "direction": direction}
    assert describe_event("work.linked", payload) == expected
    assert describe_event("work.unlinked", payload) == expected.replace("Linked", "Unlinked")


def test_links_of_unknown_kind_or_direction() -> None:
    odd = {"kind": "inspired-by", "other_work_id": 3, "other_title": None, "direction": "outgoing"}
    assert describe_event("work.linked", odd) == "Linked with work #3 (inspired-by)"
    assert describe_event("work.unlinked", odd) == "Unlinked from work #3 (inspired-by)"
    lost = {"kind": "study-for", "other_title": "Crane", "direction": "sideways"}
    assert describe_event("work.linked", lost) == "Linked with work “Crane” (a study for)"


def test_link_words() -> None:
    assert link_words("derived-from", "outgoing") == "derived from"
    assert link_words("derived-from", "incoming") == "has a derivative"
    assert link_words("study-for", "outgoing") == "a study for"
    assert link_words("study-for", "incoming") == "has a study"
    assert link_words("variant-of", "outgoing") == "a variant of"
    assert link_words("variant-of", "incoming") == "has a variant"
    assert link_words("same-series", "outgoing") == "in the same series as"
    assert link_words("same-series", "incoming") == "in the same series as"
    assert link_words("inspired-by", "outgoing") == "linked (inspired-by) with"
    assert link_words(None, None) == "linked with"  # type: ignore[arg-type]


def test_exported() -> None:
    payload = {"what": "the provenance record", "to": "crane-record.json"}
    assert describe_event("work.exported", payload) == (
        "Exported the provenance record to crane-record.json"
    )
    assert describe_event("work.exported", {"what": "a C2PA manifest"}) == (
        "Exported a C2PA manifest"
    )


def test_unknown_kinds() -> None:
    assert describe_event("foo.bar", {"x": 1}) == "Event “foo.bar”"
    assert describe_event("", {}) == "An event of an unknown kind"
    assert describe_event(None, None) == "An event of an unknown kind"  # type: ignore[arg-type]
    assert len(describe_event("k" * 10_000, {})) < 100


def test_class_words() -> None:
    assert class_words("human-made") == "human-made"
    assert class_words("ai-assisted") == "AI-assisted"
    assert class_words("ai-generated") == "AI-generated"
    assert class_words("undeclared") == "undeclared"
    assert class_words("something-else") == "something-else"
    assert class_words(None) == "an unknown class"  # type: ignore[arg-type]
    assert class_words(["ai-generated"]) == "an unknown class"  # type: ignore[arg-type]


def test_sizes_and_media_types() -> None:
    assert size_words(0) == "0 bytes"
    assert size_words(1) == "1 byte"
    assert size_words(999) == "999 bytes"
    assert size_words(1000) == "1.0 KB"
    assert size_words(20_600) == "21 KB"
    assert size_words(999_999) == "1.0 MB"
    assert size_words(1_234_567) == "1.2 MB"
    assert size_words(37_000_000) == "37 MB"
    assert size_words(5_000_000_000) == "5.0 GB"
    for bad in (-1, None, "12", 1.5, True, [1], 10**40):
        assert size_words(bad) is None
    assert media_words("image/png") == "PNG image"
    assert media_words("IMAGE/PNG") == "PNG image"
    assert media_words("image/x-portable-anymap") == "PORTABLE-ANYMAP image"
    assert media_words("application/octet-stream") is None
    assert media_words("text/plain") == "text/plain"
    assert media_words(None) is None


def test_text_is_one_line_without_control_characters() -> None:
    text = describe_event("work.renamed", {"from": "a\nb\tc\x00d", "to": "e\r\n  f\u2028g"})
    assert text == "Renamed from “a b c d” to “e f g”"


# --- hostile payloads ----------------------------------------------------------------------

MB = "x" * 1_000_000
KEYS = [
    "title",
    "suggested_class",
    "signals",
    "file",
    "from",
    "to",
    "changes",
    "tags",
    "collections",
    "class",
    "previous_class",
    "ai_uses",
    "note",
    "declared_by",
    "needs_review",
    "review_reason",
    "reason",
    "files",
    "file_id",
    "restored",
    "name",
    "order",
    "names",
    "kind",
    "other_work_id",
    "other_title",
    "direction",
    "what",
]
VALUES: list[Any] = [
    None,
    True,
    0,
    -5,
    10**40,
    math.nan,
    math.inf,
    "",
    "   ",
    MB,
    "line\n" * 50_000,
    ["a", None, 3, ["nested"], {"x": 1}],
    [MB] * 20,
    [None] * 100_000,
    {"x": MB},
    {"from": MB, "to": [MB], "name": {"a": 1}, "size": "big", "media_type": ["image/png"]},
    _file(name=MB, size=-1, media_type=MB, role=MB, location=MB),
    [_declared(), {"tool": MB, "stage": MB, "note": MB}] * 10,
    {"description": {"from": MB, "to": MB}, "medium": "not a change", MB: None},
]


def _hostile_payloads() -> list[Any]:
    payloads: list[Any] = [None, [], "text", 5, {}, {"unrelated": MB}]
    for value in VALUES:
        payloads.append(dict.fromkeys(KEYS, value))
    payloads.append({key: VALUES[i % len(VALUES)] for i, key in enumerate(KEYS)})
    payloads.append({key: VALUES[(i * 7 + 3) % len(VALUES)] for i, key in enumerate(KEYS)})
    return payloads


HOSTILE = _hostile_payloads()


@pytest.mark.parametrize("kind", [*KNOWN_KINDS, "foo.bar", MB])
def test_hostile_payloads_never_raise_and_stay_short(kind: str) -> None:
    for payload in HOSTILE:
        text = describe_event(kind, payload)
        assert isinstance(text, str) and text.strip()
        assert len(text) <= MAX_TEXT
        assert "\n" not in text and "\r" not in text
        assert "x" * (MAX_VALUE + 1) not in text


def test_every_value_is_cut_to_about_200_characters() -> None:
    text = describe_event("work.renamed", {"from": "a", "to": "b" * 5000})
    quoted = text.split("to ", 1)[1]
    assert quoted.endswith("…”") and len(quoted) <= MAX_VALUE + 2


# --- the code's own events ---------------------------------------------------------------


def test_every_kind_the_code_writes_has_words() -> None:
    """Kinds named anywhere in the library (append_event calls and their variables)."""
    pattern = re.compile(r"\"((?:work|file|files)\.[a-z_]+)\"")
    written: set[str] = set()
    for path in (REPO / "inkseal" / "library").rglob("*.py"):
        if path.name == "history.py":
            continue
        source = path.read_text(encoding="utf-8")
        if "append_event" in source:
            written |= set(pattern.findall(source))
    assert written, "no event kinds found"
    assert written <= set(KNOWN_KINDS), sorted(written - set(KNOWN_KINDS))


def test_events_written_by_the_library_read_well(lib: Any, tmp_path: Path) -> None:
    from sqlalchemy import select

    from inkseal.library.importer import import_paths
    from inkseal.library.trash import empty_trash, restore_works, trash_works
    from inkseal.library.works import (
        AIUseInput,
        add_tags,
        add_to_collections,
        declare,
        edit_fields,
        remove_from_collections,
        remove_tags,
        rename,
    )
    from inkseal.models.entities import Event
    from tests.images import gradient, save

    path = save(gradient(seed=3), tmp_path / "crane.png", "PNG")
    (outcome,) = import_paths(lib, [path]).outcomes
    wid = outcome.work_id
    assert wid is not None
    rename(lib, wid, "Crane at dawn")
    edit_fields(lib, wid, {"creator": "Ana", "medium": "ink"})
    add_tags(lib, wid, ["ink", "landscape"])
    remove_tags(lib, wid, ["ink"])
    add_to_collections(lib, wid, ["Birds"])
    remove_from_collections(lib, wid, ["Birds"])
    declare(lib, wid, "ai-assisted", [AIUseInput("Stable Diffusion XL", "background", "sky")])
    trash_works(lib, [wid])
    restore_works(lib, [wid])
    trash_works(lib, [wid])
    empty_trash(lib)
    with lib.read() as s:
        events = [(e.kind, e.payload_json) for e in s.scalars(select(Event).order_by(Event.id))]
    import json

    texts = [describe_event(kind, json.loads(payload)) for kind, payload in events]
    size = size_words(path.stat().st_size)
    assert texts == [
        f"Imported from crane.png (PNG image, {size}) into the library; no signals found",
        "Renamed from “crane” to “Crane at dawn”",
        "Set the creator to “Ana”; set the medium to “ink”",
        "Tagged ink, landscape",
        "Removed the tag ink",
        "Added to the collection Birds",
        "Removed from the collection Birds",
        "Declared AI-assisted (was undeclared), with 1 AI use: Stable Diffusion XL for "
        "background (sky)",
        "Moved “Crane at dawn” to the Trash",
        "Restored “Crane at dawn” from the Trash",
        "Moved “Crane at dawn” to the Trash",
        "Deleted “Crane at dawn” for good, with its file",
    ]
