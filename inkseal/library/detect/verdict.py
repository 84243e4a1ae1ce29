"""From findings to a suggested class, and from a declaration and findings to a review flag.

The artist declares; detection suggests. Nothing here changes a declaration.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from inkseal.library.detect.base import Finding

UNKNOWN = "unknown"
_RANK = {"ai-generated": 3, "ai-assisted": 2, "human-made": 1}


def suggest(findings: Iterable[Finding]) -> str:
    """The class a file's own bytes suggest: ai-generated, ai-assisted, human-made or unknown.

    A C2PA manifest that names generative AI speaks for the file's latest state (e.g. a
    generated image edited by a person is ai-assisted), so its word wins over older metadata
    inside the same file. Otherwise the strongest AI evidence wins: generator parameters
    cannot be written by accident, while "human-made" hints (a camera's source type) can
    survive into an AI edit. Non-generative algorithms never make a file AI.
    """
    items = list(findings)
    c2pa = [f.verdict for f in items if f.family == "c2pa" and f.verdict in _RANK]
    if c2pa and any(v in ("ai-generated", "ai-assisted") for v in c2pa):
        return max(c2pa, key=lambda v: _RANK[v or ""]) or UNKNOWN
    best = max(
        (f.verdict for f in items if f.verdict in _RANK), key=lambda v: _RANK[v or ""], default=None
    )
    return best or UNKNOWN


def combine(suggestions: Iterable[str]) -> str:
    """A work's suggestion from its primary files' suggestions: the strongest one."""
    best = max((s for s in suggestions if s in _RANK), key=lambda s: _RANK[s], default=None)
    return best or UNKNOWN


@dataclass(frozen=True)
class Evidence:
    """One file's findings, as the review check sees them."""

    file_name: str
    findings: Sequence[Finding]


def _describe(f: Finding) -> str:
    what = f.tool or f.family
    state = "" if f.verified is not False else ", unverified"
    return f"{what} ({f.source}{state})"


def review_reason(declared: str, evidence: Sequence[Evidence]) -> str | None:
    """Why a work needs review, or None when its files do not contradict the declaration.

    Contradictions in kind are flagged: declared human-made while a file carries AI evidence;
    declared ai-generated while a file says it was captured or made by a person (and carries
    no AI evidence). ai-assisted works may contain both kinds, so they are not flagged.
    An undeclared work is never flagged: it shows the suggestion instead.
    """
    if declared == "human-made":
        hits = [
            (e.file_name, f)
            for e in evidence
            for f in e.findings
            if f.verdict in ("ai-generated", "ai-assisted")
        ]
        if hits:
            listed = "; ".join(f"{name}: {_describe(f)}" for name, f in hits[:3])
            more = f" and {len(hits) - 3} more" if len(hits) > 3 else ""
            return f"declared human-made, but the files carry AI evidence: {listed}{more}"
        return None
    if declared == "ai-generated":
        for e in evidence:
            if suggest(e.findings) == "human-made":
                human = [f for f in e.findings if f.verdict == "human-made"]
                return (
                    f"declared ai-generated, but {e.file_name} says it was made by a person "
                    f"or a camera: {_describe(human[0])}"
                )
    return None
