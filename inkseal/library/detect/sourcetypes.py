"""IPTC Digital Source Type: the vocabulary C2PA actions and XMP use to say how media was made.

https://cv.iptc.org/newscodes/digitalsourcetype/ — current terms and retired ones that real
files still carry. Each maps to the class it suggests (None: it says nothing about AI).
"""

from __future__ import annotations

from typing import Final

from inkseal.library.detect.base import Verdict

IPTC_PREFIXES: Final = (
    "http://cv.iptc.org/newscodes/digitalsourcetype/",
    "https://cv.iptc.org/newscodes/digitalsourcetype/",
    "http://c2pa.org/digitalsourcetype/",
    "https://c2pa.org/digitalsourcetype/",
)

# term -> (suggested class, plain words)
TERMS: Final[dict[str, tuple[Verdict | None, str]]] = {
    # Generative AI.
    "trainedAlgorithmicMedia": ("ai-generated", "created by a generative AI model"),
    "compositeWithTrainedAlgorithmicMedia": (
        "ai-assisted",
        "a composite that includes generative AI elements",
    ),
    # Algorithmic, but not generative AI.
    "algorithmicMedia": ("not-generative", "made by an algorithm without training data"),
    "algorithmicallyEnhanced": ("not-generative", "enhanced by an algorithm (not generative)"),
    "dataDrivenMedia": ("not-generative", "a representation of data made by software"),
    "compositeSynthetic": ("not-generative", "a composite of synthetic elements"),
    # Made by people, with cameras, scanners or software.
    "digitalCapture": ("human-made", "captured by a digital camera or sensor"),
    "computationalCapture": ("human-made", "captured with computational photography"),
    "negativeFilm": ("human-made", "scanned from a negative film"),
    "positiveFilm": ("human-made", "scanned from a positive film"),
    "print": ("human-made", "scanned from a print"),
    "humanEdits": ("human-made", "edited by a person"),
    "minorHumanEdits": ("human-made", "with minor edits by a person"),
    "compositeCapture": ("human-made", "a composite of captured elements"),
    "composite": ("human-made", "a composite of elements"),
    "digitalCreation": ("human-made", "created by a person with digital tools"),
    "screenCapture": (None, "a screen capture"),
    "virtualRecording": (None, "a recording of a virtual event"),
    # Retired terms still found in files.
    "digitalArt": ("human-made", "digital art made by a person (retired term)"),
    "softwareImage": ("human-made", "an image made with software (retired term)"),
}
_LOWER = {k.lower(): k for k in TERMS}


def term_of(value: str | None) -> str | None:
    """The IPTC term in a URI or a bare term ("trainedAlgorithmicMedia"), or None."""
    if not value:
        return None
    text = value.strip()
    low = text.lower()
    for prefix in IPTC_PREFIXES:
        if low.startswith(prefix):
            text = text[len(prefix) :]
            break
    text = text.strip().strip("/")
    return _LOWER.get(text.lower())


def verdict_of(value: str | None) -> Verdict | None:
    term = term_of(value)
    return TERMS[term][0] if term else None


def describe(value: str | None) -> str | None:
    term = term_of(value)
    return f"{term}: {TERMS[term][1]}" if term else None
