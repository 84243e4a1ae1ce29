"""All generator-parameter detectors, run one after the other.

Each detector reads one family of formats that image generators write about themselves (A1111
parameters, ComfyUI graphs, NovelAI chunks and stealth pixels, InvokeAI, and the rest). They
only read what is in the file; what they report is unsigned metadata that anyone could write.
"""

from __future__ import annotations

import logging

from inkseal.library.detect import a1111, comfyui, invokeai, novelai, others
from inkseal.library.detect.base import Detector, FileFacts, Finding

log = logging.getLogger(__name__)

DETECTORS: tuple[Detector, ...] = (
    a1111.detect,
    comfyui.detect,
    novelai.detect,
    invokeai.detect,
    others.detect,
)


def detect_generators(facts: FileFacts) -> list[Finding]:
    """The findings of every generator detector for one file. Never raises: a detector that
    fails on some odd input contributes nothing."""
    findings: list[Finding] = []
    for detector in DETECTORS:
        try:
            findings.extend(detector(facts))
        except Exception as exc:  # untrusted input: one broken format must not hide the rest
            name = getattr(detector, "__module__", repr(detector))
            log.debug("generator detector %s failed: %s: %s", name, type(exc).__name__, exc)
    return findings
