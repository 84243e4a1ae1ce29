"""History entries in plain words, for the inspector's History tab and the CLI.

Payloads come from the database, which could have been edited by hand, so nothing here
trusts them: every value is checked for its type, long text is cut short, long lists are
summarised, and `describe_event` never raises. The text is plain (the GUI escapes it).
Quotation marks are typographic (“…”) throughout.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

# A value quoted in a sentence is cut to about this many characters.
MAX_VALUE = 200
# A whole sentence is cut to this many characters.
MAX_TEXT = 1200
# Lists (tags, files, AI uses) show this many items, then "and N more".
MAX_LISTED = 5
_ELLIPSIS = "…"
# At most this many items of a list are looked at for the ones to show.
_SCANNED = 1000

_CLASS_WORDS = {
    "human-made": "human-made",
    "ai-assisted": "AI-assisted",
    "ai-generated": "AI-generated",
    "undeclared": "undeclared",
    "unknown": "unknown",
}

# The phrase for this work's side of a link: (outgoing, incoming). An outgoing link reads
# "this work <phrase> the other"; an incoming one "the other <outgoing phrase> this work".
_LINK_WORDS = {
    "derived-from": ("derived from", "has a derivative"),
    "study-for": ("a study for", "has a study"),
    "variant-of": ("a variant of", "has a variant"),
    "same-series": ("in the same series as", "in the same series as"),
}
_SYMMETRIC_LINKS = {"same-series"}

_ROLE_WORDS = {"wip": "work in progress"}
_STAGE_WORDS = {"other": "something else"}
_FIELD_WORDS = {"creation_date": "creation date"}
# Fields whose values are too long to repeat in a sentence in full.
_SHORT_FIELDS = {"description": 60}

_MEDIA_WORDS = {
    "image/jpeg": "JPEG image",
    "image/png": "PNG image",
    "image/apng": "animated PNG image",
    "image/webp": "WebP image",
    "image/gif": "GIF image",
    "image/tiff": "TIFF image",
    "image/bmp": "BMP image",
    "image/heic": "HEIC image",
    "image/heif": "HEIF image",
    "image/avif": "AVIF image",
    "image/svg+xml": "SVG drawing",
    "image/vnd.adobe.photoshop": "Photoshop document",
    "image/openraster": "OpenRaster document",
    "application/x-krita": "Krita document",
    "application/x-procreate": "Procreate document",
    "application/x-clip-studio": "Clip Studio Paint file",
    "application/pdf": "PDF document",
    "application/zip": "ZIP archive",
    "video/mp4": "MP4 video",
    "video/quicktime": "QuickTime video",
    "video/webm": "WebM video",
    "video/x-matroska": "Matroska video",
}


# Small, type-checking readers ----------------------------------------------------------


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 1)].rstrip() + _ELLIPSIS


def _text(value: Any, limit: int = MAX_VALUE) -> str | None:
    """A value as one line of at most `limit` characters, or None when it is no text."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return str(value) if abs(value) < 10**30 else None
    if isinstance(value, float):
        return f"{value:g}" if math.isfinite(value) else None
    if not isinstance(value, str):
        return None
    # Look at no more than needed: a huge value is cut anyway.
    head = value[: limit * 8 + 16]
    cleaned = " ".join("".join(c if c.isprintable() else " " for c in head).split())
    if not cleaned:
        return None
    if len(head) < len(value) and len(cleaned) <= limit:  # more followed: say so
        return cleaned[: limit - 1].rstrip() + _ELLIPSIS
    return _cut(cleaned, limit)


def _quoted(value: Any, limit: int = MAX_VALUE) -> str | None:
    text = _text(value, limit)
    return f"“{text}”" if text is not None else None


def _count(value: Any) -> int | None:
    """A non-negative whole number, or None."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if 0 <= value < 10**18 else None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _listed(value: Any, limit: int = MAX_VALUE) -> tuple[list[str], int]:
    """The first few texts of a list, and how many items it has in all."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple):
        return [], 0
    shown: list[str] = []
    for item in value[:_SCANNED]:
        text = _text(item, limit)
        if text is not None:
            shown.append(text)
            if len(shown) == MAX_LISTED:
                break
    return shown, len(value)


def _series(items: list[str], total: int, sep: str = ", ") -> str:
    """'a, b, c' or 'a, b, c and 4 more'."""
    text = sep.join(items)
    rest = total - len(items)
    if rest > 0:
        text = f"{text} and {rest} more" if text else f"{rest} items"
    return text


def _plural(n: int, word: str, words: str | None = None) -> str:
    return f"{n} {word if n == 1 else (words or word + 's')}"


