"""`scan`: what files say about themselves, without importing anything."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inkseal.library.detect.base import Finding
from inkseal.library.detect.verdict import UNKNOWN
from inkseal.library.importer import CancelToken, collect_files
from inkseal.library.probe import (
    ReadError,
    one_line,
    probe_file,
    read_file,
    truncation_problem,
)


@dataclass(frozen=True)
class ScanResult:
    path: str
    sha256: str | None
    media_type: str | None
    width: int | None
    height: int | None
    suggested_class: str
    findings: tuple[Finding, ...]
    c2pa: dict[str, Any] | None
    error: str | None
    warnings: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "sha256": self.sha256,
            "media_type": self.media_type,
            "width": self.width,
            "height": self.height,
            "suggested_class": self.suggested_class,
            "signals": [
                {
                    "source": f.source,
                    "tool": f.tool,
                    "version": f.tool_version,
                    "model": f.model,
                    "prompt": f.prompt,
                    "verdict": f.verdict,
                    "detail": f.detail,
                    "verified": f.verified,
                }
                for f in self.findings
            ],
            "c2pa": self.c2pa,
            "error": self.error,
            "warnings": list(self.warnings),
        }


def _failed(path: Path, reason: str, sha256: str | None = None) -> ScanResult:
    return ScanResult(str(path), sha256, None, None, None, UNKNOWN, (), None, reason)


def scan_file(path: Path) -> ScanResult:
    """Read one file and report what it says. Never raises."""
    try:
        raw = read_file(path)
        probe = probe_file(raw, open_now=False, complete=False)
    except ReadError as exc:
        return _failed(path, exc.reason, exc.sha256)
    except Exception as exc:  # hostile input must give a line, not a traceback
        return _failed(path, f"the file cannot be read: {one_line(exc)}")
    size = probe.header_size or (probe.image.size if probe.image else None)
    width, height = size if size else (None, None)
    return ScanResult(
        path=str(path),
        sha256=raw.sha256,
        media_type=probe.fmt.media_type,
        width=width,
        height=height,
        suggested_class=probe.detection.suggested_class,
        findings=probe.detection.findings,
        c2pa=probe.detection.c2pa,
        error=probe.open_error or truncation_problem(raw.data, probe.fmt),
        warnings=tuple(probe.metadata.get("warnings", ())),
    )


def scan_paths(
    paths: Iterable[str | os.PathLike[str]],
    *,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    cancel: CancelToken | None = None,
) -> tuple[list[ScanResult], bool]:
    """Scan files and folders (as import would find them), in order. Returns (results,
    cancelled)."""
    cancel = cancel or CancelToken()
    files, problems = collect_files(paths)
    results = [
        ScanResult(o.path, None, None, None, None, UNKNOWN, (), None, o.reason) for o in problems
    ]
    n_workers = max(1, workers or min(8, os.cpu_count() or 2))

    def one(p: Path) -> ScanResult | None:
        return None if cancel.cancelled else scan_file(p)

    total = len(files)
    with ThreadPoolExecutor(max_workers=n_workers, thread_name_prefix="inkseal-scan") as pool:
        for i, result in enumerate(pool.map(one, files), start=1):
            if result is None:
                break
            results.append(result)
            if progress:
                progress(i, total)
    return results, cancel.cancelled
