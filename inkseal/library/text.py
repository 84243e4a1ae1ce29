"""Text from files and people, made safe to show on one line anywhere."""

from __future__ import annotations

import re
import unicodedata

# Characters that change how the text around them is shown rather than being shown
# themselves: bidirectional embeddings, overrides and isolates (which can make "gnp.exe" read
# as "exe.png"). Marks (LRM, RLM) are harmless and kept.
_BIDI_CONTROLS = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def plain_line(text: str, limit: int | None = None) -> str:
    """`text` as one plain line: control characters (newlines, ANSI escapes) become spaces,
    bidirectional overrides are dropped, runs of white space become one space, the result is
    NFC-normalised and cut to `limit` characters."""
    text = unicodedata.normalize("NFC", text).translate(_BIDI_CONTROLS)
    text = " ".join(_CONTROL.sub(" ", text).split())
    return text[:limit] if limit is not None else text


def escape_controls(text: str) -> str:
    """`text` with control characters other than newline, tab and carriage return written as
    escapes
    (ESC as \\x1b), so that a terminal shows them instead of obeying them."""
    return _CONTROL_BUT_LINES.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


# Newline, tab and carriage return (progress lines redraw themselves with it) are kept.
_CONTROL_BUT_LINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def html_text(text: object) -> str:
    """`text` for rich-text widgets and documents: markup escaped (shown, not obeyed) and
    control characters written as escapes (shown, not dropped)."""
    import html

    return html.escape(escape_controls(str(text).translate(_BIDI_CONTROLS)))