# Public helpers ------------------------------------------------------------------------


def class_words(cls: str) -> str:
    """A provenance class as the app writes it: 'human-made', 'AI-assisted', 'AI-generated',
    'undeclared' (and 'unknown', the suggestion when nothing is known)."""
    if isinstance(cls, str) and cls in _CLASS_WORDS:
        return _CLASS_WORDS[cls]
    return _text(cls, 60) or "an unknown class"


def link_words(kind: str, direction: str) -> str:
    """This work's side of a link, read before the other work: link_words("study-for",
    "outgoing") is "a study for" (this work is a study for the other), link_words("study-for",
    "incoming") is "has a study" (the other work is a study for this one)."""
    words = _LINK_WORDS.get(kind) if isinstance(kind, str) else None
    if words is None:
        label = _text(kind, 60)
        return f"linked ({label}) with" if label else "linked with"
    return words[1] if direction == "incoming" else words[0]


def size_words(size: Any) -> str | None:
    """A file size in decimal units (1 KB = 1000 bytes, 1 MB = 1000 KB, as file managers on
    macOS and GNOME show them): '820 bytes', '4.2 KB', '1.2 MB', '37 MB'."""
    n = _count(size)
    if n is None:
        return None
    if n < 1000:
        return _plural(n, "byte")
    value = float(n)
    for unit in ("KB", "MB", "GB", "TB", "PB"):
        value /= 1000
        shown = f"{value:.1f}" if value < 9.95 else f"{value:.0f}"
        if float(shown) < 1000 or unit == "PB":
            return f"{shown} {unit}"
    return None  # pragma: no cover - the loop always returns


def media_words(media_type: Any) -> str | None:
    """A media type in words: 'PNG image', 'Krita document'; None when it says nothing."""
    text = _text(media_type, 100)
    if text is None:
        return None
    text = text.lower()
    if text in _MEDIA_WORDS:
        return _MEDIA_WORDS[text]
    if text == "application/octet-stream":
        return None
    major, _, minor = text.partition("/")
    for prefix in ("x-", "vnd."):
        minor = minor.removeprefix(prefix)
    if major in ("image", "video", "audio") and minor:
        return f"{minor.upper()} {major}"
    return text


# Pieces of sentences -------------------------------------------------------------------


def _file_words(file: dict[str, Any]) -> str:
    """'crane.png (PNG image, 1.2 MB)', 'a file (…)' when the name is missing."""
    name = _text(file.get("name")) or "a file"
    details = [d for d in (media_words(file.get("media_type")), size_words(file.get("size"))) if d]
    return f"{name} ({', '.join(details)})" if details else name


def _role_words(role: Any) -> str | None:
    text = _text(role, 60)
    return _ROLE_WORDS.get(text, text) if text is not None else None


def _work_words(work_id: Any, title: Any) -> str:
    """'work #12 “Crane”', 'work #12', 'work “Crane”' or 'another work'."""
    number = _count(work_id)
    name = _quoted(title)
    if number is not None and name:
        return f"work #{number} {name}"
    if number is not None:
        return f"work #{number}"
    return f"work {name}" if name else "another work"


def _review_words(payload: dict[str, Any]) -> str:
    if payload.get("needs_review") is not True:
        return ""
    reason = _text(payload.get("review_reason"))
    return f" — needs review: {reason}" if reason else " — needs review"


def _suggestion_words(signals: Any, suggested: Any) -> str:
    """'3 signals found, suggesting AI-generated', 'no signals found', 'suggesting …'."""
    n = _count(signals)
    cls = suggested if isinstance(suggested, str) and suggested.strip() else None
    if cls == "unknown":
        cls = None
    found = (
        ("no signals found" if n == 0 else _plural(n, "signal") + " found") if n is not None else ""
    )
    if cls is None:
        return found
    suggestion = f"suggesting {class_words(cls)}"
    return f"{found}, {suggestion}" if found else suggestion


# One describer per kind ----------------------------------------------------------------

Describer = Callable[[dict[str, Any]], str]


def _imported(p: dict[str, Any]) -> str:
    file = _dict(p.get("file"))
    if file:
        where = file.get("location")
        text = f"Imported from {_file_words(file)}"
        text += ", referenced in place" if where == "reference" else " into the library"
    else:
        text = "Imported into the library"
    found = _suggestion_words(p.get("signals"), p.get("suggested_class"))
    return f"{text}; {found}" if found else text


def _renamed(p: dict[str, Any]) -> str:
    old, new = _quoted(p.get("from")), _quoted(p.get("to"))
    if old and new:
        return f"Renamed from {old} to {new}"
    if new:
        return f"Renamed to {new}"
    return f"Renamed (was {old})" if old else "Renamed"


