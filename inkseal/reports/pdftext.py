"""Making a PDF's text copy out (and search) as the characters that were written.

Qt writes, for each embedded font, a ToUnicode map from glyphs back to characters. Where one
glyph serves two characters, it can pick the wrong one: CJK fonts draw 白 and the Kangxi
radical ⽩ (U+2F69) with one glyph, and 竹 comes back as ⽵; ligatures come back as ﬁ. A
reader copying a title then gets look-alike characters that search cannot find. This rewrites
those maps: every target that Unicode compatibility decomposes to ordinary characters (NFKC)
becomes those characters. Only the targets change; the glyph codes on the left stay.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

_HEX = re.compile(rb"<([0-9A-Fa-f]+)>")
# Kangxi radicals, CJK radicals supplement, and Latin ligatures.
_COMPAT = [(0x2E80, 0x2FDF), (0xFB00, 0xFB06)]


def _needs(text: str) -> bool:
    return any(lo <= ord(ch) <= hi for ch in text for lo, hi in _COMPAT)


def _fixed_target(token: bytes) -> bytes:
    """A destination hex string, with compatibility characters made ordinary."""
    try:
        text = bytes.fromhex(token.decode()).decode("utf-16-be")
    except (ValueError, UnicodeDecodeError):
        return token
    if not _needs(text):
        return token
    return unicodedata.normalize("NFKC", text).encode("utf-16-be").hex().upper().encode()


def fix_cmap(data: bytes) -> bytes:
    """A ToUnicode CMap with its targets fixed (see the module docstring)."""
    out: list[bytes] = []
    section: bytes | None = None
    for line in data.split(b"\n"):
        stripped = line.strip()
        if stripped.endswith((b"beginbfrange", b"beginbfchar")):
            section = stripped.split()[-1]
        elif stripped in (b"endbfrange", b"endbfchar"):
            section = None
        elif section is not None:
            tokens = list(_HEX.finditer(line))
            first_target = 2 if section == b"beginbfrange" else 1
            if len(tokens) > first_target:
                pieces: list[bytes] = []
                last = 0
                for i, m in enumerate(tokens):
                    pieces.append(line[last : m.start(1)])
                    value = m.group(1)
                    pieces.append(_fixed_target(value) if i >= first_target else value)
                    last = m.end(1)
                pieces.append(line[last:])
                line = b"".join(pieces)
        out.append(line)
    return b"\n".join(out)


def fix_text_maps(writer: Any) -> int:
    """Fix the ToUnicode map of every font on every page of a pypdf PdfWriter; returns how
    many maps changed."""
    seen: set[int] = set()
    changed = 0
    for page in writer.pages:
        resources = page.get("/Resources")
        fonts = resources.get_object().get("/Font") if resources is not None else None
        if fonts is None:
            continue
        for ref in fonts.get_object().values():
            font = ref.get_object()
            to_unicode = font.get("/ToUnicode")
            if to_unicode is None:
                continue
            stream = to_unicode.get_object()
            if id(stream) in seen:
                continue
            seen.add(id(stream))
            data = stream.get_data()
            new = fix_cmap(data)
            if new != data:
                stream.set_data(new)
                changed += 1
    return changed
