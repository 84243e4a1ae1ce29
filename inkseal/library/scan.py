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


# Hashing a file releases the GIL and reading its metadata does not, so worker threads pay
# off only where files are large enough for their hashing to outweigh the parsing: on small
# files two threads scan slower than one.
THREADED_MEAN_BYTES = 256 * 1024
# Files handed to a worker at a time: one at a time, the hand-overs cost more than a small
# file's scan.
_BATCH_FILES = 8
_BATCH_BYTES = 16 * 1024 * 1024


def _size(p: Path) -> int:
    try:
        return os.stat(p).st_size
    except OSError:
        return 0  # scan_file says why


def _batches(files: list[Path], sizes: list[int]) -> list[list[Path]]:
    batches: list[list[Path]] = []
    current: list[Path] = []
    held = 0
    for p, size in zip(files, sizes, strict=True):
        current.append(p)
        held += size
        if len(current) >= _BATCH_FILES or held >= _BATCH_BYTES:
            batches.append(current)
            current, held = [], 0
    if current:
        batches.append(current)
    return batches


def scan_paths(
    paths: Iterable[str | os.PathLike[str]],
    *,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    cancel: CancelToken | None = None,
) -> tuple[list[ScanResult], bool]:
    """Scan files and folders (as import would find them), in order. Returns (results,
    cancelled).

    `workers` None picks: worker threads for large files, this thread for small ones.
    """
    cancel = cancel or CancelToken()
    files, problems = collect_files(paths)
    results = [
        ScanResult(o.path, None, None, None, None, UNKNOWN, (), None, o.reason) for o in problems
    ]
    total = len(files)
    if workers is None:
        sizes = [_size(p) for p in files]
        large = total and sum(sizes) / total >= THREADED_MEAN_BYTES
        workers = min(8, os.cpu_count() or 2) if large else 1
    else:
        sizes = [0] * total  # batches by count alone

    def batch(ps: list[Path]) -> list[ScanResult]:
        out = []
        for p in ps:
            if cancel.cancelled:
                break
            out.append(scan_file(p))
        return out

    def collect(batches: list[list[Path]], scanned_batches: Iterable[list[ScanResult]]) -> None:
        done = 0
        for ps, scanned in zip(batches, scanned_batches, strict=False):
            for result in scanned:
                results.append(result)
                done += 1
                if progress:
                    progress(done, total)
            if len(scanned) < len(ps):
                break

    if workers <= 1:  # one file at a time on this thread, lazily, so cancel is seen at once
        singles = [[p] for p in files]
        collect(singles, map(batch, singles))
    else:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="inkseal-scan") as pool:
            batches = _batches(files, sizes)
            collect(batches, pool.map(batch, batches))
    return results, cancel.cancelled
