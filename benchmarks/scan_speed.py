"""`scan` on files without AI metadata against reading their EXIF alone, in the same run.

The baseline is the least a metadata scanner does: read each file and parse its EXIF with
exifread. `scan` also hashes the file, opens it, reads XMP, IPTC and PNG text, checks for a
C2PA manifest store and stealth data, and runs every detector. Target (issue "What files say
about themselves"): scan costs at most 1.3x the baseline. Both run on one thread, file after
file, best of several rounds. Also prints scan's files/s over ../shared/corpus.

    .venv/bin/python benchmarks/scan_speed.py [--files 200]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import exifread  # noqa: E402
from PIL import Image  # noqa: E402

from inkseal.library.scan import scan_file  # noqa: E402

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


RESULTS = Path(__file__).resolve().parent / "results"


def _camera_exif() -> Image.Exif:
    """EXIF like a camera writes: make, model, dates, exposure, GPS."""
    exif = Image.Exif()
    exif[0x010F] = "Canon"
    exif[0x0110] = "Canon EOS R6"
    exif[0x0131] = "Adobe Lightroom Classic 13.1"
    exif[0x0132] = "2024:05:17 10:22:31"
    exif[0x013B] = "Jane Doe"
    exif[0x8298] = "(c) Jane Doe"
    ifd = exif.get_ifd(0x8769)
    ifd[0x829A] = (1, 250)
    ifd[0x829D] = (56, 10)
    ifd[0x8827] = 400
    ifd[0x9003] = "2024:05:17 10:22:31"
    ifd[0x9004] = "2024:05:17 10:22:31"
    ifd[0x920A] = (50, 1)
    ifd[0xA434] = "RF24-105mm F4 L IS USM"
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (48.0, 51.0, 29.0)
    gps[3] = "E"
    gps[4] = (2.0, 17.0, 40.0)
    return exif


def make_set(folder: Path, n: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    exif = _camera_exif()
    for i in range(n):
        p = folder / f"photo-{i:04}.jpg"
        if not p.exists():
            img = Image.effect_noise((1600, 1200), 30 + i % 40).convert("RGB")
            img.save(p, "JPEG", quality=88, exif=exif)
        files.append(p)
    return files


def exif_only(files: list[Path], hashed: bool = False) -> float:
    start = time.perf_counter()
    for p in files:
        data = p.read_bytes()
        if hashed:
            hashlib.sha256(data).hexdigest()
        exifread.process_file(io.BytesIO(data), details=False)
    return time.perf_counter() - start


def scan_all(files: list[Path]) -> float:
    start = time.perf_counter()
    for p in files:
        r = scan_file(p)
        assert r.suggested_class in ("unknown", "human-made"), r
    return time.perf_counter() - start


def compare(label: str, files: list[Path], rounds: int) -> dict[str, float]:
    scan_file(files[0])
    exif_only(files[:5])
    base = min(exif_only(files) for _ in range(rounds))
    hashed = min(exif_only(files, hashed=True) for _ in range(rounds))
    scan = min(scan_all(files) for _ in range(rounds))
    n = len(files)
    mb = sum(p.stat().st_size for p in files) / 1e6
    print(f"{label}: {n} files, {mb:.1f} MB, one thread, best of {rounds}")
    print(f"  read + exifread (baseline):          {n / base:8.1f} files/s")
    print(f"  read + SHA-256 + exifread:           {n / hashed:8.1f} files/s")
    print(f"  inkseal scan (hashes every file):    {n / scan:8.1f} files/s")
    print(f"  scan cost / baseline cost:           {scan / base:8.2f}x  (target <= 1.3x)")
    print(f"  scan cost / hashed baseline cost:    {scan / hashed:8.2f}x")
    return {
        "files": n,
        "megabytes": round(mb, 1),
        "baseline_files_per_s": round(n / base, 1),
        "hashed_baseline_files_per_s": round(n / hashed, 1),
        "scan_files_per_s": round(n / scan, 1),
        "scan_cost_vs_exif_only": round(scan / base, 2),
        "scan_cost_vs_exif_and_sha256": round(scan / hashed, 2),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "inkseal-bench")
    ap.add_argument("--out", type=Path, default=RESULTS / "scan_speed.json")
    args = ap.parse_args()

    result: dict[str, object] = {
        "machine": f"{platform.machine()}, Python {platform.python_version()}",
        "target": "scan cost <= 1.3x read + exifread",
    }
    if (CORPUS / "MANIFEST.tsv").exists():
        with open(CORPUS / "MANIFEST.tsv", newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh, delimiter="\t"))
        plain = [
            CORPUS / r["file"]
            for r in rows
            if r["expected_provenance"] in ("camera", "human", "unknown")
            and not r["file"].startswith(("c2pa", "broken"))
        ]
        result["corpus_without_ai_metadata"] = compare(
            "Real files without AI metadata (../shared/corpus)", plain, args.rounds
        )
        corpus = sorted(p for p in CORPUS.iterdir() if p.name != "MANIFEST.tsv")
        start = time.perf_counter()
        for p in corpus:
            scan_file(p)
        took = time.perf_counter() - start
        print(
            f"scan over the whole corpus: {len(corpus) / took:.1f} files/s "
            f"({len(corpus)} files, C2PA and generator metadata included)"
        )
        result["corpus_files_per_s"] = round(len(corpus) / took, 1)
    files = make_set(args.data / "camera", args.files)
    result["camera_jpegs"] = compare("Camera-like 2-megapixel JPEGs with EXIF", files, args.rounds)
    out = args.out
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