def _change_words(field: str, change: Any) -> str:
    label = _FIELD_WORDS.get(field, field.replace("_", " "))
    limit = _SHORT_FIELDS.get(field, MAX_VALUE)
    change = _dict(change)
    old, new = _quoted(change.get("from"), limit), _quoted(change.get("to"), limit)
    if old and new:
        return f"changed the {label} from {old} to {new}"
    if new:
        return f"set the {label} to {new}"
    if old:
        return f"cleared the {label} (was {old})"
    return f"changed the {label}"


def _edited(p: dict[str, Any]) -> str:
    changes = _dict(p.get("changes"))
    parts: list[str] = []
    for field, change in changes.items():
        label = _text(field, 60)
        if label is not None:
            parts.append(_change_words(label, change))
        if len(parts) == MAX_LISTED:
            break
    if not parts:
        return "Edited the details"
    text = _series(parts, len(changes), "; ")
    return text[:1].upper() + text[1:]


def _names_sentence(p: dict[str, Any], key: str, one: str, many: str, bare: str) -> str:
    shown, total = _listed(p.get(key))
    if not shown:
        return bare
    return f"{one if total == 1 else many} {_series(shown, total)}"


def _tagged(p: dict[str, Any]) -> str:
    return _names_sentence(p, "tags", "Tagged", "Tagged", "Tagged")


def _untagged(p: dict[str, Any]) -> str:
    return _names_sentence(p, "tags", "Removed the tag", "Removed the tags", "Removed tags")


def _collected(p: dict[str, Any]) -> str:
    return _names_sentence(
        p,
        "collections",
        "Added to the collection",
        "Added to the collections",
        "Added to a collection",
    )


def _uncollected(p: dict[str, Any]) -> str:
    return _names_sentence(
        p,
        "collections",
        "Removed from the collection",
        "Removed from the collections",
        "Removed from a collection",
    )


def _ai_use_words(use: Any) -> str | None:
    if isinstance(use, str):  # a hand-written list of tool names
        return _text(use)
    use = _dict(use)
    if not use:
        return None
    tool = _text(use.get("tool")) or "an AI tool"
    stage = _text(use.get("stage"), 60)
    note = _text(use.get("note"))
    text = f"{tool} for {_STAGE_WORDS.get(stage, stage)}" if stage else tool
    return f"{text} ({note})" if note else text


def _ai_uses_words(value: Any) -> str:
    if not isinstance(value, list | tuple) or not value:
        return ""
    shown: list[str] = []
    for use in value[:_SCANNED]:
        words = _ai_use_words(use)
        if words is not None:
            shown.append(words)
            if len(shown) == MAX_LISTED:
                break
    n = len(value)
    head = f"with {_plural(n, 'AI use')}"
    return f"{head}: {_series(shown, n, '; ')}" if shown else head


def _declared(p: dict[str, Any]) -> str:
    cls, prev = p.get("class"), p.get("previous_class")
    if not isinstance(prev, str) or not prev.strip():
        prev = None
    if not isinstance(cls, str) or not cls.strip():
        text = "Declared how the work was made"
    elif cls == "undeclared":
        text = "Withdrew the declaration"
        if prev is not None and prev != "undeclared":
            text += f" (was {class_words(prev)})"
    else:
        text = f"Declared {class_words(cls)}"
        if prev == cls:
            text += " again"
        elif prev is not None:
            text += f" (was {class_words(prev)})"
    by = _text(p.get("declared_by"))
    if by:
        text += f" by {by}"
    uses = _ai_uses_words(p.get("ai_uses"))
    if uses:
        text += f", {uses}"
    note = _quoted(p.get("note"))
    if note:
        text += f" — note: {note}"
    return text + _review_words(p)


def _trashed(p: dict[str, Any]) -> str:
    title = _quoted(p.get("title"))
    return f"Moved {title} to the Trash" if title else "Moved to the Trash"


def _restored(p: dict[str, Any]) -> str:
    title = _quoted(p.get("title"))
    text = f"Restored {title} from the Trash" if title else "Restored from the Trash"
    reason = _text(p.get("reason"))
    if reason == "imported again":
        return f"{text} because its file was imported again"
    return f"{text} ({reason})" if reason else text


def _deleted(p: dict[str, Any]) -> str:
    title = _quoted(p.get("title"))
    text = f"Deleted {title} for good" if title else "Deleted for good"
    files = p.get("files")
    if isinstance(files, list | tuple) and files:
        text += ", with its file" if len(files) == 1 else f", with its {len(files)} files"
    return text


