"""Running every detector over one file."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from inkseal.library.detect.base import FileFacts, Finding
from inkseal.library.detect.verdict import suggest


@dataclass(frozen=True)
class Detection:
    findings: tuple[Finding, ...]
    # The C2PA summary as JSON (see detect.c2pa.C2PASummary.to_json), or None.
    c2pa: dict[str, Any] | None
    suggested_class: str
    errors: tuple[str, ...] = ()


def detect_file(facts: FileFacts) -> Detection:
    """All findings for one file. Never raises: a failing detector becomes an error line."""
    findings: list[Finding] = []
    errors: list[str] = []
    summary: dict[str, Any] | None = None
    try:
        from inkseal.library.detect.generators import detect_generators

        findings += detect_generators(facts)
    except Exception as exc:  # untrusted input must not stop an import
        errors.append(f"generator metadata could not be read: {_one_line(exc)}")
    try:
        from inkseal.library.detect.c2pa import detect_c2pa

        c2pa_findings, c2pa_summary = detect_c2pa(facts)
        findings += c2pa_findings
        summary = c2pa_summary.to_json() if c2pa_summary is not None else None
    except Exception as exc:
        errors.append(f"Content Credentials could not be read: {_one_line(exc)}")
    try:
        from inkseal.library.detect.xmp_iptc import detect as detect_fields

        findings += detect_fields(facts)
    except Exception as exc:
        errors.append(f"XMP/IPTC fields could not be read: {_one_line(exc)}")
    return Detection(tuple(findings), summary, suggest(findings), tuple(errors))


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:300] or type(exc).__name__
