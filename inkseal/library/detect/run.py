"""Running every detector over one file."""

from __future__ import annotations

import functools
from collections.abc import Callable
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


# The detector families are imported on first use (C2PA's brings c2pa-python with it), and
# looked up once: an import statement run for every file costs more than some detectors.
@functools.cache
def _generators() -> Callable[[FileFacts], list[Finding]]:
    from inkseal.library.detect.generators import detect_generators

    return detect_generators


@functools.cache
def _c2pa() -> Callable[[FileFacts], tuple[list[Finding], Any]]:
    from inkseal.library.detect.c2pa import detect_c2pa

    return detect_c2pa


@functools.cache
def _fields() -> Callable[[FileFacts], list[Finding]]:
    from inkseal.library.detect.xmp_iptc import detect

    return detect


def detect_file(facts: FileFacts) -> Detection:
    """All findings for one file. Never raises: a failing detector becomes an error line."""
    findings: list[Finding] = []
    errors: list[str] = []
    summary: dict[str, Any] | None = None
    try:
        findings += _generators()(facts)
    except Exception as exc:  # untrusted input must not stop an import
        errors.append(f"generator metadata could not be read: {_one_line(exc)}")
    try:
        c2pa_findings, c2pa_summary = _c2pa()(facts)
        findings += c2pa_findings
        summary = c2pa_summary.to_json() if c2pa_summary is not None else None
    except Exception as exc:
        errors.append(f"Content Credentials could not be read: {_one_line(exc)}")
    try:
        findings += _fields()(facts)
    except Exception as exc:
        errors.append(f"XMP/IPTC fields could not be read: {_one_line(exc)}")
    return Detection(tuple(findings), summary, suggest(findings), tuple(errors))


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:300] or type(exc).__name__