def _rescanned(p: dict[str, Any]) -> str:
    file = _dict(p.get("file"))
    sha = _text(file.get("sha256"), 64)
    text = f"Rescanned a file (SHA-256 {sha[:12]}…)" if sha else "Rescanned a file"
    suggested = file.get("suggested_class") or p.get("suggested_class")
    found = _suggestion_words(p.get("signals"), suggested)
    if found:
        text += f": {found}"
    return text + _review_words(p)


def _file_event(verb: str, p: dict[str, Any]) -> str:
    file = _dict(p.get("file"))
    text = f"{verb} {_file_words(file)}"
    role = _role_words(file.get("role"))
    if role:
        text += f" as {role}" if verb != "Detached" else f", which was attached as {role}"
    if verb != "Detached" and file.get("location") == "reference":
        text += ", referenced in place"
    return text


def _attached(p: dict[str, Any]) -> str:
    return _file_event("Re-attached" if p.get("restored") is True else "Attached", p)


def _detached(p: dict[str, Any]) -> str:
    return _file_event("Detached", p)


def _role_changed(p: dict[str, Any]) -> str:
    name = _text(p.get("name")) or "a file"
    old, new = _role_words(p.get("from")), _role_words(p.get("to"))
    if old and new:
        return f"Changed the role of {name} from {old} to {new}"
    if new:
        return f"Changed the role of {name} to {new}"
    return f"Changed the role of {name}"


def _reordered(p: dict[str, Any]) -> str:
    shown, total = _listed(p.get("names"))
    if shown:
        return f"Reordered the files: {_series(shown, total)}"
    order = p.get("order")
    if isinstance(order, list | tuple) and order:
        return f"Reordered the files ({_plural(len(order), 'file')})"
    return "Reordered the files"


def _link_sentence(verb: str, p: dict[str, Any]) -> str:
    kind, direction = p.get("kind"), p.get("direction")
    other = _work_words(p.get("other_work_id"), p.get("other_title"))
    words = _LINK_WORDS.get(kind) if isinstance(kind, str) else None
    plain = f"{verb} {'from' if verb == 'Unlinked' else 'with'} {other}"
    if words is None:
        label = _text(kind, 60)
        return f"{plain} ({label})" if label else plain
    if kind in _SYMMETRIC_LINKS or direction == "outgoing":
        return f"{verb}: {words[0]} {other}"
    if direction == "incoming":
        return f"{verb}: {other} is {words[0]} this work"
    return f"{plain} ({words[0]})"  # which way it points is not recorded


def _linked(p: dict[str, Any]) -> str:
    return _link_sentence("Linked", p)


def _unlinked(p: dict[str, Any]) -> str:
    return _link_sentence("Unlinked", p)


def _exported(p: dict[str, Any]) -> str:
    what, to = _text(p.get("what")), _text(p.get("to"))
    text = f"Exported {what}" if what else "Exported"
    return f"{text} to {to}" if to else text


_DESCRIBERS: dict[str, Describer] = {
    "work.imported": _imported,
    "work.renamed": _renamed,
    "work.edited": _edited,
    "work.tagged": _tagged,
    "work.untagged": _untagged,
    "work.collected": _collected,
    "work.uncollected": _uncollected,
    "work.declared": _declared,
    "work.trashed": _trashed,
    "work.restored": _restored,
    "work.deleted": _deleted,
    "work.rescanned": _rescanned,
    "file.attached": _attached,
    "file.detached": _detached,
    "file.role_changed": _role_changed,
    "files.reordered": _reordered,
    "work.linked": _linked,
    "work.unlinked": _unlinked,
    "work.exported": _exported,
}
KNOWN_KINDS = tuple(_DESCRIBERS)


def _unknown(kind: Any) -> str:
    label = _quoted(kind, 80)
    return f"Event {label}" if label else "An event of an unknown kind"


def describe_event(kind: str, payload: dict[str, Any]) -> str:
    """One plain sentence for a history entry, e.g. 'Imported from crane.png (PNG image,
    1.2 MB) into the library', 'Renamed from “a” to “b”', 'Tagged ink, landscape'.

    Never raises: a payload with missing keys or values of the wrong type still gives a
    sentence, with what it holds; an unknown kind gives 'Event “foo.bar”'.
    """
    try:
        describer = _DESCRIBERS.get(kind) if isinstance(kind, str) else None
        data = payload if isinstance(payload, dict) else {}
        text = describer(data) if describer is not None else _unknown(kind)
    except Exception:  # a payload nobody foresaw: still say what happened
        try:
            text = _unknown(kind)
        except Exception:
            text = "An event"
    text = " ".join(text.split())
    return _cut(text, MAX_TEXT) if text else "An event"
