"""What every detector shares: the facts about one file it reads, and what it reports.

A detector is a function `detect(facts: FileFacts) -> list[Finding]`. It reads only the bytes
and the metadata already extracted; it never writes, never fetches anything from the network,
and never raises for malformed input (it returns nothing, or a Finding that says what is odd).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from PIL import Image

    from inkseal.library.pngchunks import TextChunk

# The classes a finding can point to. "not-generative" is AI or algorithmic processing that is
# not generative (IPTC algorithmicMedia, algorithmicallyEnhanced): it never makes a work AI.
Verdict = Literal["ai-generated", "ai-assisted", "human-made", "not-generative"]

MAX_PROMPT = 8000
MAX_DETAIL = 500


def clip(text: str | None, limit: int) -> str | None:
    """`text` bounded to `limit` characters, with an ellipsis when cut; None stays None."""
    if text is None:
        return None
    text = text.strip()
    if not text:
        return None
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class Finding:
    """One thing a detector found in a file."""

    # Where in the file, e.g. "png:parameters", "exif:UserComment", "c2pa", "alpha:stealth".
    source: str
    # Which detector family found it: "a1111", "comfyui", "novelai", "c2pa", "iptc", ...
    family: str
    tool: str | None = None
    tool_version: str | None = None
    model: str | None = None
    prompt: str | None = None
    verdict: Verdict | None = None
    # A short, human-readable excerpt or explanation.
    detail: str | None = None
    # For signed claims (C2PA): True when the signature validated, False when it did not;
    # None for unsigned metadata, which anyone can write.
    verified: bool | None = None
    # Small JSON-able facts (seed, steps, sampler, checkpoints, job id...).
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "prompt", clip(self.prompt, MAX_PROMPT))
        object.__setattr__(self, "detail", clip(self.detail, MAX_DETAIL))
        for name in ("tool", "tool_version", "model"):
            object.__setattr__(self, name, clip(getattr(self, name), 300))

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "family": self.family,
            "tool": self.tool,
            "version": self.tool_version,
            "model": self.model,
            "prompt": self.prompt,
            "verdict": self.verdict,
            "detail": self.detail,
            "verified": self.verified,
            "extra": self.extra,
        }


class FileFacts:
    """One file as detectors see it: its bytes, format, extracted metadata and opened image.

    Built once per file by the caller; detectors share it. Not thread-safe: one per worker.
    """

    def __init__(
        self,
        data: bytes,
        fmt: str,
        metadata: dict[str, Any],
        image: Image.Image | None = None,
        *,
        opener: Callable[[], Image.Image | None] | None = None,
    ) -> None:
        self.data = data
        self.fmt = fmt  # JPEG, PNG, WEBP, GIF, TIFF, BMP, HEIF, AVIF
        self.metadata = metadata
        self._image = image
        # Opening costs time: a caller that has not opened the image yet passes an opener,
        # and only a detector that needs pixels pays for it.
        self._opener = opener

    @property
    def opened(self) -> bool:
        """True once the image was opened (or found unopenable): no opener is pending."""
        return self._opener is None

    @property
    def image(self) -> Image.Image | None:
        """The file opened with Pillow (pixels not decoded), or None when it cannot be."""
        if self._image is None and self._opener is not None:
            opener, self._opener = self._opener, None
            try:
                self._image = opener()
            except Exception:  # a file Pillow cannot open has no pixels to look at
                self._image = None
        return self._image

    @cached_property
    def png_texts(self) -> list[TextChunk]:
        """Every PNG text chunk in full (up to 4 MiB each), not cut at 64 KiB like metadata."""
        if self.fmt != "PNG":
            return []
        from inkseal.library.pngchunks import text_chunks

        try:
            return text_chunks(self.data)
        except ValueError:
            return []

    def png_text(self, *keywords: str) -> tuple[str, str] | None:
        """(keyword, text) of the first PNG text chunk named by any of `keywords`."""
        wanted = {k.lower() for k in keywords}
        for t in self.png_texts:
            if t.keyword.lower() in wanted:
                return t.keyword, t.text
        return None

    @property
    def exif(self) -> dict[str, str]:
        value = self.metadata.get("exif")
        return value if isinstance(value, dict) else {}

    @property
    def xmp(self) -> dict[str, Any]:
        value = self.metadata.get("xmp")
        return value if isinstance(value, dict) else {}

    @property
    def iptc(self) -> dict[str, Any]:
        value = self.metadata.get("iptc")
        return value if isinstance(value, dict) else {}


# The top-level XMP properties detectors read. `scan` keeps only these from a packet
# (metadata.extract_metadata with complete=False); tests/unit/test_scan_light.py runs every
# detector over recording metadata and fails when a detector reads a property not named here.
XMP_KEYS = frozenset(
    {
        "Iptc4xmpExt:DigitalSourceType",
        "plus:DigitalSourceType",
        "Iptc4xmpExt:AISystemUsed",
        "Iptc4xmpExt:AISystemVersionUsed",
        "Iptc4xmpExt:AIPromptInformation",
        "Iptc4xmpExt:AIPromptWriterName",
        "photoshop:Credit",
        "Iptc4xmpCore:CreditLine",
        "dc:description",
        "dc:rights",
        "xmp:CreatorTool",
        "tiff:Software",
        "exif:Software",
        "exif:UserComment",
        "dcterms:provenance",
    }
)


# The IPTC IIM datasets detectors read; `scan` decodes only these (tests/unit/
# test_scan_light.py fails when a detector reads one not named here).
IPTC_KEYS = frozenset({"Credit", "Caption-Abstract", "Source", "OriginatingProgram"})


Detector = Callable[[FileFacts], list[Finding]]
