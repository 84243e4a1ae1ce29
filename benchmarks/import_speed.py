"""Import speed against a bare loop over the same files, measured in the same run.

The bare loop is the least any importer must do: read each file, SHA-256 it, and make a
Pillow thumbnail, on the same number of threads. Inkseal's import does that plus metadata
extraction and detection, the thumbnail's encoding and cache file, the perceptual hash, the
copy into the store (flushed to disk) and the catalogue's transactions.

Targets (issue "Scale and speed"): import at least 0.8x the bare loop's files/s on the mixed
set, with the same number of workers; both cores busy; memory flat across 5,000 files
(--memory). For the record, the same files through `vipsthumbnail` and `exiftool -json`
(Debian's libvips-tools and libimage-exiftool-perl), as many processes as workers.

    .venv/bin/python benchmarks/import_speed.py [--jpegs 24] [--pngs 16] [--webps 8]
        [--memory 5000]
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PIL import Image, PngImagePlugin  # noqa: E402

from inkseal.library.importer import import_paths  # noqa: E402
from inkseal.library.library import open_library  # noqa: E402

A1111 = (
    "ink painting of a crane over misty mountains, masterpiece\n"
    "Negative prompt: blurry, lowres\n"
    "Steps: 28, Sampler: DPM++ 2M Karras, CFG scale: 7, Seed: {seed}, Size: 2048x2048, "
    "Model hash: 31e35c80fc, Model: sd_xl_base_1.0"
)


def _picture(size: tuple[int, int], seed: int) -> Image.Image:
    """A photo-like picture: smooth gradients plus grain, so codecs work for real."""
    w, h = size
    base = Image.linear_gradient("L").resize((w, h))
    r = base.rotate(seed * 37 % 360).resize((w, h))
    g = base.transpose(Image.Transpose.ROTATE_90).resize((w, h))
    noise = Image.effect_noise((w, h), 40 + seed % 20)
    return Image.merge("RGB", (r, g, Image.blend(base, noise, 0.5)))


def make_set(folder: Path, jpegs: int, pngs: int, webps: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    for i in range(jpegs):
        p = folder / f"photo-{i:03}.jpg"
        if not p.exists():
            _picture((4000, 3000), i).save(p, "JPEG", quality=90)
        files.append(p)
    for i in range(pngs):
        p = folder / f"generated-{i:03}.png"
        if not p.exists():
            info = PngImagePlugin.PngInfo()
            info.add_text("parameters", A1111.format(seed=1000 + i))
            _picture((2048, 2048), 100 + i).save(p, "PNG", pnginfo=info, compress_level=6)
        files.append(p)
    for i in range(webps):
        p = folder / f"web-{i:03}.webp"
        if not p.exists():
            _picture((2048, 1536), 200 + i).save(p, "WEBP", quality=85)
        files.append(p)
    return files


def bare_one(path: Path) -> str:
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    with Image.open(io.BytesIO(data)) as img:
        img.thumbnail((512, 512))  # uses draft() for JPEGs, like the importer
    return digest


def bare_loop(files: list[Path], workers: int) -> float:
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(bare_one, files))
    return time.perf_counter() - start


def inkseal_import(files: list[Path], workers: int, scratch: Path) -> tuple[float, float]:
    root = scratch / f"lib-{time.monotonic_ns()}"
    with open_library(root) as lib:
        cpu0 = time.process_time()
        start = time.perf_counter()
        report = import_paths(lib, files, workers=workers)
        wall = time.perf_counter() - start
        cpu = time.process_time() - cpu0
    assert report.added == len(files), [o.reason for o in report.outcomes if o.reason]
    shutil.rmtree(root)
    return wall, cpu / wall


def external(command: list[str], files: list[Path], workers: int) -> float | None:
    """Seconds for `command FILES...` over the files split among `workers` processes; None
    when the tool is not installed."""
    if shutil.which(command[0]) is None:
        return None
    parts = [files[i::workers] for i in range(workers)]
    start = time.perf_counter()
    procs = [
        subprocess.Popen(
            [*command, *map(str, part)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        for part in parts
        if part
    ]
    for proc in procs:
        proc.wait()
    return time.perf_counter() - start


def memory_run(folder: Path, count: int, workers: int, scratch: Path) -> dict[str, object]:
    """Import `count` distinct small JPEGs in one go, sampling resident memory as it goes."""
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for i in range(count):
        p = folder / f"m-{i:05}.jpg"
        if not p.exists():
            _picture((640, 480), i).save(p, "JPEG", quality=85)
        files.append(p)
    samples: list[tuple[int, float]] = []
    every = max(1, count // 20)

    def progress(p: object) -> None:
        done = getattr(p, "done", 0)
        if done % every == 0:
            samples.append((done, rss_mb()))

    root = scratch / "memory-lib"
    start = time.perf_counter()
    with open_library(root) as lib:
        report = import_paths(lib, files, workers=workers, progress=progress)
    seconds = time.perf_counter() - start
    assert report.added == count, [o.reason for o in report.outcomes if o.reason][:5]
    shutil.rmtree(root)
    settled = [mb for done, mb in samples if done >= count // 10]
    return {
        "files": count,
        "seconds": round(seconds, 1),
        "files_per_s": round(count / seconds, 1),
        "rss_mb_at_10pc": round(settled[0]),
        "rss_mb_at_end": round(settled[-1]),
        "rss_growth_mb": round(settled[-1] - settled[0], 1),
        "samples": [(d, round(m)) for d, m in samples],
    }


def rss_mb() -> float:
    status = Path("/proc/self/status").read_text()
    line = next(x for x in status.splitlines() if x.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jpegs", type=int, default=24, help="12-megapixel JPEGs")
    ap.add_argument("--pngs", type=int, default=16, help="2048 px PNGs with A1111 parameters")
    ap.add_argument("--webps", type=int, default=8, help="2048x1536 WebPs")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "inkseal-bench")
    ap.add_argument("--memory", type=int, default=0, help="also import this many small files")
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results")
    args = ap.parse_args()

    print(f"making the file set in {args.data} (kept for later runs)…", flush=True)
    files = make_set(args.data / "set", args.jpegs, args.pngs, args.webps)
    total_mb = sum(p.stat().st_size for p in files) / 1e6
    scratch = Path(tempfile.mkdtemp(prefix="inkseal-bench-"))
    try:
        bare_one(files[0])  # warm up codecs and the page cache
        bare_times, import_times, cpu_use = [], [], []
        vips_times: list[float] = []
        exif_times: list[float] = []
        vips_out = scratch / "vips"
        vips_out.mkdir()
        jpegs = [p for p in files if p.suffix == ".jpg"]
        jpeg_bare, jpeg_import = [], []
        for _ in range(args.rounds):
            bare_times.append(bare_loop(files, args.workers))
            wall, cores = inkseal_import(files, args.workers, scratch)
            import_times.append(wall)
            cpu_use.append(cores)
            jpeg_bare.append(bare_loop(jpegs, args.workers))
            jpeg_import.append(inkseal_import(jpegs, args.workers, scratch)[0])
            vips = external(
                ["vipsthumbnail", "--size", "512", "-o", f"{vips_out}/%s.jpg"], files, args.workers
            )
            exif = external(["exiftool", "-json", "-fast"], files, args.workers)
            if vips is not None:
                vips_times.append(vips)
            if exif is not None:
                exif_times.append(exif)
        memory = (
            memory_run(args.data / "memory", args.memory, args.workers, scratch)
            if (args.memory)
            else None
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    bare, imp = min(bare_times), min(import_times)
    n = len(files)
    ratio = imp / bare
    speed = bare / imp
    result = {
        "machine": f"{platform.machine()} {os.cpu_count()} cores, {platform.python_version()}",
        "files": n,
        "megabytes": round(total_mb, 1),
        "workers": args.workers,
        "bare_files_per_s": round(n / bare, 1),
        "import_files_per_s": round(n / imp, 1),
        "import_cost_vs_bare": round(ratio, 2),
        "import_speed_vs_bare": round(speed, 2),
        "import_cpu_cores_busy": round(max(cpu_use), 2),
        "jpeg_bare_files_per_s": round(len(jpegs) / min(jpeg_bare), 1),
        "jpeg_import_files_per_s": round(len(jpegs) / min(jpeg_import), 1),
        "vipsthumbnail_files_per_s": round(n / min(vips_times), 1) if vips_times else None,
        "exiftool_json_files_per_s": round(n / min(exif_times), 1) if exif_times else None,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "memory_run": memory,
        "target": "import speed >= 0.8x bare; memory flat (growth < 50 MB over the run)",
        "meets_target": speed >= 0.8 and (memory is None or float(memory["rss_growth_mb"]) < 50),  # type: ignore[arg-type]
    }
    print(
        f"{n} files ({args.jpegs} JPEG 12 Mpx, {args.pngs} PNG 2048 px, {args.webps} WebP), "
        f"{total_mb:.0f} MB, {args.workers} workers, best of {args.rounds}"
    )
    print(f"  bare loop (read + SHA-256 + thumbnail): {n / bare:6.1f} files/s")
    print(f"  inkseal import:                         {n / imp:6.1f} files/s")
    print(f"  import speed / bare loop speed:         {speed:6.2f}x  (target >= 0.8x)")
    print(f"  cores busy during import:               {max(cpu_use):6.2f}")
    print(
        f"  12 Mpx JPEGs only: bare {result['jpeg_bare_files_per_s']} files/s, "
        f"import {result['jpeg_import_files_per_s']} files/s"
    )
    for tool, key in (("vipsthumbnail", "vipsthumbnail"), ("exiftool -json", "exiftool_json")):
        figure = result[f"{key}_files_per_s"]
        print(f"  {tool + ' (for the record):':<40}{figure if figure else 'not installed'} files/s")
    if memory is not None:
        print(
            f"  {memory['files']} small files: {memory['files_per_s']} files/s, resident memory "
            f"{memory['rss_mb_at_10pc']} MB at 10% and {memory['rss_mb_at_end']} MB at the end"
        )
    out = args.out / "import_speed.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"written to {out.relative_to(Path.cwd()) if out.is_relative_to(Path.cwd()) else out}")
    print("  target met" if result["meets_target"] else "  target MISSED")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
